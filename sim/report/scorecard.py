"""The decision scorecard: which variant, by how much, how sure, at what cost.

Every variant is compared with its reference, replication by replication
(common random numbers), on each headline metric. The reference is the base
unless the scenario's ``decision:`` section names another (``reference:`` for
all, ``references:`` per variant: a timing variant of "green channel for all"
is compared with "green channel for all"). A difference gets a plain verdict
against the metric's *minimal important difference* (MID, also from
``decision:``):

- **better** / **worse** (or **higher** / **lower** for a metric with no good
  direction): the 95 % CI excludes zero *and* the mean difference is at
  least the MID;
- **negligible**: the whole CI lies within ± MID (even if it excludes zero);
- **uncertain**: anything else (too few replications to tell);
- **not reached by either**: a threshold day that neither side reached in
  any replication (there is no difference to speak of).

A threshold day that some replications never reach (``day_resumed_90``
empty) is censored at the horizon, not dropped: the count is shown, and a
verdict that the censored replications contradict becomes "uncertain".

Variants are then ranked on the primary metric in tiers: a variant that
cannot be told apart from the best of a tier joins it, so the report never
names a winner on a tie. What each variant costs, and what its extra cost
buys, is :mod:`sim.report.costs`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from sim.analysis.stats import paired_difference
from sim.model import catalogue
from sim.report.costs import Costs, build_costs, column
from sim.scenario.decision import Decision

if TYPE_CHECKING:
    import pandas as pd

Verdict = Literal["better", "worse", "higher", "lower", "negligible", "uncertain", "not_reached", "no_data"]
CLEAR: frozenset[str] = frozenset({"better", "worse", "higher", "lower"})


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
        if len(ref) and cens_var == len(var) and cens_ref == len(ref):
            # neither side ever reached the threshold: no difference to speak of (never "negligible, 0 days")
            nan = math.nan
            return Cell(variant, reference, metric, 0, nan, nan, nan, mid, "not_reached", len(ref), cens_var,
                        cens_ref)
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
    reference: str  # the reference of the variants that name none
    variants: list[str]  # compared with their reference, in report order
    metrics: list[str]
    cells: dict[tuple[str, str], Cell]  # (variant, metric)
    tiers: list[Tier]
    replications: int
    references: dict[str, str] = field(default_factory=dict)  # variant: its reference
    costs: Costs | None = None
    winner: str | None = None  # clearly better than every other variant on the primary metric, else None

    def cell(self, variant: str, metric: str) -> Cell | None:
        return self.cells.get((variant, metric))

    def reference_of(self, variant: str) -> str:
        return self.references.get(variant, self.reference)

    def family(self, variant: str) -> str:
        """The variant that ``variant``'s chain of references starts from, below the default reference
        (green-for-all-day-40 → green-for-all-day-0 → green-for-all): the report shows a family together."""
        seen = {variant}
        while variant in self.references and self.references[variant] != self.reference \
                and self.references[variant] not in seen:
            variant = self.references[variant]
            seen.add(variant)
        return variant


def build_scorecard(summary: pd.DataFrame, variants: list[str], decision: Decision | None = None,
                    reference: str | None = None, horizon: float = math.nan) -> Scorecard | None:
    """The scorecard of a run's summary.csv; None when there is nothing to compare.

    Each variant is compared with ``decision.reference_of(variant)``; ``reference`` (given) replaces
    the decision's default reference. A variant whose reference is not in the run is left out.
    """
    decision = decision or Decision()
    default = reference or decision.reference
    if default not in variants or len(variants) < 2 or "replication" not in summary.columns:
        return None
    primary = decision.primary_metric
    metrics = [m for m in dict.fromkeys([primary, *catalogue.headline("scorecard")]) if m in summary.columns]
    if primary not in summary.columns:
        return None
    refs = {v: (decision.references.get(v) or default) for v in variants}
    refs = {v: r for v, r in refs.items() if v != r and r in variants}
    others = [v for v in variants if v in refs]
    if not others:
        return None
    # pair on the replications every variant has (an interrupted run may lack some)
    common = sorted(set.intersection(*(set(summary.loc[summary["variant"].astype(str) == v, "replication"])
                                       for v in variants)))
    summary = summary[summary["replication"].isin(common)]
    cells: dict[tuple[str, str], Cell] = {}
    for v in others:
        for m in metrics:
            cells[(v, m)] = compare_cell(column(summary, refs[v], m), column(summary, v, m), m, decision,
                                         v, refs[v], horizon)
    tiers = rank_tiers(summary, variants, primary, decision, horizon)
    card = Scorecard(primary, default, others, metrics, cells, tiers, len(common), refs)
    card.winner = clear_winner(summary, tiers, primary, decision, horizon)
    card.costs = build_costs(summary, variants, refs, decision)
    return card


def rank_tiers(summary: pd.DataFrame, variants: list[str], metric: str, decision: Decision,
               horizon: float = math.nan) -> list[Tier]:
    """Variants in tiers on ``metric``: best first; a variant joins the tier whose best member it cannot
    be told apart from (a verdict other than better/worse between them)."""
    direction = catalogue.direction(metric) or -1

    def key(v: str) -> tuple[int, float]:
        values = column(summary, v, metric)
        finite = values[np.isfinite(values)]
        mean = float(finite.mean()) if len(finite) else math.inf
        return int(len(values) - len(finite)), -direction * mean  # never reaching it ranks last

    ordered = sorted(variants, key=key)
    tiers: list[Tier] = []
    for v in ordered:
        if tiers:
            leader = tiers[-1].variants[0]
            cell = compare_cell(column(summary, leader, metric), column(summary, v, metric), metric, decision,
                                v, leader, horizon)
            if cell.verdict not in CLEAR:
                tiers[-1].variants.append(v)
                continue
        values = column(summary, v, metric)
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
            cell = compare_cell(column(summary, v, metric), column(summary, best, metric), metric, decision,
                                best, v, horizon)
            if cell.verdict != "better":
                return None
    return best
