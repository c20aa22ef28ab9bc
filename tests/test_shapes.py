"""When firms reopen and fail: the mechanisms that shape the months after the stoppage.

- a closed firm pays only part of its taxes and other costs (finance.closed_cost_share);
- a firm closed by the stoppage may owe its workers wages before it fails, and must have paid them some
  time after its restart (finance.wage_arrears_days, wage_arrears_repay_days);
- each firm's outside orders are its sector's index to the power of its own exposure (demand.exposure_cv).

Each test is a small case whose answer is worked out by hand in its comments.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.model.money.cash import CashAccount, CostRates
from sim.model.world import City
from tests.conftest import tiny
from tests.test_invariants import run_with_city
from tests.test_money import NO_RELIEF


def _rates(**more: float) -> CostRates:
    # a fixed cost of 100 a day: wages 65, rent 10, interest 5, other 10, taxes 10
    return CostRates(wages=65.0, allowance=29.25, rent=10.0, interest=5.0, other=10.0, taxes=10.0, pay_period=30.0,
                     **more)


def test_a_closed_firm_pays_part_of_its_taxes_and_other_costs_an_open_one_all() -> None:
    acct = CashAccount(1000.0, _rates(closed_taxes=0.3, closed_other=0.5))
    # closed, first pay period: 65 + 10 + 5 + 0.5 × 10 + 0.3 × 10 = 88 a day
    assert math.isclose(acct.slope_now(), -88.0)
    acct.advance(10.0)
    assert math.isclose(acct.balance, 1000.0 - 880.0)
    acct.set_open(10.0, True)
    assert math.isclose(acct.slope_now(), -100.0)  # open: the whole fixed cost
    # cash at 120 runs out 1.2 days later at 100 a day
    assert math.isclose(acct.time_to_reach(0.0), 11.2)
    full = CashAccount(1000.0, _rates())
    assert math.isclose(full.slope_now(), -100.0)  # the default: closed firms pay everything


def _closed_firm(runway: float, arrears: float, ban: float = 50.0, finance: dict[str, Any] | None = None,
                 **more: Any) -> Any:
    return tiny(
        horizon_days=60,
        calendar={"restart_ban_until_day": ban},
        population={"strata": [{"name": "s", "count": 1, "workers": 10, "readiness": 1.0, "nonlocal_share": 0.0,
                                "size_class": "sme", "sector": "machinery", "cash_runway_days": runway, **more}]},
        policies={"relief": NO_RELIEF},
        finance={"wage_arrears_days": {"sme": arrears}, "wage_arrears_repay_days": 10.0, **(finance or {})},
    )


def test_wages_owed_in_the_stoppage_let_a_closed_firm_last_longer_by_their_days() -> None:
    # Closed all along, the firm pays its fixed cost F a day (the first pay period) from 10 F of cash. Without
    # arrears it fails on day 10; owing up to 10 days of wages (0.65 F a day) it fails 6.5 days later.
    now, _ = run_with_city(_closed_firm(10.0, 0.0))
    assert math.isclose(now.outcomes["failure_day"][0], 10.0)
    later, _ = run_with_city(_closed_firm(10.0, 10.0))
    assert math.isclose(later.outcomes["failure_day"][0], 16.5)


def test_wages_owed_fall_due_after_the_restart_and_a_firm_that_cannot_pay_them_fails_then() -> None:
    # Cash for 2 days of fixed cost F, allowed to restart on day 3.5 (tiny's approval): it restarts 1.5 F in
    # arrears. Open with a margin of 5 % on revenue of 12.5 F a day it loses F − 0.625 F a day, so it stays below
    # zero; the arrears fall due 10 days after the restart, and it fails on that day (without them it would have
    # failed on day 2, before restarting).
    result, _ = run_with_city(_closed_firm(2.0, 30.0, ban=0.0, margin=0.05, revenue_per_worker_day=1500.0))
    o = result.outcomes
    assert o["restart_day"][0] == 3.5
    assert math.isclose(o["failure_day"][0], 13.5)
    # the same firm with a margin that covers its costs pays them back in time and lives
    paid, _ = run_with_city(_closed_firm(2.0, 30.0, ban=0.0, margin=0.25, revenue_per_worker_day=1500.0))
    assert np.isnan(paid.outcomes["failure_day"][0])
    never, _ = run_with_city(_closed_firm(2.0, 0.0, ban=0.0, margin=0.25, revenue_per_worker_day=1500.0))
    assert math.isclose(never.outcomes["failure_day"][0], 2.0)


def _shops(cv: float, n: int = 400) -> City:
    return City(tiny(
        population={"strata": [{"name": "s", "count": n, "workers": 10, "readiness": 1.0, "nonlocal_share": 0.0,
                                "size_class": "sme", "sector": "trade", "cash_runway_days": 1000}]},
        demand={"enabled": True, "index": {"trade": [[0.0, 0.5], [40.0, 0.9]]}, "city_share": {"trade": 0.0},
                "exposure_cv": {"sme": cv}},
    ), 0)


def test_each_firms_outside_orders_are_its_sectors_index_to_the_power_of_its_exposure() -> None:
    demand = _shops(0.5).modules["demand"]
    e = demand.exposure
    # lognormal, mean 1, cv 0.5, over 400 firms: the sample mean is within 3 standard errors (0.075) of 1
    assert abs(e.mean() - 1.0) < 3 * 0.5 / math.sqrt(len(e))
    assert np.allclose(demand.external(0.0), 0.5 ** e)
    assert np.allclose(demand.external(20.0), 0.7 ** e)
    # the share of firms whose orders reach half their capacity rises with the sector's recovery instead of
    # jumping: about half of them (exposure below 1) on day 0, almost all at 0.9
    at_half = [(demand.external(d) >= 0.5).mean() for d in (0.0, 20.0, 40.0)]
    assert 0.3 < at_half[0] < at_half[1] < at_half[2] and at_half[2] > 0.95
    # without the spread every firm is at its sector's index
    flat = _shops(0.0).modules["demand"]
    assert np.array_equal(flat.exposure, np.ones(400)) and np.allclose(flat.external(0.0), 0.5)


def test_a_firm_that_restarts_owing_no_wages_may_not_run_them_up_once_open() -> None:
    # Cash for 10 days of fixed cost F, restarting on day 3.5 with 6.5 F left and no arrears. Open, its sales
    # are paid 20 days late while it pays F plus its inputs (12.5 F × 0.95 a day: margin 5 %) at once, so its
    # cash is gone 6.5 / (1 + 11.875) days after the restart: it fails then, as without the arrears rule; the
    # arrears allowed in the stoppage do not carry over to an open firm that owed nothing.
    late = {"receivable_delay_days": {"sme": 20.0}, "payable_delay_days": {"sme": 0.0},
            "sales_to_firms": {"machinery": 1.0}}
    result, _ = run_with_city(_closed_firm(10.0, 30.0, ban=0.0, finance=late, margin=0.05,
                                           revenue_per_worker_day=1500.0))
    o = result.outcomes
    assert o["restart_day"][0] == 3.5
    assert math.isclose(o["failure_day"][0], 3.5 + 6.5 / (1 + 11.875), rel_tol=1e-9)
