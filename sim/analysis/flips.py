"""Where the answer flips: the values of the uncertain parameters at which the leading variant stops being best.

Input: a robustness run's points (``robustness_points.csv``: each point's drawn
value of every uncertain parameter, and per variant whether it is among the
best there, within the minimal important difference). The *leaders* are the
variants a run ranks first on the primary metric (its clear winner, or the
variants it cannot tell apart at the top). A point *flips* the answer when no
leader is among the best there.

Two descriptions of the flipped points:

- per parameter, the single cut that best separates them from the others
  (``x ≤ c`` or ``x ≥ c``, chosen by Youden's J = sensitivity + specificity − 1;
  the cut halfway between the two drawn values it falls between): a threshold
  a planner can read ("below 0.9 × the assumed inspectors");
- the box PRIM finds around them over every parameter at once
  (:func:`sim.analysis.discovery.discover`), when the optional ``prim``
  package is installed: a region, with its coverage (share of the flipped
  points inside) and density (share of the points inside that flip).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

SEPARATES = 0.5  # Youden's J from which a single cut is reported as where the answer flips


@dataclass(frozen=True)
class Threshold:
    """A cut of one parameter: on its ``side`` the answer flips (at most points)."""

    parameter: str
    side: Literal["below", "above"]
    value: float
    flipped_inside: int  # flipped points on that side of the cut
    inside: int  # points on that side
    flipped: int  # flipped points in all
    youden: float


@dataclass
class Flips:
    """Where the leaders stop being best."""

    leaders: list[str]
    points: int
    flipped: list[int]  # the points where no leader is among the best
    instead: dict[str, int] = field(default_factory=dict)  # variant best at flipped points: how many
    thresholds: list[Threshold] = field(default_factory=list)  # parameters that separate them, best first
    box: dict[str, tuple[float, float]] = field(default_factory=dict)  # PRIM's restricted limits
    box_coverage: float = math.nan
    box_density: float = math.nan
    prim: Literal["found", "none", "not installed", "not run"] = "not run"


def best_cut(x: np.ndarray, flipped: np.ndarray, name: str) -> Threshold | None:
    """The cut of ``x`` that best separates the flipped points (None when ``x`` does not vary or none flips)."""
    total, n = int(flipped.sum()), len(x)
    if total in (0, n):
        return None
    values = np.unique(x)
    if len(values) < 2:
        return None
    best: Threshold | None = None
    for lo, hi in zip(values[:-1], values[1:], strict=True):
        cut = (lo + hi) / 2
        for side in ("below", "above"):
            inside = x <= cut if side == "below" else x >= cut
            hits = int((inside & flipped).sum())
            sensitivity = hits / total
            specificity = int((~inside & ~flipped).sum()) / (n - total)
            j = sensitivity + specificity - 1
            if best is None or j > best.youden + 1e-12:
                best = Threshold(name, side, float(cut), hits, int(inside.sum()), total, float(j))  # type: ignore[arg-type]
    return best


def answer_flips(points: pd.DataFrame, parameters: list[str], leaders: list[str], prim: bool = True) -> Flips:
    """The points where none of ``leaders`` is best, what wins there, and where they lie.

    ``points``: one row per (point, variant) with columns ``point``, ``variant``, ``best`` and one per
    parameter (its drawn value at the point).
    """
    wide_best = points.pivot_table(index="point", columns="variant", values="best", aggfunc="first")
    known = [v for v in leaders if v in wide_best.columns]
    values = points.drop_duplicates("point").set_index("point").loc[wide_best.index, parameters]
    flipped_mask = ~wide_best[known].astype(bool).any(axis=1).to_numpy() if known else \
        np.zeros(len(wide_best), dtype=bool)
    out = Flips(known, len(wide_best), [int(p) for p in wide_best.index[flipped_mask]])
    if not out.flipped:
        return out
    for p in out.flipped:
        for v in wide_best.columns[wide_best.loc[p].astype(bool).to_numpy()]:
            out.instead[str(v)] = out.instead.get(str(v), 0) + 1
    out.instead = dict(sorted(out.instead.items(), key=lambda kv: -kv[1]))
    cuts = [best_cut(values[p].to_numpy(dtype=float), flipped_mask, p) for p in parameters]
    out.thresholds = sorted((c for c in cuts if c is not None and c.youden >= SEPARATES), key=lambda c: -c.youden)
    if prim:
        _prim_box(out, values, flipped_mask)
    return out


def _prim_box(out: Flips, values: pd.DataFrame, flipped: np.ndarray) -> None:
    """PRIM's box around the flipped points (out.prim says whether it ran and found one)."""
    from sim.analysis.discovery import Condition, discover
    from sim.errors import InputError

    try:
        found = discover(values.reset_index(drop=True), flipped, Condition("leaders_not_best", "==", 1.0),
                         max_boxes=1)
    except InputError:  # the optional prim package is not installed
        out.prim = "not installed"
        return
    if not found.boxes:
        out.prim = "none"
        return
    box = found.boxes[0]
    out.box = {k: (float(lo), float(hi)) for k, (lo, hi) in box.limits.items()
               if isinstance(lo, int | float) and isinstance(hi, int | float)}
    out.box_coverage, out.box_density, out.prim = box.coverage, box.density, "found"
