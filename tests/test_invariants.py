"""Invariants of a run, over random small scenarios (Hypothesis).

Each example builds a small scenario (1–30 enterprises in two strata, a random
approval policy and step order, 1+1+1 coverage or none, loans on or off, an
outbreak hazard, readiness, cash runway, problems) and runs it through
:func:`sim.model.world.run_replication`. Whatever the draws, a run must keep its
books: every enterprise in exactly one state, counts that add up every day,
events in order, no life after failure, and cash that balances.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.firm_classes import SIZE_CLASSES
from sim.model.world import City
from sim.results.run_result import RunResult
from sim.scenario.schema import Scenario
from tests.conftest import tiny

TOL = 1e-9


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    n_essential = draw(st.integers(0, 15))
    n_normal = draw(st.integers(1 if n_essential == 0 else 0, 15))
    approval = draw(st.sampled_from(["standard", "fast_track"]))
    steps = draw(st.sampled_from(["sequential", "parallel", "commitment"]))
    covered = draw(st.booleans())
    readiness = draw(st.floats(0.05, 1.0))
    runway = draw(st.floats(3.0, 200.0))
    strata: list[dict[str, Any]] = []
    common = {"readiness": readiness, "nonlocal_share": draw(st.floats(0.0, 0.6)),
              "cash_runway_days": {"dist": "lognormal", "mean": runway, "cv": 0.8}}
    if n_essential:
        strata.append({"name": "essential", "count": n_essential, "priority": "essential",
                       "size_class": draw(st.sampled_from(["above_scale", "sme"])),
                       "already_running_share": draw(st.sampled_from([0.0, 0.5, 1.0])),
                       "workers": {"dist": "lognormal", "mean": 40, "cv": 0.8}, **common})
    if n_normal:
        strata.append({"name": "normal", "count": n_normal, "size_class": draw(st.sampled_from(["sme", "micro"])),
                       "new_project_share": draw(st.sampled_from([0.0, 0.2])),
                       "workers": {"dist": "lognormal", "mean": 10, "cv": 0.7}, **common})
    overrides: dict[str, Any] = {
        "horizon_days": 60,
        "seed": draw(st.integers(0, 2**31)),
        "calendar": {"restart_ban_until_day": draw(st.sampled_from([0, 7]))},
        "counties": [{"name": "a", "approval_reviewers": 1, "inspectors": 1},
                     {"name": "b", "approval_reviewers": 2, "inspectors": 1}],
        "population": {"strata": strata},
        "approval": {"preparation_days": {"dist": "lognormal", "mean": 3, "cv": 0.6},
                     "review_days": {"dist": "exponential", "mean": 0.5},
                     "rework_probability": draw(st.sampled_from([0.0, 0.35]))},
        "outbreak": {"hazard_per_worker": draw(st.sampled_from([0.0, 1e-3, 1e-2]))},
        "registration": {"background_per_day": 2.0},
        "finance": {"credit_line_days": {"above_scale": draw(st.sampled_from([0.0, 10.0])), "sme": 0.0, "micro": 0.0},
                    "pay_period_days": draw(st.sampled_from([10.0, 30.0]))},
        "workforce": {"local_return_days": {"dist": "exponential", "mean": 2}},
        "cadres": {"liaisons": {"count": draw(st.integers(1, 10)), "enterprises_per_cadre": draw(st.integers(1, 20))},
                   "supervisors": {"count": draw(st.integers(1, 10)), "enterprises_per_cadre": draw(st.integers(1, 20))},
                   "hours_per_day": draw(st.sampled_from([2.0, 8.0, 12.0])), "days_per_week": draw(st.integers(1, 7)),
                   "dispatch_day": draw(st.sampled_from([0.0, 4.0]))},
        "policies": {"approval": {"name": approval, "steps": steps},
                     "coverage": {"name": "one_plus_one_plus_one",
                                  "organisation": draw(st.sampled_from(["dedicated", "pooled", "grid"])),
                                  "supervisors_help_inspection": draw(st.booleans())} if covered else {"name": "none"},
                     "loans": {"enabled": draw(st.booleans()), "window_opens_day": 5, "apply_probability": 0.8,
                               "green_channel_for": draw(st.sampled_from([["above_scale"], ["sme", "micro", "essential"]])),
                               "term_days": draw(st.sampled_from([10.0, 365.0])),
                               "retry_wait_days": 3.0},
                     "relief": {"unemployment_insurance_refund": {"share": 0.5, "day": draw(st.sampled_from([5.0, 30.0]))},
                                "training_subsidy": {"trained_share": 0.1, "paid_day": 20.0},
                                "tax_deferral": {"until_day": draw(st.sampled_from([0.0, 15.0, 40.0])),
                                                 "repaid": draw(st.booleans())},
                                "targeted": {"grants": [{"kind": draw(st.sampled_from(["loan", "subsidy"])), "firms": 2,
                                                         "amount_yuan": 1e5, "day": 12.0,
                                                         "term_days": draw(st.sampled_from([20.0, 365.0]))}]}}},
    }
    if draw(st.booleans()):
        overrides["problems"] = {"kinds": [{"kind": "labour", "department": "human_resources", "expected_per_enterprise": 1.0},
                                           {"kind": "power", "department": "power_supply", "capacity_loss": 0.5}]}
    return tiny(**overrides)


def run_with_city(sc: Scenario) -> tuple[RunResult, City]:
    """What run_replication does (build, run, collect), keeping the City so that its modules can be read."""
    city = City(sc, 0)
    city.run()
    return city.collect("base", city.events_scheduled(), 0.0), city


def check_invariants(sc: Scenario, result: RunResult, city: City) -> None:
    o = result.outcomes
    s = result.series
    n = len(result.enterprise_ids)
    days = len(s["day"]) - 1
    failed = ~np.isnan(o["failure_day"])
    restarted = ~np.isnan(o["restart_day"])

    # -- exactly one state at the horizon: failed / open / suspended / closed (never restarted)
    open_end = s["resumed_share"][-1] * n
    assert abs(open_end - round(open_end)) < 1e-6, "a fraction of an enterprise open"
    open_end = int(round(open_end))
    assert int(round(s["failed_count"][-1])) == int(failed.sum()), "failed count differs from the failure days"
    never = int((~restarted & ~failed).sum())
    suspended = int((restarted & ~failed).sum()) - open_end
    assert suspended >= 0, "more enterprises open than restarted and not failed"
    assert int(failed.sum()) + open_end + suspended + never == n, "states do not add up to the enterprises"
    # one row per firm: a cohort's state, failure level and so on hold for each of its firms
    members = city.pop.members
    states = np.repeat(np.array([e.state for e in city.enterprises]), members)
    in_state = [int((states == k).sum()) for k in (3, 1, 2, 0)]
    assert in_state == [int(failed.sum()), open_end, suspended, never], (
        f"enterprise states (failed, open, suspended, never restarted) {in_state} differ from the outcomes "
        f"{[int(failed.sum()), open_end, suspended, never]}")

    # -- counts add up each day
    open_d = s["resumed_share"] * n
    failed_d = s["failed_count"]
    restarted_d = s["restarted_share"] * n
    assert np.all(open_d >= -1e-9), "a negative open count"
    assert np.all(open_d + failed_d <= n + 1e-9), "more enterprises open or failed than there are"
    alive_restarted = np.array([
        ((o["restart_day"] <= d) & ~(o["failure_day"] <= d)).sum() for d in range(days + 1)])
    assert np.all(open_d <= alive_restarted + 1e-9), "open count exceeds restarted-and-not-failed"
    assert np.all(np.diff(restarted_d) >= 0) and np.all(np.diff(failed_d) >= 0), "a restarted or failed count falls"

    # -- series by size class and county add up to the city series (weighted by workers / firms)
    check_groups_add_up(result, city)

    # -- event order: application ≤ approval ≤ restart ≤ full production
    running = np.isnan(o["application_day"]) & (o["approval_day"] == 0.0)  # already running at day 0
    for a, b in (("application_day", "approval_day"), ("approval_day", "restart_day"),
                 ("restart_day", "full_production_day"), ("application_day", "restart_day")):
        both = ~np.isnan(o[a]) & ~np.isnan(o[b])
        assert np.all(o[a][both] <= o[b][both] + TOL), f"{a} after {b}"
    assert np.all(~np.isnan(o["approval_day"][restarted])), "restarted without approval"
    assert np.all(~np.isnan(o["full_production_day"]) <= restarted), "full production without restart"
    if sc.policies.approval.steps != "commitment":
        assert np.all(o["inspection_day"][restarted] <= o["restart_day"][restarted] + TOL), "restarted before inspection"
    assert np.all(o["restart_day"][running] == 0.0), "a firm running at day 0 restarted later"

    # -- a failed enterprise never comes back
    fd = o["failure_day"]
    for col in ("restart_day", "full_production_day", "loan_disbursed_day"):
        both = failed & ~np.isnan(o[col])
        assert np.all(o[col][both] <= fd[both] + TOL), f"{col} after failure"
    log_t = np.asarray(city.log.times)
    log_e = np.asarray(city.log.ents, dtype=np.int64)
    log_open = np.asarray(city.log.d_open)
    first_row = np.concatenate([[0], np.cumsum(members)[:-1]])  # a simulated enterprise's first firm row
    for i in np.nonzero(failed[first_row])[0]:
        mine = log_e == i
        after = mine & (log_t > fd[first_row[i]] + TOL)
        assert not np.any(log_open[after] != 0), f"enterprise {i} changes open state after failing"
        assert int(log_open[mine].sum()) == 0, f"failed enterprise {i} still counted open"

    # -- cadre time: no team works more hours on a day than it has; the teams' counts follow the firms
    cadres = city.modules["cadres"]
    assert cadres.over_budget <= 1e-6, f"a team-day worked {cadres.over_budget} hours over its budget"
    for role in ("liaison", "supervisor"):
        assert np.all(cadres.busy[role] <= cadres.available[role] + 1e-6), f"{role} busy hours exceed hours available"
        for team in cadres.teams[role]:
            assert team.active == sum(e.members for e in team.members if not e.failed), f"{role} team's active count"
            assert team.open == sum(e.members for e in team.members if e.state == 1) or role == "liaison", (
                f"{role} team's open count")
    summary = result.summary
    for role in ("liaison", "supervisor"):
        share = summary[f"{role}_busy_share"]
        assert math.isnan(share) or 0.0 <= share <= 1.0 + 1e-9, f"{role} busy share {share} outside [0, 1]"

    # -- cash books, per firm, to 1e-6 yuan:
    #    start + income − costs + relief + loans − repayments − deferred taxes paid = end
    flows = ("cash_start", "income", "costs", "relief", "loans_received", "repayments", "taxes_repaid")
    gap = (o["cash_start"] + o["income"] - o["costs"] + o["relief"] + o["loans_received"]
           - o["repayments"] - o["taxes_repaid"] - o["cash_end"])
    assert np.all(np.abs(gap) <= 1e-6), f"cash books do not balance: {gap[np.abs(gap) > 1e-6]}"
    assert all(np.all(o[c] >= 0) for c in flows[1:]), "a flow of the cash books is negative"
    # a firm fails at its failure level (minus its credit line), or below it when a sum fell due at once
    level = np.repeat(np.array(city.modules["money"].fail_level), members)
    assert np.all(o["cash_end"][failed] <= level[failed] + 1e-6), "a firm failed with cash left"
    alive = ~failed
    assert np.all(o["cash_end"][alive] >= level[alive] - 1e-6), "a firm below its failure level did not fail"
    deferral = sc.policies.relief.tax_deferral
    if deferral.enabled and deferral.repaid and deferral.until_day < sc.horizon_days:
        assert np.all(np.abs(o["taxes_deferred_end"][alive]) <= 1e-6), "deferred taxes never paid back"
    assert not math.isnan(result.summary["failed_share"]), "no failed share"


def check_groups_add_up(result: RunResult, city: City) -> None:
    """Series by size class (and by county) average to the city series, weighted by workers (firms)."""
    pop = city.pop.expand()  # one row per firm
    s = result.series
    groupings = [[(name, pop.size_class == k) for k, name in enumerate(SIZE_CLASSES)],
                 [(name, pop.county == c) for c, name in enumerate(pop.county_names)]]
    total_workers = float(pop.workers.sum())
    for groups in groupings:
        for series in ("workers_back_share", "production_index", "resumed_share"):
            acc = np.zeros_like(s[series])
            for name, members in groups:
                if not members.any():
                    assert f"{series}_{name}" not in s
                    continue
                weight = (pop.workers[members].sum() / total_workers if series != "resumed_share"
                          else members.sum() / pop.n)
                acc += s[f"{series}_{name}"] * weight
            assert np.all(np.abs(acc - s[series]) <= TOL), f"{series} by group does not add up"


@settings(max_examples=30)  # each example runs the simulator
@given(scenarios())
def test_run_invariants(sc: Scenario) -> None:
    result, city = run_with_city(sc)
    check_invariants(sc, result, city)


def _a_run_with_failures() -> tuple[Scenario, RunResult, City]:
    """Eight firms in two counties under 1+1+1 coverage, one reviewer taking 3 days a review: the four
    rich firms restart; of the four micro firms with 6 days of cash, one restarts and three fail (firms 4,
    6 and 7, on day 6.7)."""
    sc = tiny(counties=[{"name": "a", "approval_reviewers": 1, "inspectors": 1},
                        {"name": "b", "approval_reviewers": 1, "inspectors": 1}],
              population={"strata": [
                  {"name": "rich", "count": 4, "workers": 10, "readiness": 1.0, "nonlocal_share": 0.0,
                   "cash_runway_days": 1000},
                  {"name": "poor", "count": 4, "workers": 10, "size_class": "micro", "readiness": 1.0,
                   "nonlocal_share": 0.0, "cash_runway_days": 6}]},
              approval={"review_days": 3.0}, cadres={"dispatch_day": 0},
              policies={"coverage": {"name": "one_plus_one_plus_one"}})
    result, city = run_with_city(sc)
    failed = np.nonzero(~np.isnan(result.outcomes["failure_day"]))[0].tolist()
    assert failed == [4, 6, 7] and result.outcomes["restart_day"][0] < 6, "the run this test tampers with changed"
    return sc, result, city


def _move_cash(o: dict[str, np.ndarray], firm: int, amount: float, flow: str) -> None:
    """Add ``amount`` to a firm's final cash and to one of its flows, so that its books still balance."""
    o["cash_end"][firm] += amount
    o[flow][firm] += amount if flow in ("income", "relief", "loans_received") else -amount


