"""Schema of the model's mechanisms: approval, inspection, cadres, workforce,
problems, finance, loans, outbreaks and new projects.

Each class is one section of the scenario file. Every field carries its unit
and provenance (see :mod:`sim.scenario.params`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from sim.scenario.distributions import (
    Distribution,
    coerce_distribution,
    exponential,
    fixed,
    lognormal,
    triangular,
)
from sim.scenario.params import Strict, param

Dist = Annotated[Distribution, BeforeValidator(coerce_distribution)]
Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Factor = Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)]
Day = Annotated[float, Field(ge=0.0, le=3650.0, allow_inf_nan=False)]

ASSIGNMENT_KEYS = ("above_scale", "high_tech", "gazelle", "essential", "new_project", "sme", "micro")


class Calendar(Strict):
    restart_ban_until_day: Day = param(7.0, unit="day", meaning="no restart before this day (day 0 = start_date)",
                                       provenance="policy: Liaoning order 辽政办明电〔2020〕6号, no restart before 9 Feb 24:00")
    essential_exempt: bool = param(True, unit="yes/no", meaning="essential (三必需一重要) firms may restart during the ban",
                                   provenance="policy: 辽政办明电〔2020〕6号 exempts essential sectors")


class Approval(Strict):
    """Restart application and review (复工申请审批) at the county office."""

    preparation_days: Dist = param(lambda: lognormal(4.0, 0.6), unit="days", meaning="time to prepare the application (documents, protective supplies) without help",
                                   provenance="assumption")
    review_days: Dist = param(lambda: lognormal(0.2, 0.6), unit="reviewer-days", meaning="reviewer time for one review round under the standard procedure",
                              provenance="assumption: about 1.5 working hours a round; 国办发明电〔2020〕6号 asks for an answer within 2 working days")
    rework_probability: Probability = param(0.35, unit="probability", meaning="chance an application is returned for missing documents at a review",
                                            provenance="assumption")
    rework_days: Dist = param(lambda: lognormal(3.0, 0.6), unit="days", meaning="time to complete a returned application",
                              provenance="assumption")
    max_rounds: int = param(6, unit="rounds", meaning="review rounds after which an application is approved whatever is missing",
                            provenance="assumption", ge=1, le=100)


class Inspection(Strict):
    """Epidemic-prevention readiness inspection (企业“十到位”)."""

    visit_days: Dist = param(lambda: fixed(0.25), unit="inspector-days", meaning="inspector time for one visit",
                             provenance="assumption: a quarter of a working day")
    remediation_days: Dist = param(lambda: lognormal(3.0, 0.5), unit="days", meaning="time to fix what a failed inspection found",
                                   provenance="assumption")


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
        unknown = [k for k in self.assignment_order if k not in ASSIGNMENT_KEYS]
        if unknown:
            raise ValueError(f"unknown assignment keys {unknown}; allowed: {list(ASSIGNMENT_KEYS)}")
        return self


class Workforce(Strict):
    """Workers returning to their posts (复岗)."""

    local_return_days: Dist = param(lambda: exponential(2.0), unit="days", meaning="delay after restart until local workers are back",
                                    provenance="assumption")
    travel_days: Dist = param(lambda: lognormal(6.0, 0.5), unit="days", meaning="time for non-local workers to arrange travel and get back, counted from approval",
                              provenance="assumption")
    quarantine_days: Day = param(14.0, unit="days", meaning="quarantine of returning non-local workers",
                                 provenance="literature: 14-day quarantine was the common rule")
    attrition_share: Probability = param(0.08, unit="share", meaning="share of non-local workers who never come back",
                                         provenance="assumption")
    recruitment_days: Dist = param(lambda: lognormal(21.0, 0.5), unit="days", meaning="time to fill vacancies without online job postings",
                                   provenance="assumption")
    hires_per_posting: float = param(1083 / 391, unit="hires/posting", meaning="hires one job posting brings",
                                     provenance="source: 391 postings, 1,083 hires for 97 firms", gt=0, le=1000)


class ProblemKind(Strict):
    """A kind of problem that cuts capacity until a department resolves it."""

    kind: str = Field(min_length=1, max_length=40)
    department: str = Field(min_length=1, max_length=40, description="department that resolves it (a key of 'departments')")
    expected_per_enterprise: float = param(0.5, unit="problems", meaning="expected number per enterprise during ramp-up",
                                           provenance="assumption", ge=0, le=100, allow_inf_nan=False)
    capacity_loss: Probability = param(0.2, unit="share of capacity", meaning="capacity lost while the problem is open",
                                       provenance="assumption")


class Department(Strict):
    staff: int = param(5, unit="staff", meaning="people resolving problems at once", provenance="assumption", ge=1, le=100_000)
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


class Relief(Strict):
    """Relief measures of the city's 15 articles (15条)."""

    unemployment_insurance_refund: Probability = param(0.5, unit="share of premiums", meaning="share of last year's unemployment-insurance premiums refunded to firms that keep staff",
                                                       provenance="source: 15条, refund of 50% of last year's premiums")
    premium_per_worker_year: float = param(420.0, unit="yuan/worker/year", meaning="unemployment-insurance premium paid per worker last year",
                                           provenance="assumption: 0.7% of a 60,000-yuan wage", ge=0, allow_inf_nan=False)
    refund_day: Day = param(30.0, unit="day", meaning="day the refund is paid",
                            provenance="assumption")
    tax_deferral_share: Probability = param(0.1, unit="share of fixed cost", meaning="share of fixed cost that is tax and may be deferred",
                                            provenance="assumption")
    tax_deferral_until_day: Day = param(60.0, unit="day", meaning="taxes are deferred until this day",
                                        provenance="source: 15条 延期缴纳税款 (length assumed)")
    power_cost_share: Probability = param(0.05, unit="share of fixed cost", meaning="share of fixed cost that is power",
                                          provenance="assumption")
    power_cost_cut: Probability = param(0.1, unit="share", meaning="cut in power cost",
                                        provenance="source: 15条 降低企业用电成本 (size assumed)")
    training_subsidy_per_worker: float = param(300.0, unit="yuan/worker", meaning="online training subsidy per trained worker",
                                               provenance="source: 300 yuan a person for online vocational training", ge=0, allow_inf_nan=False)
    trained_share: Probability = param(0.1, unit="share of workers", meaning="share of workers who take the online training",
                                       provenance="assumption")


