"""Policies move the outcomes in the expected direction (DESIGN section 6, issue "the whole model").

Each test runs the base and a variant of a bundled policy-family scenario on
common random numbers, at an eighth of the Tieling population (about 500
firms) with one reviewer and one inspector per county (so that the offices
still queue: a county's firms share one reviewer instead of two to four), and
compares paired differences over R replications. A direction holds when the
mean paired difference is beyond 3 standard errors of the mean difference on
the expected side (one-sided; with the standard error estimated from 6
replications, P(t₅ > 3) ≈ 1.5 % false alarm where there is no effect), with
fixed seeds so the test is repeatable.

Size: at this scale the effects tested here measure 5.1 (incidents under full
coverage) to 30 standard errors, beyond the 3 required (the mean paired
difference over its standard error, printed for each check by wrapping
``_diff``). It is also the smallest size that keeps them: at a sixteenth of
the population the earlier loan window's effect falls to 2.7 standard errors
and its test fails; a larger population would buy nothing but time.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.model.world import run_replication
from sim.results.run_result import RunResult
from sim.scenario.loader import deep_merge, load_scenario
from sim.scenario.schema import Scenario

pytestmark = pytest.mark.slow  # each test runs 12 replications of 500 firms (about 5 s)

SCENARIOS = Path(__file__).parent.parent / "scenarios"
REPLICATIONS = 6
SCALE = 8  # the population, and the cadres who serve it, divided by this (module docstring: "Size")


def _small(raw: dict[str, Any]) -> dict[str, Any]:
    """A scenario at 1/SCALE of its population and cadres, one reviewer and one inspector per county, 90 days."""
    raw = dict(raw)
    raw["population"] = {"strata": [dict(s, count=max(1, s["count"] // SCALE)) for s in raw["population"]["strata"]]}
    raw["counties"] = [dict(c, approval_reviewers=1, inspectors=1,
                            liaisons=None if c.get("liaisons") is None else c["liaisons"] // SCALE)
                       for c in raw["counties"]]
    raw["cadres"] = deep_merge(raw["cadres"], {"liaisons": {"count": raw["cadres"]["liaisons"]["count"] // SCALE},
                                               "supervisors": {"count": raw["cadres"]["supervisors"]["count"] // SCALE}})
    raw["horizon_days"] = 90
    return raw


def _pair(file: str, variant: str, reference: str = "base", **extra: Any) -> tuple[list[RunResult], list[RunResult]]:
    loaded = load_scenario(SCENARIOS / file)
    named = dict(loaded.all_variants())
    out = []
    for name in (reference, variant):
        raw = deep_merge(_small(named[name].model_dump(by_alias=True)), extra)
        sc = Scenario.model_validate(raw)
        out.append([run_replication(sc, name, r) for r in range(REPLICATIONS)])
    return out[0], out[1]


def _diff(ref: list[RunResult], var: list[RunResult], get: Any) -> tuple[float, float]:
    d = np.array([get(b) - get(a) for a, b in zip(ref, var, strict=True)], dtype=float)
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(len(d)))


def _lower(ref: list[RunResult], var: list[RunResult], get: Any) -> tuple[float, float]:
    mean, se = _diff(ref, var, get)
    assert mean + 3 * se < 0, f"expected a decrease: mean difference {mean:.4g}, standard error {se:.3g}"
    return mean, se


def test_fast_track_lowers_mean_restart_day() -> None:
    ref, var = _pair("fast-track.yaml", "fast-track")
    _lower(ref, var, lambda r: r.summary["mean_restart_day"])


def test_full_coverage_lowers_restart_day_and_incidents() -> None:
    # outbreak hazard raised 50-fold so that incidents are frequent enough to compare in a small test
    ref, var = _pair("coverage-111.yaml", "full-one-to-one", reference="no-coverage",
                     outbreak={"hazard_per_worker": 5e-4})
    _lower(ref, var, lambda r: r.summary["mean_restart_day"])
    _lower(ref, var, lambda r: r.summary["incidents"])


def test_earlier_loan_window_lowers_failures() -> None:
    # small firms on the green channel's list (the loan-timing variant in which timing matters);
    # every firm that foresees a shortfall applies and is granted, so that timing is the only difference
    loans = {"apply_probability": 1.0, "apply_probability_liaison": 1.0, "no_collateral_factor": 1.0,
             "approval_probability": {"above_scale": 1.0, "sme": 1.0, "micro": 1.0}}
    ref, var = _pair("loan-timing.yaml", "green-for-all-day-0", reference="green-for-all-day-40",
                     policies={"loans": loans})
    _lower(ref, var, lambda r: r.summary["failures"])


def test_no_quarantine_brings_workers_back_sooner() -> None:
    loaded = load_scenario(SCENARIOS / "tieling-2020.yaml")
    raw = _small(loaded.base.model_dump(by_alias=True))
    runs = []
    for days in (14.0, 0.0):
        sc = Scenario.model_validate(deep_merge(raw, {"policies": {"workforce": {"quarantine_days_override": days}}}))
        runs.append([run_replication(sc, f"q{days:g}", r) for r in range(REPLICATIONS)])
    # day 20: non-local workers approved in the first week are back only without quarantine
    mean, _ = _diff(runs[1], runs[0], lambda r: r.series["workers_back_share"][20])
    assert mean < 0
    _lower(runs[1], runs[0], lambda r: r.series["workers_back_share"][20])
