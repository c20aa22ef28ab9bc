"""What each variant costs, in the model's units and in yuan, and what its extra cost buys.

The modules declare which summary metrics are costs (:func:`sim.model.catalogue.costs`:
cadre-days deployed, reviewer-days, relief paid, loan money …). The scenario's
``decision.unit_costs`` values the public ones in yuan
(:class:`sim.scenario.decision.UnitCosts`); their sum is the variant's *public
cost*. Against its reference (``decision.references``), each variant then has
an extra cost (cadre-days, yuan) and gains (jobs and firms saved, the primary
metric), and the incremental ratio of the two with Fieller's interval
(:mod:`sim.analysis.cost_effectiveness`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from sim.analysis.cost_effectiveness import Incremental, incremental
from sim.analysis.stats import paired_difference, t_halfwidth
from sim.model import catalogue
from sim.scenario.decision import Decision, UnitCosts

if TYPE_CHECKING:
    import pandas as pd

Basis = Literal["cadre_days", "yuan"]
CADRE_DAYS = "cadre_days_deployed"
PER: dict[Basis, float] = {"cadre_days": 1_000.0, "yuan": 1_000_000.0}  # ratios per 1,000 cadre-days, per million yuan
EFFECTS = ("jobs_lost", "failures")  # besides the primary metric: jobs and firms saved
TAXES_REPAID = "taxes_repaid"  # deferred taxes paid back: what a variant collects less of is an extra public cost


def column(summary: pd.DataFrame, variant: str, metric: str) -> np.ndarray:
    """One variant's values of ``metric``, in replication order (so that variants pair up)."""
    # only the two columns taken (a whole row of summary.csv is some hundred columns)
    rows = summary.loc[summary["variant"].astype(str) == variant, ["replication", metric]]
    return rows.sort_values("replication", kind="stable")[metric].to_numpy(dtype=float)


@dataclass
class Costs:
    """Costs per variant, public cost in yuan, and each variant's incremental cost-effectiveness."""

    metrics: list[str]  # the declared cost columns present, in their declared order
    missing: list[str]  # declared cost columns this run's summary.csv lacks
    valued: list[str]  # the columns that enter the public cost (valued by decision.unit_costs)
    means: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)  # (variant, metric): mean, hw
    public: dict[str, tuple[float, float]] = field(default_factory=dict)  # variant: mean yuan, hw
    extra: dict[tuple[str, Basis], tuple[float, float, float]] = field(default_factory=dict)  # mean, CI low, high
    effects: list[str] = field(default_factory=list)  # metrics whose gain is set against the extra cost
    ratios: dict[tuple[str, str, Basis], Incremental] = field(default_factory=dict)  # (variant, effect, basis)
    unit_costs: UnitCosts | None = None  # the valuation used

    def bases(self) -> list[Basis]:
        """The extra costs that ratios are given per (cadre-days when recorded; yuan when anything is valued)."""
        out: list[Basis] = []
        if CADRE_DAYS in self.metrics:
            out.append("cadre_days")
        if self.valued:
            out.append("yuan")
        return out


def gain(reference: np.ndarray, variant: np.ndarray, metric: str) -> np.ndarray:
    """Per replication, how much better the variant does on ``metric`` (positive: better)."""
    return catalogue.direction(metric) * (variant - reference)


def build_costs(summary: pd.DataFrame, variants: list[str], references: dict[str, str],
                decision: Decision) -> Costs:
    """Costs of every variant in ``variants`` and, for each one in ``references``, what its extra cost buys.

    ``summary`` holds the replications every variant has (so that they pair up).
    """
    declared = catalogue.costs()
    present = [m for m in declared if m in summary.columns]
    units = decision.unit_costs
    valued = [m for m in present if units.yuan_per_unit(m) is not None]
    costs = Costs(present, [m for m in declared if m not in summary.columns], valued, unit_costs=units)
    public: dict[str, np.ndarray] = {}
    for v in variants:
        for m in present:
            values = column(summary, v, m)
            finite = values[np.isfinite(values)]
            costs.means[(v, m)] = (float(finite.mean()) if len(finite) else math.nan, t_halfwidth(finite))
        if valued:
            public[v] = sum((column(summary, v, m) * float(units.yuan_per_unit(m) or 0.0) for m in valued),
                            start=np.zeros(len(column(summary, v, valued[0]))))
            finite = public[v][np.isfinite(public[v])]
            costs.public[v] = (float(finite.mean()) if len(finite) else math.nan, t_halfwidth(finite))
    primary = decision.primary_metric
    costs.effects = [m for m in dict.fromkeys([primary, *EFFECTS]) if m in summary.columns
                     and catalogue.direction(m)]
    for v, ref in references.items():
        extra: dict[Basis, np.ndarray] = {}
        if CADRE_DAYS in present:
            extra["cadre_days"] = column(summary, v, CADRE_DAYS) - column(summary, ref, CADRE_DAYS)
        if valued:
            extra["yuan"] = public[v] - public[ref]
            if TAXES_REPAID in summary.columns:  # a deferred tax the reference collects back and v does not
                extra["yuan"] = extra["yuan"] + units.forgone_tax_factor * (
                    column(summary, ref, TAXES_REPAID) - column(summary, v, TAXES_REPAID))
        for basis, paired in extra.items():
            diff = paired_difference(np.zeros_like(paired), paired)
            costs.extra[(v, basis)] = (diff.mean_difference, diff.ci_low, diff.ci_high)
            for m in costs.effects:
                costs.ratios[(v, m, basis)] = incremental(gain(column(summary, ref, m), column(summary, v, m), m),
                                                          paired / PER[basis])
    return costs
