"""Firms that wait for orders and suppliers: hand-checkable runs of the network, demand, reopening and cash.

Every scenario here is the deterministic tiny one (tests/conftest.py) with one mechanism switched on, so
that each moment can be computed by hand: a customer whose only supplier is shut runs on its stock and
stops the day the stock is gone; a firm with no orders stays closed; a sale paid late makes a firm that
would have lived fail on the day its cash is gone.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.cli import main
from sim.model import sectors
from sim.model.constraints import CODE, CONSTRAINTS
from sim.model.world import City
from sim.scenario.schema import Scenario
from tests.conftest import tiny
from tests.test_invariants import run_with_city
from tests.test_money import NO_RELIEF

ROOT = Path(__file__).parent.parent


def _firm(name: str, sector: str, **more: Any) -> dict[str, Any]:
    return {"name": name, "count": 1, "workers": 10, "readiness": 1.0, "nonlocal_share": 0.0,
            "cash_runway_days": 1000, "size_class": "sme", "sector": sector, **more}


def _supply_chain(inventory: float, ban_until: float) -> Scenario:
    """A machinery plant (essential: it may restart during the ban) whose only input is metal from one mill of
    the city (normal: banned until ``ban_until``). Only that input is modelled (min_coefficient above every
    other coefficient of the table); the plant holds ``inventory`` days of it."""
    return tiny(
        horizon_days=40,
        calendar={"restart_ban_until_day": ban_until},
        counties=[{"name": "c", "approval_reviewers": 2, "inspectors": 2}],
        population={"strata": [_firm("plant", "machinery", priority="essential"), _firm("mill", "metals")]},
        network={"enabled": True, "coefficients": {"machinery": {"metals": 0.35}},
                 "ratings": {"machinery": {"metals": "critical"}}, "min_coefficient": 0.34,
                 "local_share": {"metals": 1.0}, "suppliers_per_input": 1,
                 "inventory_days": {"metals": inventory}, "inventory_by_size": {"sme": 1.0},
                 "replace_after_days": 1000.0},
    )


def _capacity_path(city: City, firm: int) -> tuple[np.ndarray, np.ndarray]:
    """(times, capacity in use after each change) of one firm, from the run's change log."""
    log = city.log
    ents = np.asarray(log.ents)
    mine = ents == firm
    times = np.asarray(log.times)[mine]
    level = np.cumsum(np.asarray(log.d_prod)[mine]) / city.pop.workers[firm]
    return times, level


def _capacity_at(city: City, firm: int, t: float) -> float:
    times, level = _capacity_path(city, firm)
    before = np.nonzero(times <= t)[0]
    return float(level[before[-1]]) if len(before) else 0.0


@pytest.mark.parametrize("inventory", [3.0, 5.0, 10.0])
def test_a_customer_stops_the_day_its_stock_of_a_shut_suppliers_input_runs_out(inventory: float) -> None:
    # The plant restarts on day 3.5 (preparation 1, review 2, inspection 0.5). Stocks are drawn once a day,
    # for the day just ended, at the capacity then in use: days 4, 5, … each take one day of stock, so the
    # last is gone on day ceil(3.5) + inventory − 1. The mill is banned until day 20, when it restarts and
    # delivers again: the plant produces again from the next daily update on.
    result, city = run_with_city(_supply_chain(inventory, ban_until=20.0))
    plant, mill = 0, 1
    assert result.outcomes["restart_day"][plant] == 3.5
    assert result.outcomes["restart_day"][mill] == 20.0
    stop = math.ceil(3.5) + inventory - 1
    assert _capacity_at(city, plant, stop - 0.01) == 1.0
    assert _capacity_at(city, plant, stop) == 0.0
    assert _capacity_at(city, plant, 19.99) == 0.0
    assert _capacity_at(city, plant, 20.0) == 1.0  # the daily update after the mill's restart on day 20
    # while it is stopped the plant is counted as held back by its inputs
    held = result.series["held_inputs"]
    assert held[int(stop)] == 0.5 and held[int(stop) - 1] == 0.0  # one firm of two


