"""Problems while ramping up, and the daily dispatch (日调度、日检查、日报告).

Problems of each kind (labour, logistics, finance, supplies, power) arrive
after the restart and cut capacity until the right department resolves them.
A covered enterprise's problem waits until its liaison's daily check-in
collects it (the check-ins a liaison's day has room for, see
:mod:`sim.model.cadres`); the next daily dispatch meeting gives it a deadline
and the liaison follows it up, and a followed-up problem joins its
department's queue ahead of the problems firms bring themselves (priority 0
against 1). An enterprise without a liaison first spends time finding the
right office. The dispatch meeting is part of the cadres' working-day event,
not a poll of every enterprise.
"""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model.enterprise import Enterprise
    from sim.model.world import City


def poisson_quantile(u: float, mean: float) -> int:
    """Inverse CDF of the Poisson law (small means), for common random numbers."""
    if mean <= 0.0:
        return 0
    k = 0
    p = math.exp(-mean)
    cdf = p
    while u > cdf and k < 10_000:
        k += 1
        p *= mean / k
        cdf += p
    return k


def schedule_arrivals(ent: Enterprise, now: float) -> None:
    city = ent.city
    spec = city.sc.problems
    for kind_index, kind in enumerate(spec.kinds):
        count = poisson_quantile(ent.u("problem_count:" + kind.kind), kind.expected_per_enterprise)
        for _ in range(count):
            t = now + ent.u("problem_time") * spec.window_days
            city.timers.at(t, partial(arrive, ent, kind_index))


def arrive(ent: Enterprise, kind_index: int) -> None:
    if ent.failed:
        return
    city = ent.city
    kind = city.sc.problems.kinds[kind_index]
    city.outcomes["problems"][ent.i] += 1
    ent.open_problems.append(kind.capacity_loss)
    ent.set_problems()
    problem = (ent, kind_index, city.env.now)
    if ent.liaison is not None:
        city.cadres.carry(ent, problem)
    else:
        delay = city.sc.problems.finding_office_days.quantile(ent.u("finding_office"))
        ev = city.env.timeout(delay)
        ev.callbacks.append(lambda _ev: submit(problem))


def submit(problem: tuple[Enterprise, int, float], priority: int = 1) -> None:
    """The problem joins its department's queue (priority 0: carried and followed up by a liaison)."""
    ent, kind_index, arrived = problem
    if ent.failed:
        return
    city = ent.city
    kind = city.sc.problems.kinds[kind_index]
    dept = city.departments[kind.department]
    service = city.sc.problems.departments[kind.department].service_days.quantile(ent.u("problem_service"))
    done = ent.ask(dept, service, priority)
    done.callbacks.append(lambda _ev: resolve(problem))


def resolve(problem: tuple[Enterprise, int, float]) -> None:
    ent, kind_index, arrived = problem
    if ent.failed:
        return
    city = ent.city
    loss = city.sc.problems.kinds[kind_index].capacity_loss
    ent.open_problems.remove(loss)
    city.outcomes["problems_resolved"][ent.i] += 1
    city.outcomes["problem_days"][ent.i] = (
        (0.0 if math.isnan(city.outcomes["problem_days"][ent.i]) else city.outcomes["problem_days"][ent.i])
        + city.env.now - arrived
    )
    ent.set_problems()


class DailyDispatch:
    """Problems the liaisons collected since the last dispatch meeting (日调度)."""

    def __init__(self, city: City) -> None:
        self.city = city
        self.pending: list[tuple[Enterprise, int, float]] = []
        self.dispatched = 0

    def enqueue(self, problem: tuple[Enterprise, int, float]) -> None:
        self.pending.append(problem)

    def meet(self) -> list[tuple[Enterprise, int, float]]:
        """The meeting takes every collected problem (the cadres' working day follows them up)."""
        batch, self.pending = self.pending, []
        self.dispatched += len(batch)
        return batch
