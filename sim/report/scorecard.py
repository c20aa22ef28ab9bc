"""The decision scorecard: which variant, by how much, how sure, at what cost.

Every variant is compared with the base, replication by replication (common
random numbers), on each headline metric. A difference gets a plain verdict
against the metric's *minimal important difference* (MID, from the
scenario's ``decision:`` section):

- **better** / **worse** (or **higher** / **lower** for a metric with no good
  direction): the 95 % CI excludes zero *and* the mean difference is at
  least the MID;
- **negligible**: the whole CI lies within ± MID (even if it excludes zero);
- **uncertain**: anything else (too few replications to tell).

A threshold day that a replication never reaches (``day_resumed_90`` empty)
is censored at the horizon, not dropped: the count is shown, and a verdict
that the censored replications contradict becomes "uncertain".

Variants are then ranked on the primary metric in tiers: a variant that
cannot be told apart from the best of a tier joins it, so the report never
names a winner on a tie.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from sim.analysis.stats import paired_difference, t_halfwidth
from sim.model import catalogue
from sim.scenario.decision import Decision

if TYPE_CHECKING:
    import pandas as pd

Verdict = Literal["better", "worse", "higher", "lower", "negligible", "uncertain", "no_data"]
CLEAR: frozenset[str] = frozenset({"better", "worse", "higher", "lower"})

# The scorecard's rows, threshold days (empty when never reached) and costs are what the modules
# declare (sim.model.catalogue); cadre-days are the cost that effectiveness is measured against.
CADRE_DAYS = "cadre_days_deployed"


def verdict(diff: float, low: float, high: float, mid: float, direction: int) -> Verdict:
    """better / worse / higher / lower, negligible or uncertain for a difference (variant − base) and its CI.

    A clear verdict needs both: the CI excludes zero and ``|diff| >= mid``. A CI entirely within
    ``[-mid, +mid]`` is negligible. ``direction`` is -1 when lower is better, +1 when higher is
    better, 0 when neither.
    """
    if not math.isfinite(diff):
        return "no_data"
    if not (math.isfinite(low) and math.isfinite(high)):
        return "uncertain"  # a single pair: no interval
    if -mid <= low and high <= mid:
        return "negligible"
    if (low > 0 or high < 0) and abs(diff) >= mid:
        up = diff > 0
        if direction == 0:
            return "higher" if up else "lower"
        return "better" if up == (direction > 0) else "worse"
    return "uncertain"


@dataclass(frozen=True)
class Cell:
    """One variant against the reference on one metric."""

    variant: str
    reference: str
    metric: str
    n: int  # pairs where both values are finite
    difference: float
    ci_low: float
    ci_high: float
    mid: float
    verdict: Verdict
    replications: int
    censored_variant: int = 0  # replications in which the variant never reached the threshold
    censored_reference: int = 0


def compare_cell(values_ref: np.ndarray, values_var: np.ndarray, metric: str, decision: Decision,
                 variant: str, reference: str, horizon: float = math.nan) -> Cell:
    """The paired comparison of one metric, with censoring of threshold days at the horizon."""
    ref = np.asarray(values_ref, dtype=float)
    var = np.asarray(values_var, dtype=float)
    direction = catalogue.direction(metric)
    mid = decision.mid(metric)
    pd_ = paired_difference(ref, var)
    v = verdict(pd_.mean_difference, pd_.ci_low, pd_.ci_high, mid, direction)
    cens_var = cens_ref = 0
    if catalogue.is_censored(metric):
        cens_var, cens_ref = int(np.sum(~np.isfinite(var))), int(np.sum(~np.isfinite(ref)))
        v = _with_censoring(v, ref, var, mid, direction, horizon)
    return Cell(variant, reference, metric, pd_.n, pd_.mean_difference, pd_.ci_low, pd_.ci_high, mid, v,
                len(ref), cens_var, cens_ref)


def _with_censoring(v: Verdict, ref: np.ndarray, var: np.ndarray, mid: float, direction: int,
                    horizon: float) -> Verdict:
    """A threshold never reached is later than the horizon: replications where only one side reached it
    tell which side is later. A verdict they contradict, or one drawn from no finite pair, is adjusted."""
    only_var = np.isfinite(ref) & ~np.isfinite(var)  # the variant is later in these
    only_ref = ~np.isfinite(ref) & np.isfinite(var)  # the base is later in these
    if not only_var.any() and not only_ref.any():
        return v
    if only_var.any() and only_ref.any():
        return "uncertain"
    later = bool(only_var.any())  # the variant is later (a larger day) where the sides disagree
    if v == "no_data":  # no replication where both reached it: every informative one points one way
        if np.isfinite(horizon):
            gap = float(np.min(horizon - (ref[only_var] if later else var[only_ref])))
            if gap >= mid and not (np.isfinite(ref) & np.isfinite(var)).any():
                return ("worse" if later else "better") if direction < 0 else ("better" if later else "worse")
        return "uncertain"
    if v in ("better", "worse"):
        # for a day metric (direction -1) the variant being later means worse
        agrees = (v == "worse") == (later == (direction < 0))
        return v if agrees else "uncertain"
    return "uncertain"  # negligible on the pairs that reached it, but not in every replication


@dataclass(frozen=True)
class Tier:
    """Variants that cannot be told apart on the primary metric (best tier first)."""

    variants: list[str]
    mean: float


@dataclass
class Scorecard:
    """Everything the scorecard section shows."""

    primary: str
    reference: str
    variants: list[str]  # compared with the reference, in report order
    metrics: list[str]
    cells: dict[tuple[str, str], Cell]  # (variant, metric)
    tiers: list[Tier]
    replications: int
    costs: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)  # (variant, metric): mean, hw
    cost_metrics: list[str] = field(default_factory=list)
    missing_costs: list[str] = field(default_factory=list)
    effectiveness: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)  # jobs|firms
    winner: str | None = None  # clearly better than every other variant on the primary metric, else None

    def cell(self, variant: str, metric: str) -> Cell | None:
        return self.cells.get((variant, metric))


def _values(summary: pd.DataFrame, variant: str, metric: str) -> np.ndarray:
    rows = summary[summary["variant"].astype(str) == variant].sort_values("replication", kind="stable")
    return rows[metric].to_numpy(dtype=float)


def build_scorecard(summary: pd.DataFrame, variants: list[str], decision: Decision | None = None,
                    reference: str = "base", horizon: float = math.nan) -> Scorecard | None:
    """The scorecard of a run's summary.csv; None when there is nothing to compare."""
    decision = decision or Decision()
    if reference not in variants or len(variants) < 2 or "replication" not in summary.columns:
        return None
    primary = decision.primary_metric
    metrics = [m for m in dict.fromkeys([primary, *catalogue.headline("scorecard")]) if m in summary.columns]
    if primary not in summary.columns:
        return None
    others = [v for v in variants if v != reference]
    base_reps = set(summary.loc[summary["variant"].astype(str) == reference, "replication"])
    # pair on the replications every variant has (an interrupted run may lack some)
    common = sorted(set.intersection(base_reps, *(set(summary.loc[summary["variant"].astype(str) == v,
                                                                  "replication"]) for v in others)))
    summary = summary[summary["replication"].isin(common)]
    cells: dict[tuple[str, str], Cell] = {}
    for v in others:
        for m in metrics:
            cells[(v, m)] = compare_cell(_values(summary, reference, m), _values(summary, v, m), m, decision,
                                         v, reference, horizon)
    tiers = rank_tiers(summary, variants, primary, decision, horizon)
    card = Scorecard(primary, reference, others, metrics, cells, tiers, len(common))
    card.winner = clear_winner(summary, tiers, primary, decision, horizon)
    _add_costs(card, summary, variants, reference)
    return card


