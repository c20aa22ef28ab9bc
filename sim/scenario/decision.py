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

import difflib
from typing import Annotated

from pydantic import AfterValidator, field_validator

from sim.model import catalogue
from sim.scenario.params import Strict, param


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
