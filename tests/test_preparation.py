"""Preparation: the parallel tasks of February 2020 and their levers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sim.model.preparation import (
    HealthRegistration,
    Supplies,
    SupplyMarket,
    health_registration_days,
)
from sim.model.world import run_replication
from tests.conftest import tiny


def _application_days(**overrides: Any) -> np.ndarray:
    return run_replication(tiny(**overrides), "base", 0).outcomes["application_day"]


def test_a_firm_is_ready_when_its_longest_task_is_done() -> None:
    # tiny(): paperwork 1 day, the other tasks 0; one review at a time (2 days each).
    assert list(_application_days()) == [1.0, 1.0]
    assert list(_application_days(preparation={"plan": {"plan_days": 3.0}})) == [3.0, 3.0]
    # tiny firms have 10 local workers: at a reference size of 10 the health registration takes its 'days'
    health = {"health": {"days": 2.5, "reference_workers": 10}}
    assert list(_application_days(preparation=health)) == [2.5, 2.5]
    # a full-supply market need of 2 days on a market at (nearly) half supply throughout takes 4 days
    # (availability rises by 0.5 × 4/3650 over them: 0.1 % less)
    slow = {"supplies": {"market_days": 2.0, "initial_availability": 0.5, "easing_days": 3650}}
    assert list(_application_days(preparation=slow)) == [pytest.approx(4.0, rel=1e-3)] * 2


def test_the_liaison_brings_the_city_allocation_after_the_first_visit() -> None:
    # Supplies alone take 10 days; a liaison visiting on day 2 (half a day) brings them 1 day later.
    base = {"preparation": {"supplies": {"market_days": 10.0, "initial_availability": 1.0, "allocation_days": 1.0}},
            "policies": {"coverage": {"name": "one_plus_one_plus_one", "supervisors": False}},
            "cadres": {"dispatch_day": 2.0, "liaisons": {"first_visit_hours": 4.0, "enterprises_per_cadre": 1,
                                                         "preparation_factor": 1.0}}}
    assert list(_application_days(**base)) == [pytest.approx(3.5)] * 2
    off = {**base, "preparation": {"supplies": {**base["preparation"]["supplies"], "city_allocation": False}}}
    assert list(_application_days(**off)) == [10.0, 10.0]


def test_the_liaison_shortens_the_paperwork_but_not_to_before_the_visit() -> None:
    cover = {"policies": {"coverage": {"name": "one_plus_one_plus_one", "supervisors": False}},
             "approval": {"preparation_days": 10.0},
             "cadres": {"liaisons": {"first_visit_hours": 4.0, "enterprises_per_cadre": 1, "preparation_factor": 0.6}}}
    # visit done on day 4.5 (dispatch day 4): paperwork ends at 0.6 × 10 = 6
    assert list(_application_days(**cover)) == [pytest.approx(6.0)] * 2
    late = dict(cover, cadres={"dispatch_day": 8.0, "liaisons": {"first_visit_hours": 4.0, "enterprises_per_cadre": 1,
                                                                 "preparation_factor": 0.6}})
    assert list(_application_days(**late)) == [pytest.approx(8.5)] * 2


def test_supervisor_guidance_shortens_what_is_left_of_the_plan() -> None:
    cover = {"policies": {"coverage": {"name": "one_plus_one_plus_one", "liaisons": False}},
             "preparation": {"plan": {"plan_days": 10.0, "guidance_factor": 0.5}},
             "cadres": {"dispatch_day": 2.0, "supervisors": {"enterprises_per_cadre": 1, "guidance_hours": 4.0}}}
    # guidance (4 of the cadre's 8 working hours) done on day 2.5 with 7.5 days of plan left: ends at 2.5 + 3.75 = 6.25
    assert list(_application_days(**cover)) == [pytest.approx(6.25)] * 2
    none = dict(cover, preparation={"plan": {"plan_days": 10.0, "guidance_factor": 1.0}})
    assert list(_application_days(**none)) == [pytest.approx(10.0)] * 2


def test_the_market_eases_so_that_later_buyers_wait_less() -> None:
    market = SupplyMarket(Supplies(initial_availability=0.2, easing_days=20.0))
    waits = [market.bought_by(t, 3.0) - t for t in (0.0, 5.0, 10.0, 19.0, 25.0)]
    assert all(a > b for a, b in zip(waits, waits[1:-1], strict=False))
    assert waits[-1] == pytest.approx(3.0)  # after the easing, buying takes its full-supply time
    assert waits[0] > 3.0 / 0.2 / 2  # short supply at first: far slower than at full supply


@given(a0=st.floats(0.0, 1.0), ease=st.floats(0.0, 60.0), start=st.floats(0.0, 80.0), need=st.floats(0.0, 30.0))
@example(a0=0.0, ease=4.0, start=0.0, need=5e-324)  # found: the square root underflowed to 0 (ZeroDivisionError)
def test_bought_by_inverts_the_accrued_supply(a0: float, ease: float, start: float, need: float) -> None:
    market = SupplyMarket(Supplies(initial_availability=a0, easing_days=ease))
    end = market.bought_by(start, need)
    assert end >= start
    assert market.accrued(end) - market.accrued(start) == pytest.approx(need, abs=1e-7)


def test_health_registration_grows_with_size_less_than_in_proportion_and_with_nonlocal_workers() -> None:
    spec = HealthRegistration(days=2.0, reference_workers=50, size_elasticity=0.3, nonlocal_weight=2.0)
    small, big = (health_registration_days(spec, 0.5, w, 0.0) for w in (50, 500))
    assert small == pytest.approx(2.0)
    assert small < big < 10 * small
    assert health_registration_days(spec, 0.5, 50, 0.5) == pytest.approx(2.0 * 2.0)
