"""Incremental cost-effectiveness of a variant against its reference, on paired replications.

In replication i the variant gains ``effect[i]`` over its reference (positive:
better, e.g. jobs saved) at an extra cost ``cost[i]`` (cadre-days, yuan). The
incremental cost-effectiveness ratio is the ratio of the mean gain to the mean
extra cost — never the mean of per-replication ratios, and never the gain
divided by the variant's *total* cost (which would credit a variant with what
the reference spends as well).

Its 95 % interval is Fieller's (Fieller 1954; for cost-effectiveness, Willan and
O'Brien 1996, Health Economics 5:297-305): the ratios R for which
``mean(effect) − R·mean(cost)`` is within its paired t-interval of zero. It is
bounded only when the extra cost is clearly not zero; otherwise the ratio has
no meaningful interval and is reported as undefined.

The ratio means different things by quadrant: a variant that costs more and
does better buys its gain at that rate; one that costs less and does worse
gives up that much per unit saved; one that costs more and does no better is
dominated, one that costs less and does no worse dominates (no ratio is shown
for those two, as a negative ratio would read as a price). When the extra cost
is not clearly different from zero, neither the ratio nor the quadrant can be
told.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from sim.analysis.stats import CONFIDENCE

Case = Literal["more_for_more", "less_for_less", "dominates", "dominated", "no_extra_cost", "unclear_cost",
               "no_data"]


@dataclass(frozen=True)
class Incremental:
    """A variant's gain per unit of extra cost over its reference, with Fieller's interval."""

    n: int  # pairs
    effect: float  # mean gain (positive: better)
    cost: float  # mean extra cost (negative: saves)
    ratio: float  # effect per unit of extra cost (NaN when there is no extra cost)
    low: float  # Fieller's interval; NaN when unbounded (the extra cost is not clearly non-zero)
    high: float
    case: Case

    @property
    def bounded(self) -> bool:
        return math.isfinite(self.low) and math.isfinite(self.high)


def fieller(effect: np.ndarray, cost: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Fieller's interval of mean(effect) / mean(cost) for paired samples; (NaN, NaN) when unbounded."""
    from scipy import stats

    n = len(effect)
    if n < 2:
        return math.nan, math.nan
    a, b = float(effect.mean()), float(cost.mean())
    cov = np.cov(np.vstack([effect, cost]), ddof=1) / n
    s_aa, s_bb, s_ab = float(cov[0, 0]), float(cov[1, 1]), float(cov[0, 1])
    t2 = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) ** 2
    # {R : (a − R b)² ≤ t² (s_aa − 2 R s_ab + R² s_bb)} is A R² + B R + C ≤ 0
    qa = b * b - t2 * s_bb
    qb = -2.0 * (a * b - t2 * s_ab)
    qc = a * a - t2 * s_aa
    if qa <= 0:  # the extra cost's interval holds zero: the set is unbounded
        return math.nan, math.nan
    disc = max(qb * qb - 4 * qa * qc, 0.0)
    root = math.sqrt(disc)
    return (-qb - root) / (2 * qa), (-qb + root) / (2 * qa)


def incremental(effect: ArrayLike, cost: ArrayLike, confidence: float = CONFIDENCE) -> Incremental:
    """The incremental ratio of paired gains ``effect`` to paired extra costs ``cost`` (NaN pairs dropped)."""
    e = np.asarray(effect, dtype=float)
    c = np.asarray(cost, dtype=float)
    keep = np.isfinite(e) & np.isfinite(c)
    e, c = e[keep], c[keep]
    n = len(e)
    if n == 0:
        return Incremental(0, math.nan, math.nan, math.nan, math.nan, math.nan, "no_data")
    mean_e, mean_c = float(e.mean()), float(c.mean())
    # an extra cost that is zero up to rounding is no extra cost (a loan variant deploys the same cadres)
    scale = max(1.0, float(np.abs(c).max()))
    if abs(mean_c) <= 1e-9 * scale:
        return Incremental(n, mean_e, mean_c, math.nan, math.nan, math.nan, "no_extra_cost")
    ratio = mean_e / mean_c
    low, high = fieller(e, c, confidence)
    if n > 1 and not (math.isfinite(low) and math.isfinite(high)):
        # the extra cost's interval holds zero: neither a price nor a quadrant can be told
        return Incremental(n, mean_e, mean_c, ratio, low, high, "unclear_cost")
    if mean_c > 0:
        case: Case = "more_for_more" if mean_e > 0 else "dominated"
    else:
        case = "less_for_less" if mean_e < 0 else "dominates"
    return Incremental(n, mean_e, mean_c, ratio, low, high, case)
