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

An entry is a :class:`~sim.scenario.ranges.Parameter` (the declaration sweeps,
optimisation files and ``calibrate --fit`` use too), narrowed: a numeric range
(no levels: the robustness analysis weighs the drawn numbers), always an
uncertainty, with the provenance of its range. ``how: set`` puts the drawn
value itself at every path (``integer: true`` for whole numbers); ``how:
scale`` multiplies the value found there (a whole-number field is rounded, and
kept at least 1).
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field, model_validator

from sim.scenario.ranges import VALUE_UNIT, Parameter, Scalar, apply_values, field_extra, resolve


class UncertainParameter(Parameter):
    """One uncertain quantity: where it sits in the scenario, its range, and where the range comes from."""

    group: Literal["uncertainty"] = Field("uncertainty", exclude=True, description="always an uncertainty here",
                                          json_schema_extra={"unit": "uncertainty", "provenance": "the section"})
    low: float = Field(description="lowest value (or factor, with how: scale)", json_schema_extra=field_extra(VALUE_UNIT))
    high: float = Field(description="highest value (or factor, with how: scale)", json_schema_extra=field_extra(VALUE_UNIT))
    provenance: str = Field(description="where the range comes from: source:, literature:, policy:, calibrated: "
                                        "or assumption: …")

    @model_validator(mode="before")
    @classmethod
    def _numeric(cls, data: Any) -> Any:
        if isinstance(data, dict) and "levels" in data:
            raise ValueError("an uncertain parameter is a range of numbers ('low' and 'high'); levels belong in "
                             "sweep files")
        return data


Where = tuple[int | str, ...]  # a place in the section: (i,), (i, "paths", j), (i, "high")…


def check_paths(parameters: list[UncertainParameter], data: dict[str, Any]) -> list[tuple[Where, str]]:
    """Problems of the section against scenario data: (place in the section, message); empty when all fit.

    Every path must name numbers of the scenario and no value may be set by two entries
    (:func:`sim.scenario.ranges.resolve`); a whole-number value needs ``integer: true`` (or ``how:
    scale``), since a drawn fraction would not fit it.
    """
    bindings, issues = resolve(parameters, data)
    problems: list[tuple[Where, str]] = [((i, "paths", j), message) for i, j, message in issues]
    if problems:
        return problems
    for i, b in enumerate(bindings):
        p = b.parameter
        if p.how == "set" and not p.integer:
            for j, path in enumerate(p.paths):
                whole = b.whole_at(j)
                if whole:
                    problems.append(((i, "paths", j), f"'{path}' holds a whole number ({whole[0]!r}), which a drawn "
                                     "fraction would not fit; add 'integer: true' (whole numbers from low to high, "
                                     "each equally likely) or use 'how: scale'"))
    return problems


def apply(data: dict[str, Any], parameters: list[UncertainParameter], values: Sequence[Scalar]) -> dict[str, Any]:
    """A copy of scenario data with each parameter's drawn value set (or scaled) at its paths."""
    # a deep copy, made through pickle: the same copy as copy.deepcopy for plain data, three times faster
    # (a file's uncertainty section is checked at both ends of every range for every variant when it loads)
    out = pickle.loads(pickle.dumps(data, pickle.HIGHEST_PROTOCOL))
    bindings, issues = resolve(parameters, out)
    if issues:
        raise ValueError(issues[0][2])
    apply_values(out, bindings, values)
    return out
