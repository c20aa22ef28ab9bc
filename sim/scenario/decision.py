"""What the planner decides on: the primary metric and the smallest difference worth acting on.

The report's scorecard compares every variant with the base on the headline
metrics and says "better", "worse", "negligible" or "uncertain". With common
random numbers a trivially small gap is statistically significant; a
*minimal important difference* (MID) per metric says how large a difference
must be before a planner would act on it. The scenario's ``decision:``
section sets the primary metric (the one variants are ranked by) and any MID
that differs from the defaults, which each metric declares with its module
(:mod:`sim.model.catalogue`).

It also says what each variant is compared with (``reference``, and
``references`` for a variant whose question is another variant: the window
on day 40 *within* "green channel for all" is compared with "green channel
for all", not with the base) and what a unit of public effort costs in yuan
(``unit_costs``), so that the scorecard can give incremental
cost-effectiveness per extra cadre-day and per extra yuan.
"""

from __future__ import annotations

import difflib
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator

from sim.model import catalogue
from sim.scenario.params import Strict, param

BASE = "base"  # the name of the scenario's base (as sim.scenario.loader names it)

# NBS, 15 May 2020: average wage of persons employed in urban non-private units in 2019, northeast region
NORTHEAST_WAGE_2019 = 71_721.0
EMPLOYER_ON_COSTS = 1.4  # assumption: pension 16 %, medical about 8 %, housing fund 12 %, the rest under 1 %
WORKING_DAYS = 250  # a year's working days in 2019-2020 (365 less 104 weekend days and 11 public holidays)
STAFF_DAY_YUAN = round(NORTHEAST_WAGE_2019 * EMPLOYER_ON_COSTS / WORKING_DAYS, -1)
_STAFF_DAY = (f"literature: NBS (15 May 2020), average 2019 wage of urban non-private units in the northeast, "
              f"{NORTHEAST_WAGE_2019:,.0f} yuan a year; × {EMPLOYER_ON_COSTS:g} for the employer's social "
              f"insurance and housing fund (assumption) ÷ {WORKING_DAYS} working days ≈ {STAFF_DAY_YUAN:,.0f} yuan; "
              "Tieling's wages are below the regional mean and the epidemic brought allowances, hence the range")


def _close(value: str, allowed: list[str]) -> str:
    """" Did you mean 'x'?" for a near miss, else nothing."""
    hint = difflib.get_close_matches(value, allowed, n=1, cutoff=0.6)
    return f" Did you mean '{hint[0]}'?" if hint else ""


def _known_metric_name(value: str) -> str:
    if catalogue.metric(value) is None:
        known = catalogue.summary_keys()
        raise ValueError(f"unknown metric '{value}'.{_close(value, known)} Metrics (columns of summary.csv): "
                         f"{', '.join(known)}")
    return value


# A metric named under minimal_differences: a misspelt one would leave the real one at its default
# silently (the scorecard would judge jobs lost against 100 while the planner wrote 200 as 'jobs_lots')
MetricName = Annotated[str, AfterValidator(_known_metric_name)]


class UnitCosts(Strict):
    """What a unit of each public resource costs, in yuan: the scorecard's costs in money.

    The model counts the resources (cadre-days deployed, reviewer-days, point-to-point
    transport, relief paid, green-channel loan money); these figures value them, so that a
    variant's public cost and its incremental cost-effectiveness can be given in yuan.
    """

    cadre_day_yuan: float = param(
        STAFF_DAY_YUAN, unit="yuan/cadre-day", ge=0, plausible_range=(300.0, 600.0),
        meaning="cost of a cadre-day deployed (liaisons and supervisors): wage and employer contributions "
                "of a civil servant taken from other work",
        provenance=_STAFF_DAY)
    reviewer_day_yuan: float = param(
        STAFF_DAY_YUAN, unit="yuan/working day", ge=0, plausible_range=(300.0, 600.0),
        meaning="cost of a working day of an approval reviewer (busy reviewer-days of the approval offices)",
        provenance=_STAFF_DAY)
    point_to_point_cost_factor: float = param(
        1.0, unit="yuan of public money per yuan", ge=0, le=1, plausible_range=(0.5, 1.0),
        meaning="share of the point-to-point (点对点) transport cost paid from public funds (the cost per "
                "worker carried is set per origin under workforce.origins)",
        provenance="assumption: the receiving governments chartered the 点对点 buses and trains free to the "
                   "workers in February-March 2020; 0.5 if the firms paid half")
    relief_cost_factor: float = param(
        1.0, unit="yuan of public money per yuan", ge=0, plausible_range=(1.0, 1.3),
        meaning="public cost of a yuan of relief paid (refunds, subsidies, the power-bill cut, rent waived)",
        provenance="assumption: relief counted at face value; up to 1.3 with a marginal cost of public funds")
    interest_subsidy_rate: float = param(
        0.0128, unit="per year", ge=0, le=1, plausible_range=(0.01, 0.016),
        meaning="fiscal interest subsidy on green-channel loan money, per year of the subsidy",
        provenance="policy: special re-lending of the PBoC, loans at a weighted 2.56 %, half of it paid by the "
                   "central budget (财金〔2020〕5号): 1.28 % a year")
    interest_subsidy_years: float = param(
        1.0, unit="years", gt=0, le=5,
        meaning="how long the interest subsidy is paid on a loan",
        provenance="policy: 财金〔2020〕5号, the discount is paid for at most one year")
    forgone_tax_factor: float = param(
        1.0, unit="yuan of public money per yuan", ge=0, le=1, plausible_range=(0.5, 1.0),
        meaning="public cost of a yuan of deferred tax that a variant does not collect back and its reference "
                "does (forgiven, or owed by firms that failed); counted in the extra public cost only",
        provenance="assumption: revenue not collected is public money at face value")

    def yuan_per_unit(self, metric: str) -> float | None:
        """Yuan of public money per unit of a summary metric (None: not a cost this section values)."""
        factors = {
            "cadre_days_deployed": self.cadre_day_yuan,
            "reviewer_days": self.reviewer_day_yuan,
            "point_to_point_cost": self.point_to_point_cost_factor,
            "relief_yuan": self.relief_cost_factor,
            "rent_relief_yuan": self.relief_cost_factor,
            "green_loan_amount": self.interest_subsidy_rate * self.interest_subsidy_years,
        }
        return factors.get(metric)


