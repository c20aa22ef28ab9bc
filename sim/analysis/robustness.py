"""Robustness of a ranking over declared uncertainty: pure functions from a table of results.

Input: one row per (point, variant, replication) with the primary metric;
each point is one draw of the uncertain parameters, and every variant was run
there on common random numbers. At each point the variants are compared by
their mean over replications, in the metric's better direction:

- **best**: the variants within the minimal important difference (MID) of the
  best mean. A point where k variants tie that way gives each 1/k of a win,
  so the shares of all variants sum to 1 and a tie is never a win;
- **regret**: how far a variant's mean is from the best mean at that point, in
  the metric's unit (0 for the best): its mean and worst over points;
- **rank**: 1 + the number of variants better by more than the MID;
- the **ranking changes** when some pair of variants swaps order by more than
  the MID between two points (A ahead of B by > MID at one point, B ahead of A
  by > MID at another).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

VARIANT_COLUMNS = ["variant", "points", "best_share", "wins", "ties", "regret_mean", "regret_worst",
                   "rank_best", "rank_worst", "metric_mean", "metric_low", "metric_high"]


@dataclass
class RobustnessOutcome:
    """What a ``run --robustness`` produced: where, the analysis, the points drawn, what ran."""

    out: Path
    robustness: Robustness
    values: Any  # DataFrame: point and the drawn value of each uncertain parameter
    influence: dict[str, float]
    runs: int
    ran: int
    reused: int
    failed: int
    wall_seconds: float
    workers: int


@dataclass
class Robustness:
    """The robustness figures of one metric over the points."""

    metric: str
    direction: int  # -1 lower is better, +1 higher is better
    mid: float
    variants: pd.DataFrame  # one row per variant (VARIANT_COLUMNS)
    points: pd.DataFrame  # one row per (point, variant): mean, regret, rank, best share
    reversals: list[tuple[str, str, int, int]] = field(default_factory=list)  # (A, B, point A ahead, point B ahead)

    @property
    def ranking_changes(self) -> bool:
        return bool(self.reversals)


def point_means(runs: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Mean of ``metric`` over replications per (point, variant), with the replication count ``n``.

    Empty values (a threshold never reached) are left out of the mean; ``n`` counts what remains.
    """
    finite = runs[np.isfinite(runs[metric].astype(float))]
    grouped = finite.groupby(["point", "variant"], sort=False)[metric]
    out = grouped.agg(["mean", "count"]).reset_index().rename(columns={"mean": "mean", "count": "n"})
    return out


