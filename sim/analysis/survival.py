"""Time to restart with censoring: Kaplan–Meier curves and the median restart day.

An enterprise still closed at the horizon has not "failed to restart": it is
right-censored at the horizon, so it stays in the risk set until then instead
of being dropped (dropping it, as the mean restart day of the restarted does,
makes slow policies look fast). A firm that fails before restarting never
restarts either, so it is censored at the horizon too: the curve is then the
share of enterprises still closed.

Curves are pooled per variant over replications (``scipy.stats.ecdf`` on
``scipy.stats.CensoredData``) and the band is scipy's pointwise 95 %
confidence interval from Greenwood's variance on the log-log scale, which stays
within [0, 1]. The median restart day is the first day the curve is at or
below one half; its 95 % CI is read off the band in the same way (lower end:
where the lower band reaches one half; upper end: where the upper band does).
NaN means "not reached by the horizon".
Pooling treats enterprises as independent; firms of one replication share
queues and cadres, so the band is, if anything, narrow; the replication-level
comparison of variants is in comparison.csv. The firms of a cohort (a
stratum's ``cohort_size``) share every draw: each counts for the curve, and
the band is widened by the design effect of such clusters (Σ m² / Σ m over
the cohorts' sizes m), as if each cohort were one observation.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from sim.analysis.stats import CONFIDENCE

if TYPE_CHECKING:
    import pandas as pd

    from sim.results.run_result import RunResult

KM_COLUMNS = ["variant", "day", "survival", "ci_low", "ci_high"]
SURVIVAL_COLUMNS = ["variant", "enterprises", "restarted", "censored", "horizon_days",
                    "km_median_restart_day", "km_median_ci_low", "km_median_ci_high"]


@dataclass(frozen=True)
class KaplanMeier:
    """A product-limit curve of the share still closed, evaluated on a grid of times."""

    times: np.ndarray
    survival: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    enterprises: int
    events: int
    median: float
    median_ci_low: float
    median_ci_high: float


def censored_restarts(restart_day: ArrayLike, horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """(time, observed): the restart day, or the horizon for a firm still closed (observed False).

    A restart recorded after the horizon cannot happen in a run; it is treated as closed.
    """
    days = np.asarray(restart_day, dtype=float)
    observed = np.isfinite(days) & (days <= horizon)
    return np.where(observed, days, float(horizon)), observed


def kaplan_meier(times: ArrayLike, observed: ArrayLike, grid: ArrayLike,
                 confidence: float = CONFIDENCE, units: ArrayLike | None = None) -> KaplanMeier:
    """The Kaplan–Meier estimate S(t) = P(T > t) on ``grid``, with its pointwise band and median.

    ``times`` are event or censoring times and ``observed`` says which are
    events. Uses ``scipy.stats.ecdf`` on ``scipy.stats.CensoredData``.
    ``units`` (optional) names each row's independent unit: rows of one unit
    (the firms of a cohort) have the same time, and the band and the median's
    CI are widened by the clusters' design effect (see :func:`_band`).
    """
    from scipy import stats

    t = np.asarray(times, dtype=float)
    obs = np.asarray(observed, dtype=bool)
    g = np.asarray(grid, dtype=float)
    if t.shape != obs.shape:
        raise ValueError("times and observed differ in length")
    if len(t) == 0:
        nan = np.full(g.shape, math.nan)
        return KaplanMeier(g, nan, nan, nan, 0, 0, math.nan, math.nan, math.nan)
    fit = stats.ecdf(stats.CensoredData(uncensored=t[obs], right=t[~obs]))
    surv = np.asarray(fit.sf.evaluate(g), dtype=float)
    deff = 1.0
    if units is not None:
        _, sizes = np.unique(np.asarray(units), return_counts=True)
        deff = float((sizes.astype(float) ** 2).sum() / sizes.sum())
    low, high = _band(fit, g, surv, confidence, deff)
    # The median and its CI come from the step functions at their jump times, not the grid.
    jumps = np.asarray(fit.sf.quantiles, dtype=float)
    s_jump = np.asarray(fit.sf.probabilities, dtype=float)
    low_j, high_j = _band(fit, jumps, s_jump, confidence, deff)
    return KaplanMeier(g, surv, low, high, len(t), int(obs.sum()), _first_at_most_half(jumps, s_jump),
                       _first_at_most_half(jumps, low_j), _first_at_most_half(jumps, high_j))


def _band(fit, at: np.ndarray, surv: np.ndarray, confidence: float,  # type: ignore[no-untyped-def]
          deff: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Greenwood's pointwise band on the log-log scale, its half-width × sqrt(``deff``).

    ``deff`` is the design effect of rows that come in clusters of identical outcomes (the firms of
    a cohort): Σ m² / Σ m over the clusters' sizes m, which makes the band of k copies of each
    observation the band of the observations themselves.
    """
    if not len(at):
        return surv.copy(), surv.copy()
    with warnings.catch_warnings():  # undefined where S is 0 or 1; filled in below
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = fit.sf.confidence_interval(confidence, method="log-log")
        low = np.asarray(ci.low.evaluate(at), dtype=float)
        high = np.asarray(ci.high.evaluate(at), dtype=float)
    if deff != 1.0:
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.log(-np.log(surv))
            grow = math.sqrt(deff)
            wide_low = np.exp(-np.exp(c + grow * (np.log(-np.log(low)) - c)))
            wide_high = np.exp(-np.exp(c - grow * (c - np.log(-np.log(high)))))
        low = np.where(np.isfinite(wide_low), wide_low, low)
        high = np.where(np.isfinite(wide_high), wide_high, high)
    # Before the first restart S = 1 with no variance; after the last firm restarted S = 0.
    for edge in (0.0, 1.0):
        fill = (surv == edge) & ~(np.isfinite(low) & np.isfinite(high))
        low[fill], high[fill] = edge, edge
    return low, high