class Decision(Strict):
    """The decision the scenario informs: the metric that ranks the variants and the differences that matter."""

    primary_metric: str = param(
        "mean_restart_day", unit="summary.csv column",
        meaning="metric the variants are ranked by in the report's scorecard (a summary.csv column whose "
                "better direction is known, e.g. mean_restart_day, day_resumed_90, failed_share, jobs_lost)",
        provenance="assumption: how soon firms restart is the question of the source document")
    minimal_differences: dict[MetricName, float] = param(
        catalogue.default_mids, unit="metric's own unit (shares as fractions: 0.01 = 1 percentage point)",
        meaning="smallest difference from the base a planner would act on, per metric; a difference whose 95 % CI "
                "lies within ± this is 'negligible'. Metrics not named keep their defaults "
                "(1 day, 1 percentage point, 100 jobs, 10 firms, 1 incident, 5 loans, 10 million yuan)",
        provenance="assumption: the smallest gaps a city office would plan around")
    reference: str = param(
        BASE, unit="variant name", min_length=1,
        meaning="what the scorecard compares each variant with, unless references: names another",
        provenance="assumption: the base is what the city did")
    references: dict[str, str] = param(
        dict, unit="variant name → variant name",
        meaning="a variant's own reference, when its question is a contrast with another variant (e.g. "
                "green-for-all-day-40: green-for-all compares the window day within the green channel for all)",
        provenance="assumption: set by the planner per question")
    unit_costs: UnitCosts = Field(default_factory=UnitCosts, description="yuan per unit of each public resource, "
                                  "for the costs and cost-effectiveness in the scorecard")

    @field_validator("references")
    @classmethod
    def _not_itself(cls, value: dict[str, str]) -> dict[str, str]:
        same = [k for k, v in value.items() if k == v]
        if same:
            raise ValueError(f"a variant cannot be its own reference: {', '.join(same)}")
        return value

    @field_validator("primary_metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        if not catalogue.direction(value):
            ranked = catalogue.ranked_metrics()
            why = " (more or fewer is not better by itself)" if catalogue.metric(value) is not None else ""
            raise ValueError(f"'{value}' is not a metric the scorecard can rank by{why}; allowed: "
                             f"{', '.join(ranked)}.{_close(value, ranked)}")
        return value

    @field_validator("minimal_differences")
    @classmethod
    def _with_defaults(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [k for k, v in value.items() if not (v >= 0 and v < float("inf"))]
        if bad:
            raise ValueError(f"minimal differences must be finite and at least 0; check {bad}")
        return {**catalogue.default_mids(), **value}

    def mid(self, metric: str) -> float:
        """The minimal important difference of ``metric`` (0 when none is declared: any difference counts)."""
        return self.minimal_differences.get(metric, 0.0)

    def reference_of(self, variant: str) -> str:
        """What ``variant`` is compared with in the scorecard."""
        return self.references.get(variant, self.reference)

    def unknown_variants(self, names: list[str]) -> list[tuple[tuple[str, ...], str]]:
        """(path under decision:, problem) for each reference that names no variant of ``names``."""
        known = [BASE, *names]
        out: list[tuple[tuple[str, ...], str]] = []
        if self.reference not in known:
            out.append((("reference",), _no_variant(self.reference, known)))
        for variant, reference in self.references.items():
            if variant not in known:
                out.append((("references", variant), _no_variant(variant, known)))
            elif reference not in known:
                out.append((("references", variant), _no_variant(reference, known)))
        return out


def _no_variant(name: str, known: list[str]) -> str:
    return f"'{name}' is not a variant of this scenario.{_close(name, known)} Variants: {', '.join(known)}."
