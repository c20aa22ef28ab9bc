"""New or expanding projects: the multi-step procedure (the Maiqi case).

Site inspection, negotiation, signing and project approval run in sequence,
or all at once under fast-track; then the licence: a registration desk shared
with the public's registrations (市场主体登记), and the licence procedure
(8.5 working days in the ordinary way, a day with a special desk). A project
steward (项目管家, the project's liaison) shortens every step. Setting up the
plant (rent, equipment, hiring) runs beside the steps; trial production starts
when both are done.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

if TYPE_CHECKING:
    from sim.model.enterprise import Enterprise


def procedure(ent: Enterprise) -> Generator[simpy.Event, Any, None]:
    city = ent.city
    env = city.env
    spec = city.sc.new_projects
    reg = city.sc.registration
    proc = city.procedure
    start = env.now
    ent.record("application_day", start)
    factor = 1.0 if proc.project_steps_parallel else spec.standard_delay_factor
    durations = [step.days.quantile(ent.u("project_step")) * factor for step in spec.steps]
    ent.setup_ready = start + spec.setup_days.quantile(ent.u("project_setup"))
    total = max(durations, default=0.0) if proc.project_steps_parallel else sum(durations)
    alone = env.timeout(total)
    visit = ent.liaison_first_visit()  # the project steward (项目管家) takes over at the first visit
    if visit is None:
        yield alone
    else:
        yield visit | alone
        if visit.triggered and not alone.processed:
            yield env.timeout((start + total - env.now) * spec.steward_factor)
    if ent.failed:
        return
    yield ent.ask(city.registration, reg.service_days.quantile(ent.u("registration")))
    licence = reg.licence_days_fast if proc.fast_registration else reg.licence_days_standard
    yield env.timeout(licence.quantile(ent.u("licence")))
