"""Cadres with a working day (sim/model/cadres/): directions and accounting.

Stochastic comparisons run both settings on common random numbers (same seed,
same streams) and hold when the mean paired difference over R replications is
beyond 3 standard errors of that mean on the expected side (one-sided; with the
standard error estimated from 6 replications, P(t₅ > 3) ≈ 1.5 % false alarm
where there is no effect). Those on the default scenario run it at an eighth of
its size (tests/test_policy_directions.py), where their effects measure 11 to
17 standard errors. Deterministic checks use tiny scenarios with fixed durations.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.model.world import City, RunResult, run_replication
from sim.population import build_population
from sim.scenario.loader import deep_merge, load_scenario
from sim.scenario.schema import Scenario
from tests.conftest import tiny
from tests.test_policy_directions import _small

SCENARIOS = Path(__file__).parent.parent / "scenarios"
REPLICATIONS = 6


def _paired(a: list[float], b: list[float]) -> tuple[float, float]:
    d = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(len(d)))


def _built(sc: Scenario, replication: int = 0) -> City:
    city = City(sc, replication)
    city.run()
    return city


# -- deterministic accounting ---------------------------------------------------

def test_first_visits_fill_a_liaisons_day_in_turn() -> None:
    # one liaison, two firms, a 4-hour first visit each in an 8-hour day from day 0
    sc = tiny(cadres={"dispatch_day": 0, "liaisons": {"count": 1, "first_visit_hours": 4.0}},
              policies={"coverage": {"name": "one_plus_one_plus_one", "supervisors": False}})
    city = City(sc, 0)
    cadres = city.modules["cadres"]
    ends: list[float] = []
    for ent in city.enterprises:
        assert cadres.guidance(ent) is None  # no supervisor in this variant
        ev = cadres.first_visit(ent)  # asked before prepare() asks again: first in the queue
        assert ev is not None
        ev.callbacks.append(lambda _ev: ends.append(city.env.now))
    city.env.run(until=3)
    assert ends == pytest.approx([0.5, 1.0])
    # prepare()'s own two visits fill day 1; no hours are left for check-ins on days 0 and 1
    assert cadres.busy["liaison"][:2] == pytest.approx([8.0, 8.0])
    assert cadres.counts["checkins_missed"] == 4
    assert cadres.visited.all()


def test_ask_liaison_returns_none_without_a_liaison_and_waits_for_the_working_day() -> None:
    sc = tiny(cadres={"dispatch_day": 2, "liaisons": {"count": 1}},
              policies={"coverage": {"name": "one_plus_one_plus_one", "supervisors": False}})
    city = City(sc, 0)
    ent = city.enterprises[0]
    ev = city.modules["cadres"].ask_liaison(ent, 2.0)
    assert ev is not None
    done: list[float] = []
    ev.callbacks.append(lambda _ev: done.append(city.env.now))
    city.env.run(until=5)
    # day 2: two first visits (8 h) fill the day; the help waits for day 3
    assert done == pytest.approx([3.25])
    none = City(tiny(), 0)
    assert none.modules["cadres"].ask_liaison(none.enterprises[0], 2.0) is None


def test_missed_prevention_checks_lower_the_prevention_effect() -> None:
    # one supervisor for 20 open firms: 8 one-hour checks fit in an 8-hour day, share 0.4
    base = {"population": {"strata": [{"name": "s", "count": 20, "workers": 10, "readiness": 1.0,
                                       "nonlocal_share": 0.0, "cash_runway_days": 1000, "already_running_share": 1.0,
                                       "priority": "essential"}]},
            "cadres": {"dispatch_day": 0, "supervisors": {"count": 1, "enterprises_per_cadre": 20,
                                                          "prevention_check_hours": 1.0, "prevention_effect": 0.8}},
            "outbreak": {"hazard_per_worker": 1e-3, "baseline_prevention": 0.0},
            "policies": {"coverage": {"name": "one_plus_one_plus_one", "liaisons": False}}}
    city = _built(tiny(**base))
    ent = city.enterprises[0]
    assert city.modules["cadres"].counts["prevention_checks_missed"] > 0
    assert city.modules["outbreak"].hazard_per_worker(ent) == pytest.approx(1e-3 * (1 - 0.8 * 0.4))
    roomy = _built(tiny(**deep_merge(base, {"cadres": {"hours_per_day": 24.0}})))
    assert roomy.modules["cadres"].counts["prevention_checks_missed"] == 0
    assert roomy.modules["outbreak"].hazard_per_worker(roomy.enterprises[0]) == pytest.approx(1e-3 * (1 - 0.8))


def test_a_shorter_week_misses_more_checkins() -> None:
    base = {"population": {"strata": [{"name": "s", "count": 12, "workers": 10, "readiness": 1.0,
                                       "nonlocal_share": 0.0, "cash_runway_days": 1000}]},
            "cadres": {"dispatch_day": 0, "liaisons": {"count": 2, "enterprises_per_cadre": 6}},
            "policies": {"coverage": {"name": "one_plus_one_plus_one", "supervisors": False}}}
    full = _built(tiny(**base))
    five = _built(tiny(**deep_merge(base, {"cadres": {"days_per_week": 5}})))
    assert five.modules["cadres"].counts["checkins_done"] < full.modules["cadres"].counts["checkins_done"]
    assert five.modules["cadres"].available["liaison"].sum() < full.modules["cadres"].available["liaison"].sum()


# -- assignment -----------------------------------------------------------------

def _assignment(sc: Scenario) -> Any:
    pop = build_population(sc, sc.seed, 0)
    return pop, sc.policies.coverage.build().assign(pop, sc.cadres, sc.counties, np.linspace(0, 1, pop.n))


@pytest.mark.parametrize("organisation", ["dedicated", "pooled", "grid"])
def test_full_coverage_covers_every_county(organisation: str) -> None:
    named = dict(load_scenario(SCENARIOS / "coverage-111.yaml").all_variants())
    sc = named["full-one-to-one"]
    sc = Scenario.model_validate(deep_merge(sc.model_dump(by_alias=True),
                                            {"policies": {"coverage": {"organisation": organisation}}}))
    pop, a = _assignment(sc)
    for c, name in enumerate(pop.county_names):
        members = pop.county == c
        assert members.any(), f"{name}: no firms"
        assert (a.liaison[members] >= 0).all(), f"{name}: firms without a liaison"
        assert (a.supervisor[members] >= 0).all(), f"{name}: firms without a supervisor"
    # with a county's own pool replacing its share of the city pool, Kaiyuan's 99 cannot cover it
    replaced = Scenario.model_validate(deep_merge(sc.model_dump(by_alias=True), {"cadres": {"county_pools": "replace"}}))
    pop, a = _assignment(replaced)
    kaiyuan = pop.county == pop.county_names.index("kaiyuan")
    assert (a.liaison[kaiyuan] >= 0).mean() < 0.5


def test_grid_organisation_uses_zones_and_grids() -> None:
    sc = load_scenario(SCENARIOS / "tieling-2020.yaml").base
    sc = Scenario.model_validate(deep_merge(sc.model_dump(by_alias=True),
                                            {"policies": {"coverage": {"organisation": "grid"}}}))
    city = City(sc, 0)
    a = city.modules["cadres"].assignment
    d = city.pop.county_names.index("diaobingshan")
    members = city.pop.county == d
    assert set(np.unique(a.grid[members])) == set(range(11))
    assert set(np.unique(a.zone[members])) == set(range(3))
    # head-count is the same as dedicated: grids share the county's cadres
    dedicated = City(load_scenario(SCENARIOS / "tieling-2020.yaml").base, 0)
    assert city.modules["cadres"].heads == dedicated.modules["cadres"].heads
    assert len(city.modules["cadres"].teams["liaison"]) < len(dedicated.modules["cadres"].teams["liaison"])


# -- directions on common random numbers ---------------------------------------------

def _problem_days(r: RunResult, firms: np.ndarray) -> float:
    o = r.outcomes
    resolved = o["problems_resolved"][firms].sum()
    return float(np.nansum(o["problem_days"][firms]) / resolved) if resolved else math.nan


@pytest.mark.slow
def test_more_firms_per_cadre_never_helps_the_firms_covered_and_eventually_hurts() -> None:
    # 10 liaisons and 10 supervisors for 200 firms; the firms covered at one firm per cadre are
    # covered at every setting, and get less of their cadres' day as each cadre takes on more firms
    base = {"horizon_days": 60,
            "counties": [{"name": "c", "approval_reviewers": 20, "inspectors": 20}],
            "population": {"strata": [{"name": "s", "count": 200, "workers": 10, "readiness": 1.0,
                                       "nonlocal_share": 0.0, "cash_runway_days": 1000}]},
            "approval": {"preparation_days": {"dist": "lognormal", "mean": 3, "cv": 0.5}},
            "problems": {"kinds": [{"kind": "labour", "department": "human_resources", "expected_per_enterprise": 3.0}],
                         "window_days": 20, "finding_office_days": 3.0,
                         "departments": {"human_resources": {"staff": 50, "service_days": 0.3}}},
            "cadres": {"dispatch_day": 0, "liaisons": {"count": 10}, "supervisors": {"count": 10}},
            "policies": {"coverage": {"name": "one_plus_one_plus_one"}}}
    settings = (1, 2, 5, 20)
    runs = {}
    for per in settings:
        sc = tiny(**deep_merge(base, {"cadres": {"liaisons": {"enterprises_per_cadre": per},
                                                 "supervisors": {"enterprises_per_cadre": per}}}))
        runs[per] = [run_replication(sc, f"per{per}", r) for r in range(REPLICATIONS)]
    firms = [np.nonzero(np.asarray(r.attributes["liaison"]) >= 0)[0] for r in runs[1]]
    days = {per: [_problem_days(r, f) for r, f in zip(runs[per], firms, strict=True)] for per in settings}
    for lo, hi in zip(settings, settings[1:], strict=False):
        mean, se = _paired(days[lo], days[hi])
        assert mean > -3 * se - 1e-9, f"{hi} firms per cadre helped the covered firms: {mean:.3g} ± {se:.3g}"
    mean, se = _paired(days[1], days[20])
    assert mean - 3 * se > 0, f"20 firms per cadre did not hurt: {mean:.3g} ± {se:.3g}"


def _small_pair(file: str, var: dict[str, Any]) -> tuple[list[RunResult], list[RunResult]]:
    """The scenario's base at an eighth of its size (tests/test_policy_directions.py), without and with the
    ``var`` overrides."""
    base = load_scenario(SCENARIOS / file).base
    out = []
    for name, more in (("base", {}), ("variant", var)):
        sc = Scenario.model_validate(deep_merge(_small(base.model_dump(by_alias=True)), more))
        out.append([run_replication(sc, name, r) for r in range(REPLICATIONS)])
    return out[0], out[1]


@pytest.mark.slow
def test_pooled_without_overhead_waits_no_longer_than_dedicated() -> None:
    ref, var = _small_pair("tieling-2020.yaml",
                             {"policies": {"coverage": {"organisation": "pooled", "travel_overhead_hours": 0.0}}})
    mean, se = _paired([r.summary["mean_cadre_wait"] for r in ref], [r.summary["mean_cadre_wait"] for r in var])
    assert mean + 3 * se < 0, f"pooled did not shorten the wait for a cadre: {mean:.3g} ± {se:.3g}"


@pytest.mark.slow
def test_liaisons_alone_restart_firms_sooner_when_inspection_is_not_binding() -> None:
    named = dict(load_scenario(SCENARIOS / "coverage-111.yaml").all_variants())
    runs = []
    for name in ("no-coverage", "liaisons-only"):
        raw = _small(named[name].model_dump(by_alias=True))
        raw["counties"] = [dict(c, approval_reviewers=50, inspectors=50) for c in raw["counties"]]
        # firms open as soon as they may (no wait for orders): the restart day is the day the state's part ends,
        # which is where liaisons act (preparation, rework)
        raw["reopening"] = {"enabled": False}
        sc = Scenario.model_validate(raw)
        runs.append([run_replication(sc, name, r) for r in range(REPLICATIONS)])
    mean, se = _paired([r.summary["mean_restart_day"] for r in runs[0]], [r.summary["mean_restart_day"] for r in runs[1]])
    assert mean + 3 * se < 0, f"liaisons did not restart firms sooner: {mean:.3g} ± {se:.3g}"


@pytest.mark.slow
def test_idle_supervisors_in_the_county_team_restart_uncovered_firms_sooner() -> None:
    ref, var = _small_pair("tieling-2020.yaml",
                             {"policies": {"coverage": {"supervisors_help_inspection": True}}})
    mean, se = _paired([r.summary["mean_restart_day"] for r in ref], [r.summary["mean_restart_day"] for r in var])
    assert mean + 3 * se < 0, f"supervisors' help did not restart firms sooner: {mean:.3g} ± {se:.3g}"
