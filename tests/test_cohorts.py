"""Cohorts of identical firms (a stratum's ``cohort_size``): the speed route for very large strata.

A cohort of m firms is one simulated enterprise that stands for m firms sharing every draw and
event. What must hold: the results count firms, not cohorts; a cohort asks shared resources for
all its firms' time; its firms are never served slower than one firm would be when nobody queues;
and on the default Tieling scenario the cohort version matches the firm-by-firm version within
1 percentage point on every resumption series (up to the replications' noise).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import InputError
from sim.experiment.runner import Task, execute
from sim.model.cadres.coverage import _deal_with_cohorts
from sim.model.servers import ServicePoint
from sim.model.world import run_replication
from sim.population import build_population
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario
from tests.conftest import tiny
from tests.test_invariants import check_invariants, run_with_city, scenarios

ROOT_SCENARIO = "scenarios/tieling-2020.yaml"


def _with_cohorts(sc: Scenario, cohort: dict[str, int]) -> Scenario:
    raw = sc.model_dump(by_alias=True)
    for s in raw["population"]["strata"]:
        if s["name"] in cohort:
            s["cohort_size"] = cohort[s["name"]]
    return Scenario.model_validate(raw)


def test_a_stratum_in_cohorts_keeps_its_firms_ids_and_count() -> None:
    sc = tiny(population={"strata": [{"name": "s", "count": 25, "cohort_size": 10, "workers": 10,
                                      "readiness": 1.0, "nonlocal_share": 0.0, "cash_runway_days": 1000}]})
    pop = build_population(sc, sc.seed, 0)
    assert pop.n == 3 and pop.members.tolist() == [10, 10, 5] and pop.firms == 25
    firms = pop.expand()
    assert firms.ident == [f"s-{i}" for i in range(25)]
    assert firms.workers.tolist() == np.repeat(pop.workers, [10, 10, 5]).tolist()
    result = run_replication(sc, "base", 0)
    assert result.summary["enterprises"] == 25
    assert len(result.enterprise_ids) == 25 and len(result.outcomes["restart_day"]) == 25
    assert len(result.attributes["county"]) == 25


def _uncongested(count: int, cohort_size: int) -> dict[str, Any]:
    # every firm has its own reviewer and inspector: nobody queues, so a firm's road is its own
    return {"counties": [{"name": "c", "approval_reviewers": count, "inspectors": count}],
            "population": {"strata": [{"name": "s", "count": count, "cohort_size": cohort_size, "workers": 10,
                                       "readiness": 1.0, "nonlocal_share": 0.0, "cash_runway_days": 1000}]}}


def test_without_queues_a_cohort_restarts_when_each_of_its_firms_would_and_takes_all_their_time() -> None:
    alone = run_replication(tiny(**_uncongested(12, 1)), "base", 0)
    cohorts = run_replication(tiny(**_uncongested(12, 4)), "base", 0)
    # fixed durations: paperwork 1 + review 2 + inspection 0.5 days, for every firm in both runs
    assert np.allclose(alone.outcomes["restart_day"], 3.5)
    assert np.allclose(cohorts.outcomes["restart_day"], 3.5)
    for key in ("restarted_share", "resumed_share_end", "workers_back_share_end", "reviewer_days"):
        assert cohorts.summary[key] == pytest.approx(alone.summary[key], rel=1e-9), key


def test_a_cohort_holds_a_server_for_every_member() -> None:
    env = simpy.Environment()
    point = ServicePoint(env, "office", 1)
    cohort = point.request(1.0, members=4)
    single = point.request(1.0)
    env.run()
    assert point.completions == 2
    # the cohort leaves after one firm's service; the server is busy for its 4 firms, then serves the next
    assert cohort.value == 0.0
    assert single.value == pytest.approx(4.0)
    assert point.stats()["busy_time"] == pytest.approx(5.0)


def test_cohorts_get_cadre_teams_that_serve_no_more_firms_each_than_single_firms() -> None:
    members = np.array([1, 5, 1, 1, 7, 1, 1, 1], dtype=np.int32)
    ranked = np.arange(len(members))
    target = np.full(len(members), -1, dtype=np.int32)
    block = np.ones(len(members), dtype=np.int32)
    pool, per = 6, 2
    serving = _deal_with_cohorts(ranked, members, pool, per, 100, target, block)
    covered = target >= 0
    # the cohort of 5 takes ceil(5/2) = 3 cadres of its own; the cohort of 7 (4 cadres) no longer fits
    assert block[1] == 3 and target[4] == -1
    cadres_used = block[covered & (members > 1)].sum() + len(set(target[covered & (members == 1)].tolist()))
    assert serving == cadres_used <= pool
    singles = target[covered & (members == 1)]
    assert np.bincount(singles - singles.min()).max() <= per
    assert covered[[0, 2, 3, 5]].all()  # the single firms ranked first are covered
    assert members[covered].sum() <= pool * per


@settings(max_examples=25)  # each example runs the simulator
@given(scenarios(), st.integers(2, 7))
def test_runs_in_cohorts_keep_every_invariant_of_the_firms(sc: Scenario, cohort_size: int) -> None:
    """The invariants of tests/test_invariants.py, firm by firm, on runs whose strata are in cohorts:
    one state per firm, counts that add up, event order, cash books, cadre hours within budget."""
    sc = _with_cohorts(sc, {s.name: cohort_size for s in sc.population.strata})
    result, city = run_with_city(sc)
    assert len(result.enterprise_ids) == sum(s.count for s in sc.population.strata)
    check_invariants(sc, result, city)


def test_too_many_simulated_enterprises_are_refused_with_the_way_out() -> None:
    with pytest.raises(ValueError, match="cohort_size"):
        tiny(population={"strata": [{"name": "s", "count": 2_500_000}]})
    sc = tiny(population={"strata": [{"name": "s", "count": 2_500_000, "cohort_size": 100}]})
    assert sum(math.ceil(s.count / s.cohort_size) for s in sc.population.strata) == 25_000


def test_cohort_size_must_be_a_whole_number_of_at_least_one(tmp_path: Any) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: bad\npopulation:\n  strata:\n    - {name: s, count: 10, cohort_size: 0}\n")
    with pytest.raises(InputError, match="cohort_size"):
        load_scenario(path)


# -- the cohort version against the firm-by-firm version, on the default scenario -------------------

REPLICATIONS = 6
COHORT = 3  # micro firms per cohort: a fifth of them share each county's 2-4 reviewers' queue at once


@pytest.fixture(scope="module")
def paired_runs() -> tuple[list[Any], list[Any]]:
    """6 replications of the default scenario firm by firm and in cohorts, on 2 workers (the results do not
    depend on the workers, tests/test_reproducibility.py; the runs take 2 s each)."""
    base = load_scenario(ROOT_SCENARIO).base
    cohorts = _with_cohorts(base, {"micro": COHORT})
    tasks = [Task("base", r, sc) for sc in (base, cohorts) for r in range(REPLICATIONS)]
    results = execute(tasks, workers=2, progress=False)
    return results[:REPLICATIONS], results[REPLICATIONS:]


@pytest.mark.slow
def test_cohorts_match_firm_by_firm_on_every_resumption_series(paired_runs: tuple[list[Any], list[Any]]) -> None:
    """|mean difference| ≤ 1 pp + 3 standard errors of the difference, on every day of every series.

    The standard error is that of the difference of two means over 6 independent replications each
    (the versions draw differently: a cohort draws once for its firms). The series: resumption
    (复工率) and restarts, city-wide, by size class and by county.
    """
    firm, cohort = paired_runs
    names = [k for k in firm[0].series if k.startswith(("resumed_share", "restarted_share"))]
    assert "resumed_share_micro" in names and len(names) >= 10
    misses = []
    for name in names:
        a = np.array([r.series[name] for r in firm])
        b = np.array([r.series[name] for r in cohort])
        diff = np.abs(a.mean(0) - b.mean(0))
        se = np.sqrt(a.var(0, ddof=1) / REPLICATIONS + b.var(0, ddof=1) / REPLICATIONS)
        worst = int(np.argmax(diff - 3 * se))
        if diff[worst] > 0.01 + 3 * se[worst]:
            misses.append(f"{name} day {worst}: {diff[worst] * 100:.2f} pp (3 SE = {3 * se[worst] * 100:.2f} pp)")
    assert not misses, misses


@pytest.mark.slow
def test_cohorts_simulate_fewer_enterprises_and_events(paired_runs: tuple[list[Any], list[Any]]) -> None:
    firm, cohort = paired_runs
    assert cohort[0].summary["enterprises"] == firm[0].summary["enterprises"]
    assert np.mean([r.events for r in cohort]) < 0.85 * np.mean([r.events for r in firm])


def test_a_cohorts_firms_count_once_for_the_restart_curves_band() -> None:
    from sim.analysis.survival import kaplan_meier

    rng = np.random.default_rng(3)
    days = rng.exponential(20.0, 60)
    observed = days < 50
    times = np.minimum(days, 50.0)
    grid = np.arange(0, 51, dtype=float)
    one_each = kaplan_meier(times, observed, grid)
    # each cohort of 10 firms repeats its draw: the curve is the same, the evidence is not tenfold
    as_firms = kaplan_meier(np.repeat(times, 10), np.repeat(observed, 10), grid)
    as_cohorts = kaplan_meier(np.repeat(times, 10), np.repeat(observed, 10), grid, units=np.repeat(np.arange(60), 10))
    assert np.allclose(as_cohorts.survival, one_each.survival) and as_cohorts.median == one_each.median
    assert np.allclose(as_cohorts.ci_low, one_each.ci_low) and np.allclose(as_cohorts.ci_high, one_each.ci_high)
    assert (as_cohorts.median_ci_low, as_cohorts.median_ci_high) == (one_each.median_ci_low, one_each.median_ci_high)
    inside = (one_each.survival > 0.05) & (one_each.survival < 0.95)
    assert np.all((as_firms.ci_high - as_firms.ci_low)[inside] < (as_cohorts.ci_high - as_cohorts.ci_low)[inside])


def test_results_name_each_firms_cohort() -> None:
    sc = tiny(population={"strata": [{"name": "s", "count": 7, "cohort_size": 3, "workers": 10,
                                      "readiness": 1.0, "nonlocal_share": 0.0, "cash_runway_days": 1000}]})
    result = run_replication(sc, "base", 0)
    assert result.attributes["cohort"].tolist() == [0, 0, 0, 1, 1, 1, 2]


def test_a_scenario_in_cohorts_says_so_when_loaded(tmp_path: Any) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: c\npopulation:\n  strata:\n    - {name: shops, count: 100, cohort_size: 5}\n"
                    "    - {name: firms, count: 10}\n")
    notes = load_scenario(path).notices
    assert any("stratum 'shops' is simulated in cohorts of 5 identical firms (base)" in n for n in notes), notes
    assert not any("'firms'" in n for n in notes)