def rank_tiers(summary: pd.DataFrame, variants: list[str], metric: str, decision: Decision,
               horizon: float = math.nan) -> list[Tier]:
    """Variants in tiers on ``metric``: best first; a variant joins the tier whose best member it cannot
    be told apart from (a verdict other than better/worse between them)."""
    direction = catalogue.direction(metric) or -1

    def key(v: str) -> tuple[int, float]:
        values = _values(summary, v, metric)
        finite = values[np.isfinite(values)]
        mean = float(finite.mean()) if len(finite) else math.inf
        return int(len(values) - len(finite)), -direction * mean  # never reaching it ranks last

    ordered = sorted(variants, key=key)
    tiers: list[Tier] = []
    for v in ordered:
        if tiers:
            leader = tiers[-1].variants[0]
            cell = compare_cell(_values(summary, leader, metric), _values(summary, v, metric), metric, decision,
                                v, leader, horizon)
            if cell.verdict not in CLEAR:
                tiers[-1].variants.append(v)
                continue
        values = _values(summary, v, metric)
        finite = values[np.isfinite(values)]
        tiers.append(Tier([v], float(finite.mean()) if len(finite) else math.nan))
    return tiers


def clear_winner(summary: pd.DataFrame, tiers: list[Tier], metric: str, decision: Decision,
                 horizon: float = math.nan) -> str | None:
    """The best-ranked variant if it is clearly better than every other one on ``metric``, else None."""
    if len(tiers) < 2 or len(tiers[0].variants) != 1:
        return None
    best = tiers[0].variants[0]
    for tier in tiers[1:]:
        for v in tier.variants:
            cell = compare_cell(_values(summary, v, metric), _values(summary, best, metric), metric, decision,
                                best, v, horizon)
            if cell.verdict != "better":
                return None
    return best


def _add_costs(card: Scorecard, summary: pd.DataFrame, variants: list[str], reference: str) -> None:
    """Mean ± half-width of each cost column present, and jobs and firms saved per 1,000 cadre-days."""
    costs = catalogue.costs()
    card.cost_metrics = [m for m in costs if m in summary.columns]
    card.missing_costs = [m for m in costs if m not in summary.columns]
    for v in variants:
        for m in card.cost_metrics:
            values = _values(summary, v, m)
            finite = values[np.isfinite(values)]
            card.costs[(v, m)] = (float(finite.mean()) if len(finite) else math.nan, t_halfwidth(finite))
    if CADRE_DAYS not in summary.columns:
        return
    for label, column in (("jobs", "jobs_lost"), ("firms", "failures")):
        if column not in summary.columns:
            continue
        base = _values(summary, reference, column)
        for v in card.variants:
            cadre_days = _values(summary, v, CADRE_DAYS)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = (base - _values(summary, v, column)) / cadre_days * 1000.0
            ratio = ratio[np.isfinite(ratio)]
            if len(ratio):
                card.effectiveness[(v, label)] = (float(ratio.mean()), t_halfwidth(ratio))
