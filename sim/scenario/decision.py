"""What the planner decides on: the primary metric and the smallest difference worth acting on.

The report's scorecard compares every variant with the base on the headline
metrics and says "better", "worse", "negligible" or "uncertain". With common
random numbers a trivially small gap is statistically significant; a
*minimal important difference* (MID) per metric says how large a difference
must be before a planner would act on it. The scenario's ``decision:``
section sets the primary metric (the one variants are ranked by) and any MID
that differs from the defaults below.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Literal

from pydantic import AfterValidator, field_validator

from sim.scenario.params import Strict, param

Direction = Literal[-1, 0, 1]

# Which way is better for each metric of summary.csv: -1 lower is better, +1 higher is better,
# 0 neither (more loans can mean more help or more firms in distress).
DIRECTIONS: dict[str, Direction] = {
    "mean_restart_day": -1, "median_restart_day": -1, "p90_restart_day": -1,
    "mean_full_production_day": -1, "median_full_production_day": -1, "p90_full_production_day": -1,
    "day_resumed_50": -1, "day_resumed_90": -1,
    "restarted_share": 1, "full_production_share": 1, "resumed_share_end": 1, "workers_back_share_end": 1,
    "production_index_end": 1,
    "failed_share": -1, "failures": -1, "failed_before_restart": -1, "failed_after_restart": -1,
    "jobs_lost": -1, "output_lost": -1, "output_lost_share": -1, "incidents": -1,
    "mean_approval_wait": -1, "mean_problem_days": -1, "mean_loan_delay": -1, "mean_rework_rounds": -1,
    "loans_disbursed": 0, "loan_intentions": 0, "loan_amount": 0,
    "liaison_coverage": 1, "supervisor_coverage": 1,
}

# Minimal important differences, in each metric's unit of summary.csv (shares as fractions: 0.01 = 1 pp).
DEFAULT_MIDS: dict[str, float] = {
    "mean_restart_day": 1.0, "median_restart_day": 1.0, "p90_restart_day": 1.0,
    "mean_full_production_day": 1.0, "median_full_production_day": 1.0, "p90_full_production_day": 1.0,
    "day_resumed_50": 1.0, "day_resumed_90": 1.0,
    "restarted_share": 0.01, "full_production_share": 0.01, "resumed_share_end": 0.01,
    "workers_back_share_end": 0.01, "production_index_end": 0.01, "failed_share": 0.01,
    "output_lost_share": 0.01, "liaison_coverage": 0.01, "supervisor_coverage": 0.01,
    "failures": 10.0, "failed_before_restart": 10.0, "failed_after_restart": 10.0,
    "jobs_lost": 100.0, "output_lost": 1e7, "incidents": 1.0,
    "mean_approval_wait": 1.0, "mean_problem_days": 1.0, "mean_loan_delay": 1.0, "mean_rework_rounds": 0.1,
    "loans_disbursed": 5.0, "loan_intentions": 5.0, "loan_amount": 1e7,
}


def _close(value: str, allowed: list[str]) -> str:
    """" Did you mean 'x'?" for a near miss, else nothing."""
    hint = difflib.get_close_matches(value, allowed, n=1, cutoff=0.6)
    return f" Did you mean '{hint[0]}'?" if hint else ""


def _known_metric_name(value: str) -> str:
    if value not in DIRECTIONS:
        raise ValueError(f"unknown metric '{value}'.{_close(value, list(DIRECTIONS))} Metrics with a minimal "
                         f"difference (columns of summary.csv): {', '.join(DIRECTIONS)}")
    return value


# A metric named under minimal_differences: a misspelt one would leave the real one at its default
# silently (the scorecard would judge jobs lost against 100 while the planner wrote 200 as 'jobs_lots')
MetricName = Annotated[str, AfterValidator(_known_metric_name)]


class Decision(Strict):
    """The decision the scenario informs: the metric that ranks the variants and the differences that matter."""

    primary_metric: str = param(
        "mean_restart_day", unit="summary.csv column",
        meaning="metric the variants are ranked by in the report's scorecard (a summary.csv column whose "
                "better direction is known, e.g. mean_restart_day, day_resumed_90, failed_share, jobs_lost)",
        provenance="assumption: how soon firms restart is the question of the source document")
    minimal_differences: dict[MetricName, float] = param(
        lambda: dict(DEFAULT_MIDS), unit="metric's own unit (shares as fractions: 0.01 = 1 percentage point)",
        meaning="smallest difference from the base a planner would act on, per metric; a difference whose 95 % CI "
                "lies within ± this is 'negligible'. Metrics not named keep their defaults "
                "(1 day, 1 percentage point, 100 jobs, 10 firms, 1 incident, 5 loans, 10 million yuan)",
        provenance="assumption: the smallest gaps a city office would plan around")

    @field_validator("primary_metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        if not DIRECTIONS.get(value):
            ranked = [m for m, d in DIRECTIONS.items() if d]
            why = " (more or fewer is not better by itself)" if value in DIRECTIONS else ""
            raise ValueError(f"'{value}' is not a metric the scorecard can rank by{why}; allowed: "
                             f"{', '.join(ranked)}.{_close(value, ranked)}")
        return value

    @field_validator("minimal_differences")
    @classmethod
    def _with_defaults(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [k for k, v in value.items() if not (v >= 0 and v < float("inf"))]
        if bad:
            raise ValueError(f"minimal differences must be finite and at least 0; check {bad}")
        return {**DEFAULT_MIDS, **value}

    def mid(self, metric: str) -> float:
        """The minimal important difference of ``metric`` (0 when none is declared: any difference counts)."""
        return self.minimal_differences.get(metric, 0.0)