def test_a_customer_whose_supplier_runs_never_stops() -> None:
    result, city = run_with_city(_supply_chain(3.0, ban_until=0.0))
    times, level = _capacity_path(city, 0)
    assert result.outcomes["restart_day"][1] == 3.5
    assert len(level) and level.min() == 1.0
    assert result.summary["input_short_firm_days"] == 0.0


def test_without_the_network_the_shut_supplier_does_not_matter() -> None:
    sc = _supply_chain(3.0, ban_until=20.0)
    sc = Scenario.model_validate({**sc.model_dump(mode="json", by_alias=True), "network": {"enabled": False}})
    _, city = run_with_city(sc)
    assert _capacity_at(city, 0, 10.0) == 1.0


def _orders(index: list[list[float]], **reopening: Any) -> Scenario:
    return tiny(
        population={"strata": [_firm("shop", "machinery")]},
        demand={"enabled": True, "index": {"machinery": index}, "city_share": {"machinery": 0.0}},
        reopening={"enabled": True, **reopening},
    )


def test_a_firm_without_orders_stays_closed() -> None:
    result, _ = run_with_city(_orders([[0.0, 0.0]]))
    o = result.outcomes
    assert o["allowed_day"][0] == 3.5 and np.isnan(o["restart_day"][0])
    assert result.summary["never_reopened_share"] == 1.0
    assert result.series["held_orders"][-1] == 1.0


def test_a_firm_reopens_on_the_first_day_its_orders_are_worth_it() -> None:
    # orders 0 until day 9, full from day 10: the firm looks again every day and reopens on day 10
    result, _ = run_with_city(_orders([[0.0, 0.0], [9.0, 0.0], [10.0, 1.0]]))
    assert result.outcomes["restart_day"][0] == 10.0
    # below the shutdown point it waits; at it, it reopens (linear between the points: 0.5 on day 9.5 is not
    # looked at, the daily look is on whole days)
    late, _ = run_with_city(_orders([[0.0, 0.0], [9.0, 0.0], [10.0, 1.0]], min_utilisation=1.0))
    assert late.outcomes["restart_day"][0] == 10.0
    never, _ = run_with_city(_orders([[0.0, 0.9]], min_utilisation=0.95))
    assert np.isnan(never.outcomes["restart_day"][0])


def test_with_the_reopening_decision_off_a_firm_opens_when_allowed_whatever_its_orders() -> None:
    sc = _orders([[0.0, 0.0]])
    sc = Scenario.model_validate({**sc.model_dump(mode="json", by_alias=True), "reopening": {"enabled": False}})
    result, _ = run_with_city(sc)
    assert result.outcomes["restart_day"][0] == 3.5


def _late_payers(delay: float) -> Scenario:
    return tiny(
        horizon_days=60,
        population={"strata": [_firm("works", "machinery", cash_runway_days=100)]},
        policies={"relief": NO_RELIEF},
        finance={"receivable_delay_days": {"sme": delay}, "payable_delay_days": {"sme": 0.0},
                 "sales_to_firms": {"machinery": 1.0}, "input_price_premium": 0.0},
    )


@pytest.mark.parametrize("delay", [10.0, 20.0])
def test_customers_paying_late_make_a_firm_fail_on_the_day_its_cash_is_gone(delay: float) -> None:
    # Closed until day 3.5 the firm pays its fixed cost F a day from 100 F of cash. From the restart it pays F
    # plus its inputs (revenue R × (1 − margin m)) a day while its sales are paid `delay` days later: with
    # nothing coming in, the cash left at the restart lasts (100 F − 3.5 F) / (F + R (1 − m)) days. That is
    # under 10 days here, so the firm fails then whatever the delay beyond it.
    result, city = run_with_city(_late_payers(delay))
    money = city.modules["money"]
    fixed, revenue, margin = money.fixed_cost[0], money.revenue[0], money.margin[0]
    t0 = result.outcomes["restart_day"][0]
    lasts = (100 * fixed - t0 * fixed) / (fixed + revenue * (1 - margin))
    assert lasts < 10.0
    assert math.isclose(result.outcomes["failure_day"][0], t0 + lasts, rel_tol=1e-9)