def _tamper_states(r: RunResult, city: City) -> None:
    city.enterprises[0].state = 2  # open by the outcomes, suspended by its own state


def _tamper_counts(r: RunResult, city: City) -> None:
    r.series["restarted_share"][10] = 0.0  # the restarted count falls to 0 for one day


def _tamper_groups(r: RunResult, city: City) -> None:
    r.series["resumed_share_a"][15] += 0.1  # one county's series no longer adds up to the city's


def _tamper_order(r: RunResult, city: City) -> None:
    r.outcomes["approval_day"][0] = r.outcomes["restart_day"][0] + 1.0


def _tamper_afterlife(r: RunResult, city: City) -> None:
    r.outcomes["loan_disbursed_day"][4] = r.outcomes["failure_day"][4] + 1.0


def _tamper_log(r: RunResult, city: City) -> None:
    city.log.record(r.outcomes["failure_day"][4] + 1.0, 4, 1, 0, 0.0)  # the failed firm 4 opens again


def _tamper_cadre_hours(r: RunResult, city: City) -> None:
    cadres = city.modules["cadres"]
    cadres.busy["liaison"][3] = cadres.available["liaison"][3] + 1.0


def _tamper_books(r: RunResult, city: City) -> None:
    r.outcomes["cash_end"][0] += 1e-5


