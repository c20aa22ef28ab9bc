"""Experimental designs, and the one sampler that draws them.

A design says which points of the parameters' ranges to run: a full grid,
independent random draws, a Latin hypercube, Saltelli's scheme for Sobol'
indices or Morris trajectories. Sweeps, the uncertainty points of an
optimisation and ``run --robustness`` all draw here, in two steps:
:func:`unit_points` draws the design in the unit hypercube [0, 1]^D from an
explicit seed (``scipy.stats.qmc`` and a numpy Generator, SALib for Sobol'
and Morris), and :func:`design_points` maps those coordinates onto the
parameters' values (:meth:`~sim.scenario.ranges.Parameter.from_unit`; a
grid takes each parameter's evenly spaced values). The SALib problem is
always the unit cube, so Morris elementary effects are in outcome units per
full range of a parameter, which makes parameters with different units
comparable.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.scenario.ranges import Parameter, Scalar

MAX_POINTS = 1_000_000
# a swept value keeps 12 significant digits (0.08 stays 0.08 instead of 0.08000000000000002 in the tables)
DIGITS = 12


class _Design(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    KIND: ClassVar[str] = "design"  # what a name picks, in messages ("unknown design 'x'")

    seed: int | None = Field(None, ge=0, le=2**63 - 1,
                             description="seed of the design's sampler (default: the scenario's seed)")


class GridDesign(_Design):
    """Full factorial: every combination of levels."""

    name: Literal["grid"]
    levels: int = Field(3, ge=2, le=101, description="evenly spaced values per range parameter")


class RandomDesign(_Design):
    """Independent uniform draws."""

    name: Literal["random"]
    samples: int = Field(ge=1, le=1_000_000, description="number of points")


class LatinHypercubeDesign(_Design):
    """Latin hypercube: each parameter's range cut into ``samples`` strata, one point in each."""

    name: Literal["latin_hypercube"]
    samples: int = Field(ge=1, le=1_000_000, description="number of points")


class SobolDesign(_Design):
    """Saltelli's scheme for Sobol' indices: samples × (parameters + 2) points."""

    name: Literal["sobol"]
    samples: int = Field(ge=2, le=1_048_576, description="base samples N, a power of two")
    resamples: int = Field(200, ge=10, le=100_000, description="bootstrap resamples for the confidence intervals")

    @model_validator(mode="after")
    def _power_of_two(self) -> SobolDesign:
        if self.samples & (self.samples - 1):
            lower = 1 << (self.samples.bit_length() - 1)
            raise ValueError(f"'samples' must be a power of two for the Sobol' sequence, e.g. {lower} or {lower * 2}")
        return self


class MorrisDesign(_Design):
    """Morris elementary effects: samples (trajectories) × (parameters + 1) points."""

    name: Literal["morris"]
    samples: int = Field(ge=2, le=100_000, description="number of trajectories")
    levels: int = Field(4, ge=2, le=100, description="grid levels per parameter (even)")
    resamples: int = Field(200, ge=10, le=100_000, description="bootstrap resamples for the confidence intervals")

    @model_validator(mode="after")
    def _even(self) -> MorrisDesign:
        if self.levels % 2:
            raise ValueError("'levels' must be even so that every step has the same size")
        return self


AnyDesign = GridDesign | RandomDesign | LatinHypercubeDesign | SobolDesign | MorrisDesign
Design = Annotated[AnyDesign, Field(discriminator="name")]
DESIGN_MODELS: dict[str, type[_Design]] = {"grid": GridDesign, "random": RandomDesign,
                                           "latin_hypercube": LatinHypercubeDesign, "sobol": SobolDesign,
                                           "morris": MorrisDesign}


@dataclass
class DesignPoints:
    """The points of a design: unit-cube coordinates and the parameter values they map to.

    ``values``: one mapping of parameter label to value per point; ``columns``: the values of each
    parameter in point order.
    """

    unit: np.ndarray  # (points, parameters), in [0, 1]
    values: list[dict[str, Scalar]] = field(default_factory=list)
    columns: list[list[Scalar]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.values)


def salib_problem(params: Sequence[Parameter]) -> dict[str, Any]:
    """The SALib problem of a design: the unit cube over the parameters."""
    return {"num_vars": len(params), "names": [p.label for p in params], "bounds": [[0.0, 1.0]] * len(params)}


def point_count(params: Sequence[Parameter], design: AnyDesign) -> int:
    """How many points a design has, without drawing it."""
    d = len(params)
    if isinstance(design, GridDesign):
        return int(np.prod([len(p.grid(design.levels)) for p in params]))
    if isinstance(design, SobolDesign):
        return design.samples * (d + 2)
    if isinstance(design, MorrisDesign):
        return design.samples * (d + 1)
    return design.samples


def unit_points(params: Sequence[Parameter], design: AnyDesign, seed: int) -> np.ndarray:
    """The design's points in the unit hypercube, (points, parameters); ``seed`` unless the design sets one.

    A grid's coordinates are i / (values − 1) along each parameter's evenly spaced values.
    """
    n = point_count(params, design)
    if n > MAX_POINTS:
        raise ValueError(f"the design has {n:,} points; the limit is {MAX_POINTS:,}")
    seed = design.seed if design.seed is not None else seed
    d = len(params)
    if isinstance(design, GridDesign):
        sizes = [len(p.grid(design.levels)) for p in params]
        unit = np.array([[i / max(1, size - 1) for i, size in zip(idx, sizes, strict=True)]
                         for idx in itertools.product(*(range(size) for size in sizes))], dtype=float)
        return unit.reshape(n, d)
    if isinstance(design, RandomDesign):
        return np.random.default_rng(seed).random((design.samples, d))
    if isinstance(design, LatinHypercubeDesign):
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(design.samples)
    if isinstance(design, SobolDesign):
        from SALib.sample import sobol

        return np.asarray(sobol.sample(salib_problem(params), design.samples, calc_second_order=False, seed=seed))
    from SALib.sample import morris

    return np.asarray(morris.sample(salib_problem(params), design.samples, num_levels=design.levels, seed=seed))


def design_points(params: Sequence[Parameter], design: AnyDesign, seed: int,
                  digits: int | None = DIGITS) -> DesignPoints:
    """Draw the design (:func:`unit_points`) and map it onto the parameters' values.

    ``digits``: significant digits kept of a continuous value (None: every digit of the draw).
    """
    unit = unit_points(params, design, seed)
    if isinstance(design, GridDesign):
        axes = [p.grid(design.levels, digits) for p in params]
        columns = [[axis[int(round(u * max(1, len(axis) - 1)))] for u in unit[:, j]] for j, axis in enumerate(axes)]
    else:
        columns = [p.from_unit(unit[:, j], digits) for j, p in enumerate(params)]
    values = [{p.label: columns[j][i] for j, p in enumerate(params)} for i in range(unit.shape[0])]
    return DesignPoints(unit, values, columns)