def _first_at_most_half(times: np.ndarray, values: np.ndarray) -> float:
    hit = np.flatnonzero(values <= 0.5)
    return float(times[hit[0]]) if len(hit) else math.nan


def restart_curves(results: list[RunResult], horizons: dict[str, float],
                   confidence: float = CONFIDENCE) -> dict[str, KaplanMeier]:
    """One Kaplan–Meier restart curve per variant, pooled over its replications, on days 0..horizon."""
    by_variant: dict[str, list[np.ndarray]] = {}
    units: dict[str, list[np.ndarray]] = {}  # independent unit of each firm row (a cohort's firms: one)
    cohorts = any("cohort" in r.attributes for r in results)
    for r in results:
        by_variant.setdefault(r.variant, []).append(np.asarray(r.outcomes["restart_day"], dtype=float))
        if cohorts:
            n = len(r.enterprise_ids)
            unit = np.asarray(r.attributes["cohort"], dtype=np.int64) if "cohort" in r.attributes else np.arange(n)
            taken = sum(len(u) for u in units.get(r.variant, []))  # keep the units of replications apart
            units.setdefault(r.variant, []).append(unit + taken)
    curves: dict[str, KaplanMeier] = {}
    for name, arrays in by_variant.items():
        horizon = float(horizons[name])
        days = np.concatenate(arrays) if arrays else np.empty(0)
        times, observed = censored_restarts(days, horizon)
        grid = np.arange(0, math.floor(horizon) + 1, dtype=float)
        unit_ids = np.concatenate(units[name]) if cohorts and units.get(name) else None
        curves[name] = kaplan_meier(times, observed, grid, confidence, unit_ids)
    return curves


def km_frame(curves: dict[str, KaplanMeier]) -> pd.DataFrame:
    """restart_km.csv: variant, day, survival (share still closed), ci_low, ci_high."""
    import pandas as pd

    frames = [pd.DataFrame({"variant": name, "day": c.times, "survival": c.survival,
                            "ci_low": c.ci_low, "ci_high": c.ci_high}) for name, c in curves.items()]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=KM_COLUMNS)


def survival_frame(curves: dict[str, KaplanMeier], horizons: dict[str, float]) -> pd.DataFrame:
    """restart_survival.csv: per variant, the pooled counts and the KM median restart day with its CI."""
    import pandas as pd

    rows = [{"variant": name, "enterprises": c.enterprises, "restarted": c.events,
             "censored": c.enterprises - c.events, "horizon_days": float(horizons[name]),
             "km_median_restart_day": c.median, "km_median_ci_low": c.median_ci_low,
             "km_median_ci_high": c.median_ci_high} for name, c in curves.items()]
    return pd.DataFrame(rows, columns=SURVIVAL_COLUMNS)


def median_text(curves: dict[str, KaplanMeier]) -> str:
    """One line per variant: the KM median restart day and its 95 % CI ("never" when not reached)."""
    def day(x: float) -> str:
        return f"{x:.1f}" if math.isfinite(x) else "never"

    lines = ["Median restart day (Kaplan–Meier, firms still closed censored at the horizon; 95% CI):"]
    width = max((len(name) for name in curves), default=0)
    for name, c in curves.items():
        lines.append(f"  {name.ljust(width)}  {day(c.median)} [{day(c.median_ci_low)}, {day(c.median_ci_high)}]"
                     f"  ({c.enterprises - c.events:,} of {c.enterprises:,} censored)")
    return "\n".join(lines)