def _tamper_alive_below_level(r: RunResult, city: City) -> None:
    below = city.modules["money"].fail_level[5] - 1.0 - r.outcomes["cash_end"][5]
    _move_cash(r.outcomes, 5, below, "costs")  # books balance, but the firm is below its failure level


def _tamper_failed_with_cash(r: RunResult, city: City) -> None:
    _move_cash(r.outcomes, 4, 1e6, "income")


@pytest.mark.parametrize(("tamper", "message"), [
    (_tamper_states, "enterprise states"),
    (_tamper_counts, "restarted or failed count falls"),
    (_tamper_groups, "resumed_share by group does not add up"),
    (_tamper_order, "approval_day after restart_day"),
    (_tamper_afterlife, "loan_disbursed_day after failure"),
    (_tamper_log, "enterprise 4 changes open state after failing"),
    (_tamper_cadre_hours, "liaison busy hours exceed hours available"),
    (_tamper_books, "cash books do not balance"),
    (_tamper_alive_below_level, "below its failure level did not fail"),
    (_tamper_failed_with_cash, "failed with cash left"),
], ids=lambda v: v.__name__.removeprefix("_tamper_") if callable(v) else "")
def test_each_invariant_check_can_fail(tamper: Any, message: str) -> None:
    """check_invariants passes the run as it is and rejects it, with the check's own message, once one
    of its records is tampered with."""
    sc, result, city = _a_run_with_failures()
    check_invariants(sc, result, city)
    tamper(result, city)
    with pytest.raises(AssertionError, match=message):
        check_invariants(sc, result, city)
