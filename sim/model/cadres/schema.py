"""Schema of the cadres' section: the liaison and supervisor pools, their working day, the assignment order."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.model.firm_classes import check_keys
from sim.scenario.distributions import fixed, lognormal
from sim.scenario.params import Strict, param
from sim.scenario.types import Day, Dist, Factor, Probability


class LiaisonRole(Strict):
    """帮扶企业联络员: first visit, daily check-ins, follow-up of carried problems, help on request."""

    count: int = param(918, unit="cadres", meaning="city pool of liaison cadres (split across counties by enterprise count)",
                       provenance="source: 千人帮千企, 918 staff sent into enterprises", ge=0, le=1_000_000)
    enterprises_per_cadre: int = param(2, unit="enterprises", meaning="enterprises one liaison covers at most",
                                       provenance="literature: Hunan 17,172 officers for 21,510 firms (1.25 each), one for several micro firms", ge=1, le=1000)
    first_visit_hours: Dist = param(lambda: fixed(4.0), unit="cadre-hours", meaning="first visit: explain the policies, help with the application and protective supplies",
                                    provenance="assumption: half a working day")
    checkin_hours: Dist = param(lambda: lognormal(1.0, 0.5), unit="cadre-hours", meaning="daily check-in (日检查) with one covered firm that is preparing or open; collects its problems (accounted in bulk at the mean)",
                                provenance="assumption: a short visit with the travel in a county town")
    followup_hours: Dist = param(lambda: lognormal(1.0, 0.5), unit="cadre-hours", meaning="carrying one problem from the daily dispatch (日调度) to its department and following it up",
                                 provenance="assumption")
    loan_help_hours: Dist = param(lambda: lognormal(4.0, 0.5), unit="cadre-hours", meaning="helping a firm short of cash put its loan application together; the application is filed when the help is done",
                                  provenance="assumption: half a working day, as the first visit")
    posting_help_hours: Dist = param(lambda: lognormal(2.0, 0.5), unit="cadre-hours", meaning="helping a firm that posts its vacancies online write and publish the postings; the search starts when the help is done",
                                     provenance="assumption: a quarter of a working day")
    preparation_factor: Factor = param(0.6, unit="factor", meaning="preparation time with a liaison's first visit ÷ without",
                                       provenance="assumption")
    rework_factor: Factor = param(0.5, unit="factor", meaning="rework probability after a liaison's first visit ÷ without",
                                  provenance="assumption")


class SupervisorRole(Strict):
    """卫生防疫监督指导员: inspects readiness, checks prevention daily, re-inspects after incidents."""

    count: int = param(476, unit="cadres", meaning="city pool of epidemic-prevention supervisors",
                       provenance="source: 1,394 cadres sent to enterprises, less the 918 liaisons (assumption on the split)", ge=0, le=1_000_000)
    enterprises_per_cadre: int = param(3, unit="enterprises", meaning="enterprises one supervisor oversees at most",
                                       provenance="assumption", ge=1, le=1000)
    inspection_hours: Dist = param(lambda: fixed(2.0), unit="cadre-hours", meaning="pre-restart (or post-incident) inspection of the 十到位 requirements",
                                   provenance="assumption: a quarter of a working day, as inspection.visit_days")
    guidance_hours: Dist = param(lambda: fixed(2.0), unit="cadre-hours", meaning="guidance visit on the prevention plan and the 十到位 checklist",
                                 provenance="assumption")
    prevention_check_hours: Dist = param(lambda: lognormal(1.0, 0.5), unit="cadre-hours", meaning="daily prevention check (日检查) of one open covered firm (accounted in bulk at the mean)",
                                         provenance="assumption: temperature log, masks, returnees' quarantine, with the travel")
    readiness_gain: Probability = param(0.5, unit="share", meaning="share of the failure chance removed by the supervisor's guidance",
                                        provenance="assumption")
    prevention_effect: Probability = param(0.8, unit="share", meaning="share of outbreak hazard removed when every open covered firm gets its daily check (scaled by the share checked)",
                                           provenance="assumption: daily checks (日检查) of the workers' 十必须 rules, temperature and quarantine of returnees")


class Cadres(Strict):
    """The 1+1+1 cadre pools, their working day and how they are assigned (战疫一线党旗飘)."""

    dispatch_day: Day = param(4.0, unit="day", meaning="day the cadres reach the enterprises",
                              provenance="assumption: with the city's 15 articles of 7 Feb")
    assignment_order: list[str] = param(lambda: ["above_scale", "high_tech", "gazelle", "essential"], unit="keys",
                                        meaning="who is covered first when cadres are short",
                                        provenance="source: one liaison per above-scale, gazelle and high-tech firm; priority for 三必需一重要")
    hours_per_day: float = param(8.0, unit="hours/day", meaning="working hours of a cadre's day",
                                 provenance="assumption: an ordinary working day; days were often longer in February 2020",
                                 gt=0, le=24, allow_inf_nan=False)
    days_per_week: int = param(7, unit="days/week", meaning="working days a week, counted from the dispatch day",
                               provenance="assumption: cadres sent down in February 2020 worked through the weekends (战疫一线)",
                               ge=1, le=7)
    county_pools: Literal["add", "replace"] = param("add", unit="mode", meaning="a county's own pool adds to its share of the city pool, or replaces it",
                                                    provenance="source: 开原's 99 cadres were selected by the county on top of the city's")
    liaisons: LiaisonRole = Field(default_factory=LiaisonRole)
    supervisors: SupervisorRole = Field(default_factory=SupervisorRole)

    @model_validator(mode="after")
    def _known_keys(self) -> Cadres:
        check_keys(self.assignment_order, "assignment")
        return self
