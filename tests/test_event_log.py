"""Exact event times of tiny scenarios, in the style of SimPy's own tests."""

from __future__ import annotations

import math

import numpy as np
import simpy

from sim.model.servers import ServicePoint
from sim.model.world import run_replication
from tests.conftest import tiny


def test_service_point_fifo_and_waits() -> None:
    env = simpy.Environment()
    office = ServicePoint(env, "office", 1)
    log: list[tuple[str, float, float]] = []

    def client(name: str, arrive: float, service: float):  # type: ignore[no-untyped-def]
        yield env.timeout(arrive)
        wait = yield office.request(service)
        log.append((name, env.now, wait))

    env.process(client("a", 0.0, 2.0))
    env.process(client("b", 1.0, 2.0))
    env.process(client("c", 1.5, 1.0))
    env.run()
    assert log == [("a", 2.0, 0.0), ("b", 4.0, 1.0), ("c", 5.0, 2.5)]
    stats = office.stats()
    assert stats["completions"] == 3
    # queue: b waits 1..2 (1 day), c waits 1.5..4 (2.5 days) → area 3.5 over 5 days
    assert math.isclose(stats["mean_queue_length"], 3.5 / 5.0)
    assert math.isclose(stats["utilisation"], 1.0)


def test_service_point_priority_is_non_preemptive() -> None:
    env = simpy.Environment()
    office = ServicePoint(env, "office", 1)
    order: list[str] = []

    def client(name: str, arrive: float, prio: int):  # type: ignore[no-untyped-def]
        yield env.timeout(arrive)
        yield office.request(1.0, prio)
        order.append(name)

    env.process(client("low-first", 0.0, 1))
    env.process(client("low", 0.1, 1))
    env.process(client("high", 0.2, 0))
    env.run()
    assert order == ["low-first", "high", "low"]


def test_two_enterprises_one_reviewer_sequential() -> None:
    # prepare 1 day; one reviewer, 2 days a review; inspection 0.5 day by one inspector
    r = run_replication(tiny(), "base", 0)
    o = r.outcomes
    assert list(o["application_day"]) == [1.0, 1.0]
    assert list(o["approval_day"]) == [3.0, 5.0]
    assert list(o["inspection_day"]) == [3.5, 5.5]
    assert list(o["restart_day"]) == [3.5, 5.5]
    # all workers local and back at once: full production at restart
    assert list(o["full_production_day"]) == [3.5, 5.5]
    assert np.all(np.isnan(o["failure_day"]))


def test_parallel_steps_overlap_inspection_with_review() -> None:
    sc = tiny(policies={"approval": {"name": "standard", "steps": "parallel"}})
    o = run_replication(sc, "base", 0).outcomes
    # inspections at 1.0-1.5 and 1.5-2.0 run while the reviewer works
    assert list(o["inspection_day"]) == [1.5, 2.0]
    assert list(o["restart_day"]) == [3.0, 5.0]


def test_commitment_restarts_on_approval_and_inspects_after() -> None:
    sc = tiny(policies={"approval": {"name": "standard", "steps": "commitment"}})
    o = run_replication(sc, "base", 0).outcomes
    assert list(o["restart_day"]) == [3.0, 5.0]
    assert list(o["inspection_day"]) == [3.5, 5.5]


def test_restart_ban_holds_normal_firms_but_not_essential() -> None:
    sc = tiny(calendar={"restart_ban_until_day": 10.0},
              population={"strata": [
                  {"name": "n", "count": 1, "workers": 10, "readiness": 1.0, "nonlocal_share": 0.0,
                   "cash_runway_days": 1000},
                  {"name": "e", "count": 1, "workers": 10, "readiness": 1.0, "nonlocal_share": 0.0,
                   "cash_runway_days": 1000, "priority": "essential"}]})
    o = run_replication(sc, "base", 0).outcomes
    assert o["restart_day"][0] == 10.0
    assert o["restart_day"][1] == 5.5


def test_fast_track_priority_serves_essential_first() -> None:
    strata = [{"name": "n", "count": 2, "workers": 10, "readiness": 1.0, "nonlocal_share": 0.0,
               "cash_runway_days": 1000},
              {"name": "e", "count": 1, "workers": 10, "readiness": 1.0, "nonlocal_share": 0.0,
               "cash_runway_days": 1000, "priority": "essential"}]
    std = run_replication(tiny(population={"strata": strata}), "base", 0).outcomes
    fast = run_replication(tiny(population={"strata": strata},
                                policies={"approval": {"name": "fast_track", "steps": "sequential",
                                                       "review_time_factor": 1.0}}), "v", 0).outcomes
    # all three apply at day 1; FIFO serves them in order, fast-track puts the essential firm second
    assert list(std["approval_day"]) == [3.0, 5.0, 7.0]
    assert list(fast["approval_day"]) == [3.0, 7.0, 5.0]


def test_cash_runs_out_at_the_computed_moment() -> None:
    # a closed firm pays full wages in the first pay period (30 days), then the living allowance;
    # no tax deferral, no relief: cash covering 2 days of fixed cost lasts 2 days, 40 days lasts
    # 30 + 10 / (1 − 0.65 × (1 − 0.45)) days (wages are 65 % of fixed cost, the allowance 45 % of wages)
    relief = {m: {"enabled": False} for m in ("tax_deferral", "power_cost_cut", "unemployment_insurance_refund",
                                               "training_subsidy")}
    for runway, expected in ((2.0, 2.0), (40.0, 30.0 + 10.0 / (1.0 - 0.65 * 0.55))):
        sc = tiny(population={"strata": [{"name": "s", "count": 1, "workers": 10, "readiness": 1.0,
                                          "nonlocal_share": 0.0, "cash_runway_days": runway}]},
                  approval={"review_days": 100.0}, policies={"relief": relief}, horizon_days=60)
        o = run_replication(sc, "base", 0).outcomes
        assert math.isclose(o["failure_day"][0], expected), (runway, o["failure_day"][0])
        assert np.isnan(o["restart_day"][0])
        assert math.isclose(o["cash_end"][0], 0.0, abs_tol=1e-6)
