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
from typing import TYPE_CHECKING, Protocol

import numpy as np
from pydantic import Field, model_validator

from sim.model.module import City, Metric, Module, ResultView
from sim.model.records import Outcome
from sim.scenario.distributions import lognormal
from sim.scenario.params import Strict, param
from sim.scenario.types import Day, Dist, Probability

if TYPE_CHECKING:

    from sim.model.enterprise import Enterprise
    from sim.model.servers import ServicePoint

Problem = tuple["Enterprise", int, float]  # (firm, kind index, day it arrived)


class ProblemKind(Strict):
    """A kind of problem that cuts capacity until a department resolves it."""

    kind: str = Field(min_length=1, max_length=40)
    department: str = Field(min_length=1, max_length=40, description="department that resolves it (a key of 'departments')")
    expected_per_enterprise: float = param(0.5, unit="problems", meaning="expected number per enterprise during ramp-up",
                                           provenance="assumption", ge=0, le=100, allow_inf_nan=False)
    capacity_loss: Probability = param(0.2, unit="share of capacity", meaning="capacity lost while the problem is open",
                                       provenance="assumption")


class Department(Strict):
    staff: int = param(5, unit="staff", meaning="people resolving problems at once",
                       provenance="assumption: not published; a city bureau's section assigned to enterprise problems",
                       plausible_range=(3, 40), ge=1, le=100_000)
    service_days: Dist = param(lambda: lognormal(1.5, 0.8), unit="staff-days", meaning="staff time to resolve one problem",
                               provenance="assumption")


def _default_problem_kinds() -> list[ProblemKind]:
    return [
        ProblemKind(kind="labour", department="human_resources", expected_per_enterprise=0.4, capacity_loss=0.2),
        ProblemKind(kind="logistics", department="transport", expected_per_enterprise=0.4, capacity_loss=0.25),
        ProblemKind(kind="finance", department="finance", expected_per_enterprise=0.3, capacity_loss=0.15),
        ProblemKind(kind="supplies", department="market_supervision", expected_per_enterprise=0.3, capacity_loss=0.2),
        ProblemKind(kind="power", department="power_supply", expected_per_enterprise=0.1, capacity_loss=0.5),
    ]


def _default_departments() -> dict[str, Department]:
    return {
        "human_resources": Department(staff=20, service_days=lognormal(0.8, 0.8)),
        "transport": Department(staff=15, service_days=lognormal(0.8, 0.8)),
        "finance": Department(staff=15, service_days=lognormal(1.0, 0.8)),
        "market_supervision": Department(staff=15, service_days=lognormal(0.8, 0.8)),
        "power_supply": Department(staff=15, service_days=lognormal(0.3, 0.5)),
    }


class Problems(Strict):
    """Problems while ramping up and the daily dispatch (日调度、日检查、日报告)."""

    kinds: list[ProblemKind] = param(_default_problem_kinds, unit="list", meaning="kinds of problems, each resolved by one department",
                                     provenance="source: 用工、运输、融资、防疫 problems; power faults fixed by the power company")
    window_days: Day = param(30.0, unit="days", meaning="problems arrive uniformly within this many days after restart",
                             provenance="assumption")
    finding_office_days: Dist = param(lambda: lognormal(3.0, 0.7), unit="days", meaning="time an enterprise without a liaison spends finding the right office",
                                      provenance="assumption")
    departments: dict[str, Department] = param(_default_departments, unit="departments", meaning="departments with staff that resolve problems",
                                               provenance="assumption")

    @model_validator(mode="after")
    def _departments_exist(self) -> Problems:
        for k in self.kinds:
            if k.department not in self.departments:
                raise ValueError(f"problem kind '{k.kind}' names department '{k.department}', "
                                 f"which is not in departments {sorted(self.departments)}")
        return self


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



class Liaisons(Protocol):
    def has_liaison(self, ent: Enterprise) -> bool: ...
    def carry(self, ent: Enterprise, problem: Problem) -> None: ...


class Departments(Protocol):
    def department(self, name: str) -> ServicePoint: ...


