"""What the planner decides on: the primary metric and the smallest difference worth acting on.

The report's scorecard compares every variant with the base on the headline
metrics and says "better", "worse", "negligible" or "uncertain". With common
random numbers a trivially small gap is statistically significant; a
*minimal important difference* (MID) per metric says how large a difference
must be before a planner would act on it. The scenario's ``decision:``
section sets the primary metric (the one variants are ranked by) and any MID
that differs from the defaults, which each metric declares with its module
(:mod:`sim.model.catalogue`).
"""

from __future__ import annotations

from pydantic import field_validator

from sim.model import catalogue
from sim.scenario.params import Strict, param


class Decision(Strict):
    """The decision the scenario informs: the metric that ranks the variants and the differences that matter."""

    primary_metric: str = param(
        "mean_restart_day", unit="summary.csv column",
        meaning="metric the variants are ranked by in the report's scorecard (a summary.csv column whose "
                "better direction is known, e.g. mean_restart_day, day_resumed_90, failed_share, jobs_lost)",
        provenance="assumption: how soon firms restart is the question of the source document")
    minimal_differences: dict[str, float] = param(
        catalogue.default_mids, unit="metric's own unit (shares as fractions: 0.01 = 1 percentage point)",
        meaning="smallest difference from the base a planner would act on, per metric; a difference whose 95 % CI "
                "lies within ± this is 'negligible'. Metrics not named keep their defaults "
                "(1 day, 1 percentage point, 100 jobs, 10 firms, 1 incident, 5 loans, 10 million yuan)",
        provenance="assumption: the smallest gaps a city office would plan around")

    @field_validator("primary_metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        if not catalogue.direction(value):
            ranked = catalogue.ranked_metrics()
            raise ValueError(f"'{value}' is not a metric the scorecard can rank by; allowed: {', '.join(ranked)}")
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
