"""Probability distributions for durations and sizes in the scenario file.

Each distribution turns a uniform number u in (0, 1) into a value by its
inverse CDF. Drawing through the inverse CDF keeps common random numbers
effective: when a policy scales a duration, the same enterprise at the same
step sees the same quantile in every variant.

In YAML a distribution is a mapping with a ``dist`` key, for example
``{dist: lognormal, mean: 2.0, cv: 0.5}``; a bare number means a fixed value.
"""

from __future__ import annotations

import math
from functools import cached_property
from statistics import NormalDist
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, PositiveFloat, model_validator

from sim.scenario.params import Strict

_STANDARD_NORMAL = NormalDist()


class Fixed(Strict):
    """Always the same value."""

    dist: Literal["fixed"] = "fixed"
    value: float = Field(ge=0, allow_inf_nan=False)

    def quantile(self, u: float) -> float:
        return self.value

    def quantiles(self, u: np.ndarray) -> np.ndarray:
        return np.full_like(u, self.value, dtype=float)

    @property
    def mean(self) -> float:
        return self.value


class Exponential(Strict):
    """Memoryless durations (Poisson arrivals, exponential service)."""

    dist: Literal["exponential"] = "exponential"
    mean_value: PositiveFloat = Field(alias="mean", allow_inf_nan=False)

    def quantile(self, u: float) -> float:
        return -self.mean_value * math.log1p(-u)

    def quantiles(self, u: np.ndarray) -> np.ndarray:
        return -self.mean_value * np.log1p(-u)

    @property
    def mean(self) -> float:
        return self.mean_value


class Uniform(Strict):
    """Equally likely between low and high."""

    dist: Literal["uniform"] = "uniform"
    low: float = Field(ge=0, allow_inf_nan=False)
    high: float = Field(ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be at least low ({self.low})")
        return self

    def quantile(self, u: float) -> float:
        return self.low + (self.high - self.low) * u

    def quantiles(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * u

    @property
    def mean(self) -> float:
        return 0.5 * (self.low + self.high)


class Triangular(Strict):
    """Low, most likely and high value: the usual expert estimate."""

    dist: Literal["triangular"] = "triangular"
    low: float = Field(ge=0, allow_inf_nan=False)
    mode: float = Field(ge=0, allow_inf_nan=False)
    high: float = Field(ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high) or self.low == self.high:
            raise ValueError(
                f"need low <= mode <= high and low < high, got {self.low}, {self.mode}, {self.high}"
            )
        return self

    def quantile(self, u: float) -> float:
        a, c, b = self.low, self.mode, self.high
        cut = (c - a) / (b - a)
        if u < cut:
            return a + math.sqrt(u * (b - a) * (c - a))
        return b - math.sqrt((1.0 - u) * (b - a) * (b - c))

    def quantiles(self, u: np.ndarray) -> np.ndarray:
        a, c, b = self.low, self.mode, self.high
        cut = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
        return np.where(u < cut, left, right)

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3.0


class LogNormal(Strict):
    """Right-skewed positive values (sizes, cash, most durations), by mean and coefficient of variation."""

    dist: Literal["lognormal"] = "lognormal"
    mean_value: PositiveFloat = Field(alias="mean", allow_inf_nan=False)
    cv: float = Field(gt=0, le=20, allow_inf_nan=False)

    @cached_property
    def _sigma(self) -> float:
        return math.sqrt(math.log1p(self.cv * self.cv))

    @cached_property
    def _mu(self) -> float:
        return math.log(self.mean_value) - 0.5 * self._sigma**2

    def quantile(self, u: float) -> float:
        return math.exp(self._mu + self._sigma * _STANDARD_NORMAL.inv_cdf(u))

    def quantiles(self, u: np.ndarray) -> np.ndarray:
        # imported here: scipy.special costs a quarter of a second to import
        from scipy.special import ndtri

        return np.exp(self._mu + self._sigma * ndtri(u))

    @property
    def mean(self) -> float:
        return self.mean_value


class Empirical(Strict):
    """A distribution read off a survey's brackets: cumulative shares and values, linear between them.

    ``points`` is a list of ``[cumulative share, value]`` from ``[0, lowest]`` to
    ``[1, highest]``; the inverse CDF is linear between points, so each
    bracket's share of draws is exactly the survey's.
    """

    dist: Literal["empirical"] = "empirical"
    points: list[tuple[float, float]] = Field(min_length=2, max_length=100)

    @model_validator(mode="after")
    def _ordered(self) -> Empirical:
        ps = [p for p, _ in self.points]
        vs = [v for _, v in self.points]
        if ps[0] != 0.0 or ps[-1] != 1.0:
            raise ValueError(f"the cumulative shares must run from 0 to 1, got {ps[0]} to {ps[-1]}")
        if any(b <= a for a, b in zip(ps, ps[1:], strict=False)):
            raise ValueError(f"the cumulative shares must increase strictly, got {ps}")
        if any(b < a for a, b in zip(vs, vs[1:], strict=False)) or vs[0] < 0:
            raise ValueError(f"the values must be >= 0 and must not decrease, got {vs}")
        return self

    def quantile(self, u: float) -> float:
        return float(np.interp(u, [p for p, _ in self.points], [v for _, v in self.points]))

    def quantiles(self, u: np.ndarray) -> np.ndarray:
        return np.interp(u, [p for p, _ in self.points], [v for _, v in self.points])

    @property
    def mean(self) -> float:
        pts = self.points
        return sum((p1 - p0) * (v0 + v1) / 2 for (p0, v0), (p1, v1) in zip(pts, pts[1:], strict=False))


Distribution = Annotated[
    Fixed | Exponential | Uniform | Triangular | LogNormal | Empirical,
    Field(discriminator="dist"),
]

DISTRIBUTION_NAMES = ("fixed", "exponential", "uniform", "triangular", "lognormal", "empirical")


def coerce_distribution(value: Any) -> Any:
    """Let a bare number stand for a fixed value (``review_days: 1.5``)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    return value


def fixed(value: float) -> Fixed:
    return Fixed(value=value)


def exponential(mean: float) -> Exponential:
    return Exponential.model_validate({"mean": mean})


def lognormal(mean: float, cv: float) -> LogNormal:
    return LogNormal.model_validate({"mean": mean, "cv": cv})


def triangular(low: float, mode: float, high: float) -> Triangular:
    return Triangular(low=low, mode=mode, high=high)


def uniform(low: float, high: float) -> Uniform:
    return Uniform(low=low, high=high)


def empirical(points: list[tuple[float, float]]) -> Empirical:
    return Empirical(points=points)