class ProblemsModule(Module):
    """Problems of each firm after its restart, the departments' queues and the daily dispatch (日调度)."""

    name = "problems"
    SECTIONS = {"config": "problems"}
    CUTS_CAPACITY = True
    STREAMS = ("problem_count:*", "problem_time", "finding_office", "problem_service")
    OUTCOMES = (
        Outcome("problems", "i4", "problems that arrived"),
        Outcome("problem_days", "f8", "total days from a problem's arrival to its resolution"),
        Outcome("problems_resolved", "i4", "problems resolved"),
    )
    METRICS = (
        Metric("problems", "problems that arrived", ("problems", "问题数"), "problems", "count"),
        Metric("mean_problem_days", "mean days to resolve a problem", ("days to solve a problem", "问题解决天数"),
               "days", "days", "lower", 1.0),
    )

    def __init__(self, city: City, config: Problems) -> None:
        super().__init__(city)
        self.config = config
        n = city.pop.n
        self.open_problems: list[list[float]] = [[] for _ in range(n)]  # capacity lost by each open problem
        self.factor = [1.0] * n  # share of capacity the open problems leave
        self.pending: list[Problem] = []  # collected by the liaisons since the last dispatch meeting
        self.dispatched = 0

    def connect(self, cadres: Liaisons, offices: Departments) -> None:
        self.cadres = cadres
        self.offices = offices

    def restarting(self, ent: Enterprise) -> None:
        """Plan the problems of a restarting firm: a count of each kind, arriving within the window."""
        now = self.city.env.now
        timers = self.city.timers
        spec = self.config
        for kind_index, kind in enumerate(spec.kinds):
            count = poisson_quantile(ent.u("problem_count:" + kind.kind), kind.expected_per_enterprise)
            for _ in range(count):
                t = now + ent.u("problem_time") * spec.window_days
                timers.at(t, partial(self.arrive, ent, kind_index))

    def _set_factor(self, ent: Enterprise) -> None:
        factor = 1.0
        for loss in self.open_problems[ent.i]:
            factor *= 1.0 - loss
        self.factor[ent.i] = factor
        if not ent.failed:
            ent.update()

    def arrive(self, ent: Enterprise, kind_index: int) -> None:
        if ent.failed:
            return
        city = self.city
        kind = self.config.kinds[kind_index]
        city.outcomes["problems"][ent.i] += 1
        self.open_problems[ent.i].append(kind.capacity_loss)
        self._set_factor(ent)
        problem = (ent, kind_index, city.env.now)
        if self.cadres.has_liaison(ent):
            self.cadres.carry(ent, problem)
        else:
            delay = self.config.finding_office_days.quantile(ent.u("finding_office"))
            ev = city.env.timeout(delay)
            ev.callbacks.append(lambda _ev: self.submit(problem))

    def submit(self, problem: Problem, priority: int = 1) -> None:
        """The problem joins its department's queue (priority 0: carried and followed up by a liaison)."""
        ent, kind_index, arrived = problem
        if ent.failed:
            return
        kind = self.config.kinds[kind_index]
        dept = self.offices.department(kind.department)
        service = self.config.departments[kind.department].service_days.quantile(ent.u("problem_service"))
        done = ent.ask(dept, service, priority)
        done.callbacks.append(lambda _ev: self.resolve(problem))

    def resolve(self, problem: Problem) -> None:
        ent, kind_index, arrived = problem
        if ent.failed:
            return
        city = self.city
        loss = self.config.kinds[kind_index].capacity_loss
        self.open_problems[ent.i].remove(loss)
        days = city.outcomes["problem_days"]
        city.outcomes["problems_resolved"][ent.i] += 1
        days[ent.i] = (0.0 if math.isnan(days[ent.i]) else days[ent.i]) + city.env.now - arrived
        self._set_factor(ent)

    # -- the daily dispatch (日调度): the liaisons' working day calls these ------------------------------

    def enqueue(self, problem: Problem) -> None:
        """A liaison's check-in collected the problem."""
        self.pending.append(problem)

    def meet(self) -> list[Problem]:
        """The meeting takes every collected problem (the cadres' working day follows them up)."""
        batch, self.pending = self.pending, []
        self.dispatched += len(batch)
        return batch

    # -- results ---------------------------------------------------------------------------------

    def summary(self, view: ResultView) -> dict[str, float]:
        o = view.outcomes
        resolved = o["problems_resolved"].sum()
        return {
            "problems": float(o["problems"].sum()),
            "mean_problem_days": float(np.nansum(o["problem_days"]) / resolved) if resolved else math.nan,
        }