def test_customers_paying_on_time_let_the_same_firm_live() -> None:
    result, _ = run_with_city(_late_payers(0.0))
    assert np.isnan(result.outcomes["failure_day"][0])
    short, _ = run_with_city(_late_payers(2.0))  # two days of sales unpaid: its cash bridges them
    assert np.isnan(short.outcomes["failure_day"][0])


def test_working_capital_need_is_the_unpaid_days_of_sales() -> None:
    city = City(_late_payers(10.0), 0)
    money = city.modules["money"]
    ent = city.enterprises[0]
    assert math.isclose(money.working_capital_need(ent, 0.5), 0.5 * money.revenue[0] * 10.0)


def test_an_upstream_priority_serves_the_firms_that_supply_others_first() -> None:
    # one reviewer, busy from day 1 with a shop; a machinery plant (listed first) and a metal mill wait for
    # it. FIFO serves the plant next; with priority_order [upstream] the mill (metals: sold mostly to other
    # firms) goes first
    def run(order: list[str]) -> np.ndarray:
        sc = tiny(population={"strata": [_firm("shop", "trade"), _firm("plant", "machinery"),
                                         _firm("mill", "metals")]},
                  policies={"approval": {"name": "standard", "priority_order": order}})
        return run_replication_outcomes(sc)["restart_day"]

    fifo, upstream = run([]), run(["upstream"])
    assert fifo[0] == 3.5 and fifo[1] == 5.5 and fifo[2] == 7.5
    assert upstream[0] == 3.5 and upstream[2] == 5.5 and upstream[1] == 7.5


def run_replication_outcomes(sc: Scenario) -> dict[str, np.ndarray]:
    result, _ = run_with_city(sc)
    return result.outcomes


def test_held_back_shares_add_up_to_one_every_day() -> None:
    result, _ = run_with_city(_supply_chain(5.0, ban_until=20.0))
    total = sum(result.series[f"held_{c}"] for c in CONSTRAINTS)
    assert np.allclose(total, 1.0)
    # day 2: both firms preparing or in review; the mill is banned from its approval on (day 3.5) to day 20
    assert result.series["held_ban"][10] == 0.5
    assert CODE["full"] == len(CONSTRAINTS) - 1


def test_a_missing_data_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sectors, "DATA", tmp_path)
    sectors.forget()
    try:
        code = main(["validate", str(ROOT / "scenarios" / "tieling-2020.yaml")])
    finally:
        monkeypatch.undo()
        sectors.forget()
    text = "".join(capsys.readouterr())
    assert code == 2, text
    assert "data/network/" in text and "is missing" in text and "Traceback" not in text


def test_a_limit_moves_by_whole_steps_once_the_value_is_three_quarters_of_a_step_away() -> None:
    from sim.model.network import STEP, quantise

    old = np.array([0.5, 0.5, 0.5, 0.5, 1.0])
    values = np.array([0.5 + 0.74 * STEP, 0.5 - 0.74 * STEP, 0.5 + 0.76 * STEP, 0.5 - 2.2 * STEP, 0.0])
    moved = quantise(values, old)
    # within three quarters of a step the limit stays; beyond, it goes to the nearest step
    assert moved == pytest.approx([0.5, 0.5, 0.5 + STEP, 0.5 - 2 * STEP, 0.0])
    # a value hovering across the middle between two steps moves the limit once, not every day
    limit, moves = np.array([0.5]), 0
    for value in [0.56, 0.54, 0.56, 0.54, 0.56]:
        new = quantise(np.array([value]), limit)
        moves += int(new[0] != limit[0])
        limit = new
    assert moves == 0
