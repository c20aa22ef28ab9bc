"""Office hours: working time ↔ calendar time inside a service point."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
import simpy
from hypothesis import given
from hypothesis import strategies as st

from sim.model.office_hours import ALWAYS_OPEN, OfficeHours
from sim.model.servers import ServicePoint
from tests.test_queueing_theory import MMC, run_queue

EIGHT_FIVE = OfficeHours(hours_per_day=8, days_per_week=5, opens_at_hour=8, first_weekday=0)  # day 0 a Monday
CLOSING = 16 / 24  # 16:00 on day 0


def _serve(hours: OfficeHours, arrivals: list[tuple[float, float]], servers: int = 1) -> list[float]:
    """End times of services (arrival time, working days) at one point with ``hours``."""
    env = simpy.Environment()
    point = ServicePoint(env, "approval:test", servers, hours=hours)
    ends: list[float] = []

    def client(at: float, work: float) -> Generator[simpy.Event, Any, None]:
        yield env.timeout(at)
        yield point.request(work)
        ends.append(env.now)

    for at, work in arrivals:
        env.process(client(at, work))
    env.run()
    return ends


def test_twenty_four_seven_reproduces_the_always_open_queue_exactly() -> None:
    # Same seeds, same queue: every wait and the time-weighted queue length are bit-identical.
    small = dict(MMC, horizon=300.0, warmup=0.0)
    plain = run_queue(seed=np.random.SeedSequence(11), **small)  # type: ignore[arg-type]
    explicit = OfficeHours(hours_per_day=24, days_per_week=7, opens_at_hour=0, first_weekday=3)

    def point(env: simpy.Environment, name: str, servers: int) -> ServicePoint:
        return ServicePoint(env, name, servers, hours=explicit)

    timed = run_queue(seed=np.random.SeedSequence(11), point=point, **small)  # type: ignore[arg-type]
    assert timed.waits == plain.waits
    assert timed.mean_queue_length == plain.mean_queue_length
    assert explicit.always_open and ALWAYS_OPEN.always_open


def test_a_service_started_at_closing_time_finishes_the_next_working_day() -> None:
    # Half a working day (4 hours) asked at 16:00 on Monday ends at 12:00 on Tuesday.
    assert _serve(EIGHT_FIVE, [(CLOSING, 0.5)]) == [pytest.approx(1 + 12 / 24)]
    # Asked at 16:00 on Friday (day 4), it ends at noon on Monday (day 7), not over the weekend.
    assert _serve(EIGHT_FIVE, [(4 + CLOSING, 0.5)]) == [pytest.approx(7 + 12 / 24)]
    # Asked at night it starts at opening: 2 hours asked at 22:00 end at 10:00 next morning.
    assert _serve(EIGHT_FIVE, [(22 / 24, 0.25)]) == [pytest.approx(1 + 10 / 24)]


def test_a_service_that_uses_up_the_day_ends_at_closing_not_next_morning() -> None:
    assert _serve(EIGHT_FIVE, [(8 / 24, 1.0)]) == [pytest.approx(CLOSING)]
    assert _serve(EIGHT_FIVE, [(4 + 8 / 24, 1.0)]) == [pytest.approx(4 + CLOSING)]


def test_the_queue_waits_in_calendar_time_and_counts_working_time() -> None:
    # Two one-day jobs on one reviewer at 08:00 Monday: the first ends at 16:00, the second
    # starts then (a wait of 8 calendar hours), works through Tuesday and ends Tuesday 16:00;
    # busy working time is 2 days.
    env = simpy.Environment()
    point = ServicePoint(env, "approval:test", 1, hours=EIGHT_FIVE)
    waits: list[float] = []
    ends: list[float] = []

    def client() -> Generator[simpy.Event, Any, None]:
        yield env.timeout(8 / 24)
        waits.append((yield point.request(1.0)))
        ends.append(env.now)

    env.process(client())
    env.process(client())
    env.run(until=3.0)
    assert waits == [0.0, pytest.approx(8 / 24)]
    assert ends == [pytest.approx(CLOSING), pytest.approx(1 + CLOSING)]
    stats = point.stats()
    assert stats["busy_work_time"] == pytest.approx(2.0)
    assert stats["utilisation"] == pytest.approx(2.0 / 3.0)  # 2 of the 3 working days by day 3


@given(hours=st.sampled_from([1.0, 7.5, 8.0, 12.0, 24.0]), days=st.integers(1, 7),
       opens=st.floats(0.0, 12.0), first=st.integers(0, 6),
       start=st.floats(0.0, 60.0), work=st.floats(0.0, 10.0))
def test_end_of_service_accrues_exactly_the_work_asked(hours: float, days: int, opens: float, first: int,
                                                      start: float, work: float) -> None:
    if opens + hours > 24:
        opens = 24 - hours
    h = OfficeHours(hours, days, opens, first)
    end = h.end_of_service(start, work)
    assert end >= start
    assert h.worked(end) - h.worked(start) == pytest.approx(work, abs=1e-9)
    # and not later than needed: just before the end less work had accrued
    if work > 1e-6:
        assert h.worked(end - 1e-7) - h.worked(start) < work


def test_a_week_accrues_its_working_days() -> None:
    for days in range(1, 8):
        h = OfficeHours(8, days, 8, 0)
        assert h.worked(7.0) == pytest.approx(days)
        assert h.worked(70.0) == pytest.approx(10 * days)


def test_bad_office_hours_are_rejected() -> None:
    with pytest.raises(ValueError):
        OfficeHours(hours_per_day=10, days_per_week=5, opens_at_hour=20)
    with pytest.raises(ValueError):
        OfficeHours(hours_per_day=8, days_per_week=0)


def test_littles_law_holds_on_a_queue_with_office_hours() -> None:
    # Sample-path L = λ̂ W is exact for any queue discipline and service law, so it must
    # survive the working-time mapping: area under Lq (calendar time) = Σ waits up to T.
    def point(env: simpy.Environment, name: str, servers: int) -> ServicePoint:
        return ServicePoint(env, name, servers, hours=EIGHT_FIVE)

    r = run_queue(servers=3, lams=[0.8], mean_review=1.0, horizon=400.0, warmup=0.0,
                  seed=np.random.SeedSequence(5), point=point)
    assert r.mean_queue_length > 0.05  # the office really queues (over nights and weekends too)
    assert r.mean_queue_length == pytest.approx(r.arrivals / r.horizon * r.waits_all / r.arrivals, rel=1e-9)


def test_office_head_counts_carry_a_plausible_range_that_holds_the_default() -> None:
    from sim.model.offices import Registration
    from sim.model.problems import Department
    from sim.scenario.params import field_meta, plausible_range
    from sim.scenario.population_schema import County
    from sim.scenario.schema import scenario_json_schema

    for model, name in ((County, "approval_reviewers"), (County, "inspectors"), (Department, "staff"),
                        (Registration, "desks")):
        info = model.model_fields[name]
        rng = plausible_range(info)
        assert rng is not None, f"{model.__name__}.{name} has no plausible range"
        assert rng[0] <= info.default <= rng[1]
        assert "plausible_range" in field_meta(info)
    # shown in `python -m sim schema`
    county = scenario_json_schema()["$defs"]["County"]["properties"]["approval_reviewers"]
    assert county["plausible_range"] == [1, 8]
