"""New or expanding projects: the multi-step procedure (the Maiqi case).

Site inspection, negotiation, signing and project approval run in sequence,
or all at once under fast-track; then the licence: a registration desk shared
with the public's registrations (市场主体登记), and the licence procedure
(8.5 working days in the ordinary way, a day with a special desk). A project
steward (项目管家, the project's liaison) shortens every step. Setting up the
plant (rent, equipment, hiring) runs beside the steps; trial production starts
when both are done.

A step may name an office of the scenario's ``offices:`` section (a separate
office for project approval, say): it is then a service at that office, queued
after the steps that need no office (in sequence, or side by side under
fast-track), with the step's duration as the office's working time.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Protocol

import simpy
from pydantic import Field

from sim.model.module import City, Module
from sim.scenario.distributions import fixed, triangular
from sim.scenario.params import Strict, param
from sim.scenario.types import Dist, Factor

if TYPE_CHECKING:
    from sim.model.enterprise import Enterprise
    from sim.model.offices import Registration
    from sim.model.servers import ServicePoint

Process = Generator[simpy.Event, Any, None]


class ProjectStep(Strict):
    name: str = Field(min_length=1, max_length=40)
    days: Dist = param(lambda: fixed(1.0), unit="days", meaning="duration of the step (with an office: the office's working time for it)",
                       provenance="assumption")
    office: str | None = Field(None, description="an office of the scenario's offices: section that does this step; "
                                                "the step is then a service there, after the steps that need no office")


def _default_steps() -> list[ProjectStep]:
    return [
        ProjectStep(name="site_inspection", days=triangular(0.5, 1.0, 2.0)),
        ProjectStep(name="negotiation", days=triangular(1.0, 2.0, 5.0)),
        ProjectStep(name="signing", days=triangular(0.5, 1.0, 2.0)),
        ProjectStep(name="project_approval", days=triangular(1.0, 3.0, 8.0)),
    ]


class NewProjects(Strict):
    """New or expanding projects: multi-step procedure, licence, set-up (the Maiqi case)."""

    steps: list[ProjectStep] = param(_default_steps, unit="steps", meaning="steps before the licence (考察、洽谈、签约、立项)",
                                     provenance="source: Maiqi, inspection, negotiation, signing, approval and licence in one week with fast-track")
    setup_days: Dist = param(lambda: triangular(5.0, 7.0, 12.0), unit="days", meaning="renting the plant, installing equipment, hiring (runs beside the steps)",
                             provenance="source: Maiqi, trial production in under 15 days")
    standard_delay_factor: Factor = param(2.0, unit="factor", meaning="step durations without fast-track ÷ with",
                                          provenance="assumption")
    steward_factor: Factor = param(0.7, unit="factor", meaning="step durations with a project steward (项目管家) ÷ without",
                                   provenance="assumption")


class Steward(Protocol):
    def first_visit(self, ent: Enterprise) -> simpy.Event | None: ...


class Desks(Protocol):
    registration: ServicePoint

    def office(self, name: str, county: int) -> ServicePoint: ...


class ProjectsModule(Module):
    """The multi-step procedure of new projects, and their set-up."""

    name = "projects"
    SECTIONS = {"config": "new_projects", "registration": "registration"}
    STREAMS = ("project_step", "project_setup", "registration", "licence")

    def __init__(self, city: City, config: NewProjects, registration: Registration) -> None:
        super().__init__(city)
        self.config = config
        self.registration = registration
        self.setup_ready = [0.0] * city.pop.n  # the day the plant is set up (0: no project)

    def connect(self, cadres: Steward, offices: Desks) -> None:
        self.cadres = cadres
        self.offices = offices

    def ready_day(self, ent: Enterprise) -> float:
        """The day the firm's plant is set up (0 for a firm that is not a new project)."""
        return self.setup_ready[ent.i]

    def procedure(self, ent: Enterprise, fast_registration: bool, steps_parallel: bool) -> Process:
        env = self.city.env
        spec = self.config
        reg = self.registration
        start = env.now
        ent.record("application_day", start)
        factor = 1.0 if steps_parallel else spec.standard_delay_factor
        drawn = [step.days.quantile(ent.u("project_step")) for step in spec.steps]
        durations = [d * factor for d, step in zip(drawn, spec.steps, strict=True) if step.office is None]
        self.setup_ready[ent.i] = start + spec.setup_days.quantile(ent.u("project_setup"))
        total = max(durations, default=0.0) if steps_parallel else sum(durations)
        alone = env.timeout(total)
        visit = self.cadres.first_visit(ent)  # the project steward (项目管家) takes over at the first visit
        if visit is None:
            yield alone
        else:
            yield visit | alone
            if visit.triggered and not alone.processed:
                yield env.timeout((start + total - env.now) * spec.steward_factor)
        if ent.failed:
            return
        at_offices = [(self.offices.office(step.office, ent.county), d)
                      for d, step in zip(drawn, spec.steps, strict=True) if step.office is not None]
        if steps_parallel and at_offices:
            yield env.all_of([ent.ask(office, d) for office, d in at_offices])
            if ent.failed:
                return
        else:
            for office, d in at_offices:
                yield ent.ask(office, d)
                if ent.failed:
                    return
        yield ent.ask(self.offices.registration, reg.service_days.quantile(ent.u("registration")))
        licence = reg.licence_days_fast if fast_registration else reg.licence_days_standard
        yield env.timeout(licence.quantile(ent.u("licence")))
