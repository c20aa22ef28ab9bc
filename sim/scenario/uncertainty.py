"""What the planner does not know: uncertain parameters with ranges, for ``run --robustness N``.

The scenario's ``uncertainty:`` section lists parameters nobody published
(office head-counts, readiness, problem rates, cash runways) with a range and
a provenance note for the range. ``python -m sim run FILE --robustness N``
draws N Latin-hypercube points of them and runs every variant at each point,
to tell whether the ranking of the variants survives what nobody knows::

    uncertainty:
      - name: approval reviewers
        paths: ["counties[*].approval_reviewers"]
        how: scale          # multiply each county's own value (keeps their differences)
        low: 0.5
        high: 3.0
        provenance: "assumption: county windows of 1-12 reviewers"

``how: set`` puts the drawn value itself at every path (``integer: true`` for
whole numbers); ``how: scale`` multiplies the value found there (a whole-number
field is rounded, and kept at least 1). Paths use the dotted syntax of sweep
files (:mod:`sim.scenario.paths`).
"""

from __future__ import annotations

import copy
import math
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from sim.scenario.params import PROVENANCE_KINDS, Strict
from sim.scenario.paths import EXAMPLES, expand_path, get_value, set_value, split_path

_VALUE_UNIT = "the unit of the parameters at the paths, or a factor with how: scale"


def _unit(text: str) -> dict[str, Any]:
    return {"unit": text, "provenance": "the entry's provenance"}


class UncertainParameter(Strict):
    """One uncertain quantity: where it sits in the scenario, its range, and where the range comes from."""

    name: str = Field("", max_length=80, description="short label (default: the first path)")
    paths: list[str] = Field(min_length=1, description="dotted paths the value is applied to, e.g. "
                                                       "counties[*].inspectors; all get the same draw")
    # low and high are in the unit of the parameters at the paths (a factor with how: scale); the range's
    # provenance is the entry's own `provenance`
    how: Literal["set", "scale"] = Field("set", description="set: the drawn value replaces the values; scale: it "
                                                            "multiplies them", json_schema_extra=_unit("set or scale"))
    low: float = Field(description="lowest value (or factor, with how: scale)", json_schema_extra=_unit(_VALUE_UNIT))
    high: float = Field(description="highest value (or factor, with how: scale)",
                        json_schema_extra=_unit(_VALUE_UNIT))
    integer: bool = Field(False, description="with how: set, whole numbers only (each equally likely)",
                          json_schema_extra=_unit("true or false"))
    provenance: str = Field(description="where the range comes from: source:, literature:, policy:, calibrated: "
                                        "or assumption: …")

    @field_validator("paths")
    @classmethod
    def _syntax(cls, value: list[str]) -> list[str]:
        bad = [p for p in value if split_path(p) is None]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a dotted parameter path; write e.g. {EXAMPLES}")
        return value

    @field_validator("provenance")
    @classmethod
    def _provenance(cls, value: str) -> str:
        if value.split(":", 1)[0].strip() not in PROVENANCE_KINDS or not value.split(":", 1)[-1].strip():
            raise ValueError(f"a range needs a provenance note starting with one of "
                             f"{', '.join(k + ':' for k in PROVENANCE_KINDS)} (e.g. 'assumption: …')")
        return value

    @model_validator(mode="after")
    def _range(self) -> UncertainParameter:
        if not self.low < self.high:
            raise ValueError(f"'low' ({self.low:g}) must be below 'high' ({self.high:g})")
        if self.how == "scale" and self.low <= 0:
            raise ValueError("a scale factor must be above 0 ('low')")
        if self.integer and self.how == "scale":
            raise ValueError("'integer' applies to how: set; a scaled whole-number field is rounded anyway")
        if self.integer and (self.low != math.floor(self.low) or self.high != math.floor(self.high)):
            raise ValueError("with 'integer: true', 'low' and 'high' must be whole numbers")
        return self

    @property
    def label(self) -> str:
        return self.name or self.paths[0]

    def from_unit(self, u: float) -> float:
        """The value (or factor) at ``u`` in [0, 1): uniform over the range; whole numbers equally likely."""
        if self.integer:
            return float(min(math.floor(self.low + u * (self.high - self.low + 1)), self.high))
        return self.low + u * (self.high - self.low)


Where = tuple[int | str, ...]  # a place in the section: (i,), (i, "paths", j), (i, "high")…


def check_paths(parameters: list[UncertainParameter], data: dict[str, Any]) -> list[tuple[Where, str]]:
    """Problems of the section against scenario data: (place in the section, message); empty when all fit.

    Every path must name numbers of the scenario, no value may be set by two entries, and a
    whole-number value needs ``integer: true`` (or ``how: scale``): a drawn fraction would not fit it.
    """
    problems: list[tuple[Where, str]] = []
    owner: dict[tuple[Any, ...], str] = {}
    for i, p in enumerate(parameters):
        for j, path in enumerate(p.paths):
            where: Where = (i, "paths", j)
            try:
                targets = expand_path(path, data)
            except ValueError as exc:
                problems.append((where, str(exc)))
                continue
            for t in targets:
                value = get_value(data, t)
                if isinstance(value, bool) or not isinstance(value, int | float):
                    problems.append((where, f"'{path}' names a value that is not a number ({value!r}); "
                                            "an uncertain parameter must be numeric"))
                    break
                if t in owner:
                    problems.append((where, f"'{path}' sets a value that '{owner[t]}' already sets"))
                    break
                if p.how == "set" and not p.integer and isinstance(value, int):
                    problems.append((where, f"'{path}' holds a whole number ({value!r}), which a drawn fraction "
                                            "would not fit; add 'integer: true' (whole numbers from low to high, "
                                            "each equally likely) or use 'how: scale'"))
                    break
                owner[t] = p.label
    return problems


def apply(data: dict[str, Any], parameters: list[UncertainParameter], values: list[float]) -> dict[str, Any]:
    """A copy of scenario data with each parameter's drawn value set (or scaled) at its paths."""
    out = copy.deepcopy(data)
    for p, value in zip(parameters, values, strict=True):
        for path in p.paths:
            for t in expand_path(path, out):
                old = get_value(out, t)
                if p.how == "set":
                    new: float | int = int(value) if p.integer or isinstance(old, int) and value.is_integer() else value
                else:
                    new = old * value
                    if isinstance(old, int):
                        new = max(1, int(round(new))) if old >= 1 else int(round(new))
                set_value(out, t, new)
    return out
