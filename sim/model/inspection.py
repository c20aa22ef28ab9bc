"""The epidemic-prevention inspection (企业“十到位”): visits until one passes.

A covered firm's supervisor inspects it on the supervisor's working day
(re-inspections after an incident first; :mod:`sim.model.cadres`); an
uncovered firm queues for its county's shared inspection team
(:mod:`sim.model.offices`). A visit passes with the firm's readiness (higher
after a supervisor's guidance); a failed visit means remediation, then
another visit, and suspends a firm that is open.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Protocol

import simpy

from sim.model.enterprise import OPEN, SUSPENDED
from sim.model.module import City, Module
from sim.model.records import Outcome
from sim.scenario.distributions import fixed, lognormal
from sim.scenario.params import Strict, param
from sim.scenario.types import Dist

if TYPE_CHECKING:
    from sim.model.enterprise import Enterprise
    from sim.model.servers import ServicePoint

Process = Generator[simpy.Event, Any, None]
MAX_INSPECTION_ROUNDS = 50


class Inspection(Strict):
    """Epidemic-prevention readiness inspection (企业“十到位”)."""

    visit_days: Dist = param(lambda: fixed(0.25), unit="inspector-days", meaning="inspector time for one visit",
                             provenance="assumption: a quarter of a working day")
    remediation_days: Dist = param(lambda: lognormal(3.0, 0.5), unit="days", meaning="time to fix what a failed inspection found",
                                   provenance="assumption")


class Supervisors(Protocol):
    readiness_gain: float

    def has_supervisor(self, ent: Enterprise) -> bool: ...
    def inspection(self, ent: Enterprise, u: float, after_incident: bool) -> simpy.Event: ...


class Teams(Protocol):
    def inspection_team(self, county: int) -> ServicePoint: ...


class InspectionModule(Module):
    """Inspection visits, by a firm's supervisor or by the county team."""

    name = "inspection"
    SECTIONS = {"config": "inspection"}
    STREAMS = ("inspection_visit", "inspection", "remediation")
    OUTCOMES = (
        Outcome("inspection_day", "f8", "first passed epidemic-prevention inspection"),
        Outcome("inspections", "i4", "inspection visits"),
    )

    def __init__(self, city: City, config: Inspection) -> None:
        super().__init__(city)
        self.config = config
        self.readiness: list[float] = city.pop.readiness.tolist()

    def connect(self, cadres: Supervisors, offices: Teams) -> None:
        self.cadres = cadres
        self.offices = offices

    def until_pass(self, ent: Enterprise, after_incident: bool = False) -> Process:
        """Inspection visits until one passes; a failure while open suspends the firm."""
        env = self.city.env
        config = self.config
        cadres = self.cadres
        inspections = self.city.outcomes["inspections"]
        for _ in range(MAX_INSPECTION_ROUNDS):
            if ent.failed:
                return
            supervised = cadres.has_supervisor(ent)
            u = ent.u("inspection_visit")
            if supervised:
                yield cadres.inspection(ent, u, after_incident)
            else:
                yield ent.ask(self.offices.inspection_team(ent.county), config.visit_days.quantile(u))
            if ent.failed:
                return
            inspections[ent.i] += 1
            readiness = self.readiness[ent.i]
            if supervised:
                readiness += (1.0 - readiness) * cadres.readiness_gain
            if ent.u("inspection") < readiness:
                ent.record_first("inspection_day", env.now)
                if ent.state == SUSPENDED:
                    ent.reopen()
                return
            if ent.state == OPEN:
                ent.suspend()
            yield env.timeout(config.remediation_days.quantile(ent.u("remediation")))
        if not ent.failed:  # readiness so low that no visit passes: give up on it passing
            ent.record_first("inspection_day", env.now)
            if ent.state == SUSPENDED:
                ent.reopen()
