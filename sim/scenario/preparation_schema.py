"""Schema of a firm's preparation for restart and of the offices' working hours.

Preparation is the parallel tasks a firm had to finish in February 2020
before it could restart (DESIGN section 9): protective supplies, the
prevention plan and 十到位 checklist, the workers' health registration and
the paperwork. The paperwork is ``approval.preparation_days`` (shortened by a
liaison, ``cadres.liaisons.preparation_factor``); the other three are here.

Offices (approval reviewers, county inspection teams, departments,
registration desks) work office hours; their service times are in working
days of those hours.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field, model_validator

from sim.scenario.distributions import Distribution, coerce_distribution, lognormal
from sim.scenario.params import Strict, param

Dist = Annotated[Distribution, BeforeValidator(coerce_distribution)]
Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Factor = Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)]
Day = Annotated[float, Field(ge=0.0, le=3650.0, allow_inf_nan=False)]

_MASKS = ("literature: NDRC (Xinhua, 2 Mar 2020): China's daily mask output was about 10 million on 1 Feb, "
          "76 million on 25 Feb ('basically meeting demand') and 116 million on 29 Feb")


class Supplies(Strict):
    """Masks, thermometers and disinfectant: a market short at first, and the city's allocation."""

    market_days: Dist = param(lambda: lognormal(3.0, 0.6), unit="days at full supply",
                              meaning="time a firm needs to buy its protective supplies when the market is fully supplied",
                              provenance="assumption: a few days of ordering and delivery in normal times")
    initial_availability: Probability = param(0.15, unit="share of full supply",
                                              meaning="supply on day 0 as a share of full supply; buying goes at this share of its full pace",
                                              provenance=_MASKS + ": about 10/76 on 1 Feb")
    easing_days: Day = param(22.0, unit="day", meaning="day by which the market is fully supplied; availability rises linearly until then",
                             provenance=_MASKS + ": demand met by 25 Feb, day 22")
    city_allocation: bool = param(True, unit="yes/no", meaning="the city allocates protective supplies to covered firms through their liaison (防控物资储备)",
                                  provenance="source: liaisons helped firms with 防控物资储备 (prevention supplies)")
    allocation_days: Dist = param(lambda: lognormal(2.0, 0.5), unit="days", meaning="from the liaison's first visit to the allocated supplies' delivery",
                                  provenance="assumption")


class PreventionPlan(Strict):
    """The prevention plan and the 十到位 checklist (temperature posts, isolation room, disinfection log …)."""

    plan_days: Dist = param(lambda: lognormal(4.0, 0.6), unit="days", meaning="time to write the plan and set up the checklist items without guidance",
                            provenance="assumption: a working week for a firm doing it alone")
    guidance_factor: Factor = param(0.5, unit="factor", meaning="remaining plan time after the supervisor's guidance visit ÷ without",
                                    provenance="assumption: the supervisor brings the checklist and a model plan")


class HealthRegistration(Strict):
    """Registering every worker's health, travel history and quarantine status before restart.

    Time = ``days`` × (workers / ``reference_workers``) ^ ``size_elasticity``
    × (1 + ``nonlocal_weight`` × non-local share): larger firms have more
    workers to register but also more office staff to do it, so time grows
    less than in proportion (elasticity below 1); a non-local worker costs
    more (travel history, quarantine place, a certificate from the home community).
    """

    days: Dist = param(lambda: lognormal(1.5, 0.5), unit="days", meaning="time for a firm of reference size whose workers are all local",
                       provenance="assumption")
    reference_workers: float = param(50.0, unit="workers", meaning="firm size at which the time is 'days'",
                                     provenance="assumption", gt=0, le=1e6, allow_inf_nan=False)
    size_elasticity: float = param(0.3, unit="elasticity", meaning="growth of registration time with the number of workers (log-log slope)",
                                   provenance="assumption: office staff grow with the firm, so time grows much less than the head-count",
                                   ge=0, le=1, allow_inf_nan=False)
    nonlocal_weight: float = param(2.0, unit="factor", meaning="extra registration effort of a non-local worker, relative to a local one",
                                   provenance="assumption: travel history, quarantine place, home-community certificate",
                                   ge=0, le=100, allow_inf_nan=False)


class Preparation(Strict):
    """The parallel preparation tasks besides the paperwork; a firm is ready when all are done."""

    supplies: Supplies = Field(default_factory=Supplies)
    plan: PreventionPlan = Field(default_factory=PreventionPlan)
    health: HealthRegistration = Field(default_factory=HealthRegistration)


_WEEK_HOURS = ("assumption: 8 working hours from 08:00, seven days a week: in February 2020 restart "
               "windows and prevention teams worked through weekends (5+2, 白+黑); the ordinary week "
               "is 8 h × 5 d")


class Hours(Strict):
    """Working hours of one kind of office."""

    hours_per_day: float = param(8.0, unit="hours", meaning="working hours a day; service times are in working days of these hours",
                                 provenance=_WEEK_HOURS, gt=0, le=24, allow_inf_nan=False)
    days_per_week: int = param(7, unit="days", meaning="working days a week, Monday first (5: Monday to Friday)",
                               provenance=_WEEK_HOURS, ge=1, le=7)
    opens_at_hour: float = param(8.0, unit="hour of day", meaning="opening time (0 with 24 hours a day)",
                                 provenance=_WEEK_HOURS, ge=0, lt=24, allow_inf_nan=False)

    @model_validator(mode="after")
    def _closes_by_midnight(self) -> Hours:
        if self.opens_at_hour + self.hours_per_day > 24:
            raise ValueError(f"opens_at_hour ({self.opens_at_hour:g}) + hours_per_day ({self.hours_per_day:g}) "
                             "must be at most 24: an office closes by midnight")
        return self


class OfficeHours(Strict):
    """Office hours of approval offices, inspection teams, departments and registration desks."""

    approval: Hours = Field(default_factory=Hours, description="county restart-approval reviewers")
    inspection: Hours = Field(default_factory=Hours, description="county inspection teams")
    departments: Hours = Field(default_factory=Hours, description="departments that resolve problems")
    registration: Hours = Field(default_factory=Hours, description="market-supervision registration desks")
