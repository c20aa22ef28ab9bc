"""Scenario discovery: the boxes of uncertain parameters in which a condition on an outcome holds (PRIM).

The Patient Rule Induction Method (Friedman and Fisher 1999; used for
scenario discovery by Bryant and Lempert 2010) peels thin slices off a box
of the parameter space, each time the slice whose removal raises the share
of "cases of interest" inside most, and records the *peeling trajectory*:
coverage (the share of all cases that lie in the box) against density (the
share of the box's points that are cases). A box is chosen on the trajectory
— here the one with the largest coverage among those with density at least
``min_density`` — and the search repeats on the points outside it.

The algorithm is the ``prim`` package (the standalone PRIM of the EMA
Workbench, maintained by the Project Platypus authors): the EMA Workbench
itself brings scikit-learn, statsmodels, seaborn and platypus-opt, and a
28 MB wheel, for this one function.
"""

from __future__ import annotations

import logging
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.errors import InputError

OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq, "!=": operator.ne,
}
_CONDITION = re.compile(r"^\s*(?P<metric>[A-Za-z_][A-Za-z0-9_]*)?\s*(?P<op>>=|<=|==|!=|>|<)\s*"
                        r"(?P<value>[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Condition:
    """``metric op value``, e.g. mean_restart_day > 20."""

    metric: str
    op: str
    value: float

    def holds(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(OPERATORS[self.op](np.asarray(values, dtype=float), self.value), dtype=bool)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


def parse_condition(text: str, outcome: str) -> Condition:
    """``"> 20"`` or ``"mean_restart_day > 20"`` (the metric, if named, must be the outcome); ValueError if not."""
    m = _CONDITION.match(text)
    if m is None:
        raise ValueError(f"cannot read the condition {text!r}; write e.g. \"{outcome} > 20\" or \"<= 0.05\" "
                         f"(operators: {', '.join(OPERATORS)})")
    metric = m.group("metric") or outcome
    if metric != outcome:
        raise ValueError(f"the condition names {metric!r} but the outcome is {outcome!r}; name the same metric "
                         "(or leave it out of the condition)")
    return Condition(metric, m.group("op"), float(m.group("value")))


@dataclass
class Box:
    """One box: limits of the restricted parameters and how well it captures the cases."""

    number: int
    limits: dict[str, tuple[Any, Any]]  # parameter → (min, max), or (levels kept, None) for a levels parameter
    coverage: float
    density: float
    mass: float
    quasi_p: dict[str, float]
    step: int  # the point of its peeling trajectory that was chosen


@dataclass
class Discovery:
    """What PRIM found."""

    condition: Condition
    points: int
    cases: int
    boxes: list[Box] = field(default_factory=list)
    trajectory: list[dict[str, float]] = field(default_factory=list)  # box, step, coverage, density, mass, restricted

    @property
    def base_rate(self) -> float:
        return self.cases / self.points if self.points else math.nan


def discover(x: Any, cases: np.ndarray, condition: Condition, max_boxes: int = 3, min_density: float = 0.8,
             peel_alpha: float = 0.05, paste_alpha: float = 0.05, mass_min: float = 0.05,
             max_quasi_p: float = 0.05) -> Discovery:
    """Run PRIM on parameters ``x`` (a DataFrame, one column per parameter) and the boolean ``cases``.

    Boxes are found until ``max_boxes``, until no case is left outside them,
    until the chosen box is no denser in cases than the data as a whole, or
    (after the first box) until a box falls short of ``min_density``.
    """
    try:
        import prim
        from prim.scenario_discovery_util import determine_restricted_dims
    except ImportError:
        raise InputError.single(
            "prim", "scenario discovery needs the PRIM package, an optional dependency because it is "
            "licensed GPL-3.0-or-later: install it with `pip install -e \".[discovery]\"` "
            "(the 'dev' extra includes it)") from None

    logging.getLogger("prim").setLevel(logging.WARNING)
    cases = np.asarray(cases, dtype=bool)
    result = Discovery(condition, len(cases), int(cases.sum()))
    if result.cases == 0 or result.cases == result.points:
        return result  # nothing to separate
    x = x.copy()
    for column in x.columns:  # PRIM peels integers as discrete values and text/booleans as categories
        if x[column].dtype == bool:
            x[column] = x[column].astype(object)
    finder = prim.Prim(x, cases, peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min)
    while len(result.boxes) < max_boxes:
        box = finder.find_box()
        if box is None:
            break
        traj = box.peeling_trajectory.reset_index(drop=True)
        number = len(result.boxes) + 1
        rows = [{"box": number, "step": int(step), "coverage": float(row["coverage"]),
                 "density": float(row["density"]), "mass": float(row["mass"]), "restricted": int(row["res dim"])}
                for step, row in traj.iterrows()]
        dense = traj.index[traj["density"] >= min_density]
        step = int(traj.loc[dense, "coverage"].idxmax()) if len(dense) else int(traj["density"].idxmax())
        box.select(step)
        # Bryant and Lempert's quasi-p: a restriction whose removal would not make the box's density
        # significantly lower (one-sided binomial test, p > max_quasi_p) is a peel of noise; drop it
        # (PRIM re-measures the box, adding a point to its trajectory)
        for name, qp in sorted(box._calculate_quasi_p(box._cur_box).items(), key=lambda kv: -kv[1]):
            if qp > max_quasi_p:
                box.drop_restriction(name)
        step = box._cur_box
        chosen = box.peeling_trajectory.reset_index(drop=True).loc[step]
        # the first box is reported whatever its density (the planner sees how weak it is); later ones only
        # if they reach min_density, so that the search does not end in boxes of noise
        if (float(chosen["density"]) <= result.base_rate or float(chosen["coverage"]) <= 0
                or (result.boxes and float(chosen["density"]) < min_density)):
            break
        # PrimBox.limits builds a float frame that pandas ≥ 3 refuses a categorical box's set of levels:
        # read the chosen limits and the quasi-p values (Bryant and Lempert's one-sided binomial test of
        # each restriction) from the box's trajectory directly
        lims = box._box_lims[step]
        quasi = {str(k): float(v) for k, v in box._calculate_quasi_p(step).items()}
        restricted = determine_restricted_dims(lims, finder._box_init)
        limits = {str(name): (_plain(lims[name][0]), _plain(lims[name][1])) for name in restricted}
        result.trajectory.extend(rows)  # the trajectories of the boxes kept
        result.boxes.append(Box(number, limits, float(chosen["coverage"]), float(chosen["density"]),
                                float(chosen["mass"]), quasi, step))
        if int(chosen["res dim"]) == 0:
            break
    return result


def _plain(value: Any) -> Any:
    """numpy scalars and sets as plain values (for CSV and JSON)."""
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    return value