class TargetedLoan(Strict):
    """A discounted loan or subsidy for named enterprises (西丰: 1.2亿 for 4 firms)."""

    county: str | None = Field(None, description="county of the firms; empty: any county")
    firms: int = param(4, unit="firms", meaning="number of firms that receive it (first in assignment order)",
                       provenance="source: 西丰 4 firms", ge=0, le=1_000_000)
    amount_yuan: float = param(3.0e7, unit="yuan per firm", meaning="amount each firm receives",
                               provenance="source: 西丰 1.2亿 for 4 firms", ge=0, allow_inf_nan=False)
    day: Day = param(20.0, unit="day", meaning="day it is disbursed", provenance="assumption")


class Finance(Strict):
    relief: Relief = Field(default_factory=Relief)
    targeted: list[TargetedLoan] = Field(default_factory=list, description="targeted discounted loans and subsidies")


class Outbreak(Strict):
    """Outbreak incidents at open enterprises; community prevalence is an input series."""

    prevalence: list[tuple[float, float]] = param(lambda: [(0.0, 2.0), (10.0, 3.0), (25.0, 1.0), (45.0, 0.2), (60.0, 0.0)],
                                                  unit="[day, active cases per 100,000]", meaning="community prevalence, linear between points, flat after the last",
                                                  provenance="assumption: Tieling had few cases; shape of Liaoning's 2020 curve")
    hazard_per_worker: float = param(1.0e-5, unit="incidents per worker-day per (case/100k)", meaning="outbreak hazard per worker present per unit of prevalence",
                                     provenance="assumption", ge=0, le=1, allow_inf_nan=False)
    baseline_prevention: Probability = param(0.5, unit="share", meaning="share of hazard removed by the firm's own 十到位 measures",
                                             provenance="assumption")
    shutdown_days: Day = param(14.0, unit="days", meaning="closure after an incident, before re-inspection",
                               provenance="assumption: one quarantine period")

    @model_validator(mode="after")
    def _series(self) -> Outbreak:
        days = [d for d, _ in self.prevalence]
        if not self.prevalence:
            raise ValueError("prevalence needs at least one [day, value] point")
        if any(b <= a for a, b in zip(days, days[1:], strict=False)):
            raise ValueError(f"prevalence days must increase strictly, got {days}")
        if any(v < 0 or v != v for _, v in self.prevalence) or days[0] < 0:
            raise ValueError("prevalence days and values must be >= 0")
        return self


class ProjectStep(Strict):
    name: str = Field(min_length=1, max_length=40)
    days: Dist = param(lambda: fixed(1.0), unit="days", meaning="duration of the step", provenance="assumption")


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


class Registration(Strict):
    """Market-supervision registration desks (市场主体登记), shared with the public's registrations."""

    desks: int = param(6, unit="desks", meaning="registration desks open", provenance="assumption", ge=1, le=100_000)
    service_days: Dist = param(lambda: lognormal(0.1, 0.5), unit="desk-days", meaning="desk time for one registration",
                               provenance="assumption")
    background_per_day: float = param(4273 / 90, unit="registrations/day", meaning="other registrations arriving per day (Poisson)",
                                      provenance="source: 4,273 licences (2,310 new, 1,963 changes) since the start of the year, over about 90 days",
                                      ge=0, le=1e6, allow_inf_nan=False)
    licence_days_standard: Dist = param(lambda: fixed(8.5), unit="days", meaning="licence procedure after the desk, without fast-track",
                                        provenance="literature: registration cut to at most 8.5 working days (国办发〔2018〕32号)")
    licence_days_fast: Dist = param(lambda: fixed(1.0), unit="days", meaning="licence procedure after the desk with a special desk (专人专办)",
                                    provenance="source: special desks, 特事特办")


class Metrics(Strict):
    full_production_threshold: Probability = param(0.9, unit="share of capacity", meaning="capacity counted as full production (达产)",
                                                   provenance="assumption: DESIGN default")


RegistrationMode = Literal["standard", "fast"]