def analyse(means: pd.DataFrame, metric: str, direction: int, mid: float,
            order: list[str] | None = None) -> Robustness:
    """Best share, regret, ranks and reversals from per-(point, variant) means (columns point, variant, mean).

    ``direction``: -1 when lower is better, +1 when higher is better. A point missing a
    variant's mean is left out for every variant (the comparison needs all of them).
    """
    import pandas as pd

    if direction not in (-1, 1):
        raise ValueError("the metric needs a better direction (-1 or +1)")
    if mid < 0 or not math.isfinite(mid):
        raise ValueError("the minimal important difference must be finite and at least 0")
    wide = means.pivot(index="point", columns="variant", values="mean")
    names = order or list(dict.fromkeys(means["variant"]))
    wide = wide[names].dropna(axis=0, how="any")
    # goodness: higher is better whatever the metric's direction
    good = wide.to_numpy(dtype=float) * direction
    best = good.max(axis=1, keepdims=True)
    regret = best - good
    # a tolerance on the MID so that a gap of exactly the MID (up to rounding) counts as within it
    tol = 1e-9 * max(1.0, float(np.nanmax(np.abs(good))) if good.size else 1.0)
    tied = regret <= mid + tol
    credit = tied / tied.sum(axis=1, keepdims=True)
    ahead = good[:, :, None] - good[:, None, :]  # [point, a, b]: a's lead over b
    rank = 1 + (ahead.transpose(0, 2, 1) > mid + tol).sum(axis=2)
    rows = []
    for j, name in enumerate(names):
        values = wide.to_numpy(dtype=float)[:, j]
        n = len(values)
        rows.append({
            "variant": name, "points": n,
            "best_share": float(credit[:, j].mean()) if n else math.nan,
            "wins": int(((tied[:, j]) & (tied.sum(axis=1) == 1)).sum()),
            "ties": int(((tied[:, j]) & (tied.sum(axis=1) > 1)).sum()),
            "regret_mean": float(regret[:, j].mean()) if n else math.nan,
            "regret_worst": float(regret[:, j].max()) if n else math.nan,
            "rank_best": int(rank[:, j].min()) if n else 0,
            "rank_worst": int(rank[:, j].max()) if n else 0,
            "metric_mean": float(values.mean()) if n else math.nan,
            "metric_low": float(values.min()) if n else math.nan,
            "metric_high": float(values.max()) if n else math.nan,
        })
    points = list(wide.index)
    per_point = pd.DataFrame([
        {"point": p, "variant": name, "mean": float(wide.iloc[i, j]), "regret": float(regret[i, j]),
         "rank": int(rank[i, j]), "best": bool(tied[i, j]), "best_share": float(credit[i, j])}
        for i, p in enumerate(points) for j, name in enumerate(names)])
    reversals = []
    for a, b in itertools.combinations(range(len(names)), 2):
        lead = ahead[:, a, b]
        a_ahead = np.flatnonzero(lead > mid + tol)
        b_ahead = np.flatnonzero(-lead > mid + tol)
        if len(a_ahead) and len(b_ahead):
            reversals.append((names[a], names[b], int(points[a_ahead[0]]), int(points[b_ahead[0]])))
    return Robustness(metric, direction, mid, pd.DataFrame(rows, columns=VARIANT_COLUMNS), per_point, reversals)


def influence(values: pd.DataFrame, per_point: pd.DataFrame, column: str = "regret") -> dict[str, float]:
    """Per uncertain parameter: the largest |Spearman correlation| over variants between its value and ``column``.

    ``values``: one row per point (column ``point`` and one column per parameter). A parameter
    or variant whose values do not vary gives 0. Sorted from the most to the least influential.
    """
    from scipy.stats import spearmanr

    out: dict[str, float] = {}
    params = [c for c in values.columns if c != "point"]
    for name in params:
        strongest = 0.0
        for _, group in per_point.groupby("variant", sort=False):
            joined = group.merge(values[["point", name]], on="point")
            x, y = joined[name].to_numpy(dtype=float), joined[column].to_numpy(dtype=float)
            if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
                continue
            rho = float(spearmanr(x, y).statistic)
            if math.isfinite(rho):
                strongest = max(strongest, abs(rho))
        out[name] = strongest
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def summary_text(rob: Robustness, influential: str | None = None) -> str:
    """A few lines for the terminal: per variant share best, regret, ranks; whether the ranking holds."""
    unit = rob.metric
    lines = [f"Robustness on {unit} ({'lower' if rob.direction < 0 else 'higher'} is better; a gap within "
             f"{rob.mid:g} is a tie) over {int(rob.variants['points'].max() if len(rob.variants) else 0)} point(s):"]
    header = ["variant", "best at", "wins", "ties", "mean regret", "worst regret", "rank"]
    rows = [header]
    for r in rob.variants.itertuples():
        rank = f"{r.rank_best}" if r.rank_best == r.rank_worst else f"{r.rank_best}-{r.rank_worst}"
        rows.append([str(r.variant), f"{r.best_share:.0%}", str(r.wins), str(r.ties), f"{r.regret_mean:.2f}",
                     f"{r.regret_worst:.2f}", rank])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    if rob.reversals:
        a, b, pa, pb = rob.reversals[0]
        more = f" (and {len(rob.reversals) - 1} more pair(s))" if len(rob.reversals) > 1 else ""
        lines.append(f"The ranking changes within the ranges: {a} is ahead of {b} by more than {rob.mid:g} at "
                     f"point {pa}, behind it at point {pb}{more}.")
    else:
        lines.append(f"The ranking holds within the ranges: no pair of variants swaps order by more than {rob.mid:g}.")
    if influential:
        lines.append(f"Most influential uncertain parameter (on regret): {influential}.")
    return "\n".join(lines)
