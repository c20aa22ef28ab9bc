"""Schema of the model's mechanisms: approval, inspection, cadres, workforce,
problems, finance, loans, outbreaks and new projects.

Each class is one section of the scenario file. Every field carries its unit
and provenance (see :mod:`sim.scenario.params`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from sim.scenario.distributions import (
    Distribution,
    coerce_distribution,
    empirical,
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

    preparation_days: Dist = param(lambda: lognormal(4.0, 0.6), unit="days", meaning="paperwork: time to prepare the application documents without help (the other preparation tasks are in 'preparation')",
                                   provenance="assumption")
    review_days: Dist = param(lambda: lognormal(0.2, 0.6), unit="reviewer working days", meaning="reviewer time for one review round under the standard procedure",
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
        unknown = [k for k in self.assignment_order if k not in ASSIGNMENT_KEYS]
        if unknown:
            raise ValueError(f"unknown assignment keys {unknown}; allowed: {list(ASSIGNMENT_KEYS)}")
        return self


class Origin(Strict):
    """Where a share of the non-local workers spent the Spring Festival, and when they could leave."""

    name: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$", description="short name of the origin")
    share: Probability = param(0.25, unit="share of non-local workers", meaning="share of a firm's non-local workers from this origin (shares are normalised to sum to 1)",
                               provenance="assumption")
    restrictions_end: dt.date = param(dt.date(2020, 2, 10), unit="date", meaning="first day workers may leave this origin for work",
                                      provenance="assumption")
    point_to_point_from: dt.date | None = param(None, unit="date", meaning="first day point-to-point transport may carry workers out, if earlier than restrictions_end; empty: restrictions_end",
                                                provenance="assumption")
    return_days: Dist = param(lambda: lognormal(12.0, 1.0), unit="days", meaning="from the later of the firm's call and the end of restrictions until the worker arrives (finding transport, household reasons): long-tailed",
                              provenance="assumption")
    point_to_point_cost_per_worker: float = param(300.0, unit="yuan/worker", meaning="cost of carrying one worker point to point from this origin",
                                                  provenance="assumption", ge=0, le=1e6, allow_inf_nan=False)

    @model_validator(mode="after")
    def _charter_not_later(self) -> Origin:
        if self.point_to_point_from is not None and self.point_to_point_from > self.restrictions_end:
            raise ValueError(f"origin '{self.name}': point_to_point_from ({self.point_to_point_from}) is after "
                             f"restrictions_end ({self.restrictions_end}); it may only open the origin earlier")
        return self


def _default_origins() -> list[Origin]:
    return [
        Origin(name="liaoning", share=0.74, restrictions_end=dt.date(2020, 2, 10), return_days=lognormal(8.0, 1.0),
               point_to_point_cost_per_worker=150.0),
        Origin(name="other_provinces", share=0.24, restrictions_end=dt.date(2020, 2, 10), return_days=lognormal(18.0, 1.0),
               point_to_point_cost_per_worker=500.0),
        Origin(name="hubei", share=0.015, restrictions_end=dt.date(2020, 3, 25), return_days=lognormal(12.0, 1.0),
               point_to_point_cost_per_worker=800.0),
        Origin(name="wuhan", share=0.005, restrictions_end=dt.date(2020, 4, 8), point_to_point_from=dt.date(2020, 3, 25),
               return_days=lognormal(12.0, 1.0), point_to_point_cost_per_worker=800.0),
    ]


class Workforce(Strict):
    """Workers returning to their posts (复岗)."""

    local_return_days: Dist = param(lambda: exponential(2.0), unit="days", meaning="delay after restart until local workers are back",
                                    provenance="assumption")
    origins: list[Origin] = param(_default_origins, unit="origins", meaning="where non-local workers come back from: share, end of travel restrictions, return delay, point-to-point cost",
                                  provenance="literature: NBS 2018 migrant-worker monitoring report, 73.6 % of the Northeast's out-migrant workers stay in their province; "
                                             "Hubei order of 24 Mar 2020, exit controls end 25 Mar (outside Wuhan) and 8 Apr (Wuhan), Wuhan workers carried point to point from 25 Mar; "
                                             "return delays: MoT, Spring Festival return flows 80-86 % below 2019 in early February and spread out; MOHRSS 7 Mar 2020, 60 % of migrant workers back at work "
                                             "(figures and sources in data/README.md); Hubei and Wuhan shares and costs assumed",
                                  min_length=1, max_length=50)
    return_cohorts: int = param(3, unit="cohorts", meaning="cohorts in which one firm's workers from one origin come back (quantiles of return_days; one event each)",
                                provenance="assumption: a resolution choice, not a fact", ge=1, le=20)
    quarantine_days: Day = param(14.0, unit="days", meaning="quarantine of returning non-local workers",
                                 provenance="literature: 14-day quarantine was the common rule")
    attrition_share: Probability = param(0.08, unit="share", meaning="share of non-local workers who never come back",
                                         provenance="assumption")
    recruitment_days: Dist = param(lambda: lognormal(28.0, 0.8), unit="days", meaning="time to fill vacancies through local channels (no online job postings), from the restart",
                                   provenance="assumption: labour markets were slow in February 2020")
    hires_per_posting: float = param(1083 / 391, unit="hires/posting", meaning="hires one job posting brings",
                                     provenance="source: 391 postings, 1,083 hires for 97 firms", gt=0, le=1000)

    @model_validator(mode="after")
    def _origins(self) -> Workforce:
        names = [o.name for o in self.origins]
        if len(set(names)) != len(names):
            raise ValueError(f"origin names must be unique, got {names}")
        if sum(o.share for o in self.origins) <= 0:
            raise ValueError("at least one origin needs a positive share")
        return self


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


class Relief(Strict):
    """Relief measures of the city's 15 articles (15条), each acting on the cost it relieves."""

    unemployment_insurance_refund: Probability = param(0.5, unit="share of premiums", meaning="share of last year's unemployment-insurance premiums refunded to firms that keep staff",
                                                       provenance="source: 15条, refund of 50% of last year's premiums")
    premium_per_worker_year: float = param(420.0, unit="yuan/worker/year", meaning="unemployment-insurance premium paid per worker last year",
                                           provenance="assumption: 0.7% of a 60,000-yuan wage", ge=0, allow_inf_nan=False)
    refund_day: Day = param(30.0, unit="day", meaning="day the refund is paid (to firms still in business)",
                            provenance="assumption")
    tax_deferral_until_day: Day = param(60.0, unit="day", meaning="taxes fall due from this day; before it they are deferred (0: no deferral)",
                                        provenance="source: 15条 延期缴纳税款 (length assumed)")
    tax_deferral_repaid: bool = param(True, unit="yes/no", meaning="deferred taxes are paid back in one sum when the deferral ends",
                                      provenance="policy: a deferral (延期缴纳) moves the due date, it does not forgive the tax")
    power_share_of_revenue: Probability = param(0.03, unit="share of revenue", meaning="power bill per yuan of revenue while producing",
                                                provenance="assumption: a light-manufacturing power bill")
    power_cost_cut: Probability = param(0.1, unit="share", meaning="cut in the power bill, on power actually used (only while open)",
                                        provenance="source: 15条 降低企业用电成本 (size assumed)")
    training_subsidy_per_worker: float = param(300.0, unit="yuan/worker", meaning="online training subsidy per trained worker",
                                               provenance="source: 300 yuan a person for online vocational training", ge=0, allow_inf_nan=False)
    trained_share: Probability = param(0.1, unit="share of workers", meaning="share of workers who take the online training",
                                       provenance="assumption")
    training_paid_day: Day = param(45.0, unit="day", meaning="day the training subsidy is paid (to firms still in business)",
                                   provenance="assumption: paid after the February-March courses")


class CostShares(Strict):
    """What a firm's fixed cost is made of (shares of ``fixed_cost_per_worker_day``; other = the rest)."""

    wages: Probability = param(0.65, unit="share of fixed cost", meaning="wages (full while open and in the first pay period of a stoppage)",
                               provenance="assumption: about 2,300 yuan a month per worker of the 120 yuan/day default")
    rent: Probability = param(0.10, unit="share of fixed cost", meaning="rent of plant and offices",
                              provenance="assumption")
    interest: Probability = param(0.05, unit="share of fixed cost", meaning="interest on existing debt",
                                  provenance="assumption")
    taxes: Probability = param(0.10, unit="share of fixed cost", meaning="taxes and fees that may be deferred",
                               provenance="assumption")

    @model_validator(mode="after")
    def _at_most_one(self) -> CostShares:
        total = self.wages + self.rent + self.interest + self.taxes
        if total > 1.0 + 1e-9:
            raise ValueError(f"wages + rent + interest + taxes = {total:.3f}; the shares must not add up to more than 1")
        return self

    @property
    def other(self) -> float:
        return max(0.0, 1.0 - self.wages - self.rent - self.interest - self.taxes)


# Zhu Wuxiang's survey (Tsinghua/PKU, 995 SMEs, early Feb 2020): 34 % of firms had cash for at most
# one month, 33.1 % for about two, 17.9 % for about three, 9.96 % for six months or more. As cumulative
# shares of days of full fixed cost: the lower end (7 days) and the upper end (a year) are assumptions.
SME_RUNWAY = [(0.0, 7.0), (0.34, 30.0), (0.671, 60.0), (0.85, 90.0), (0.90, 180.0), (1.0, 365.0)]


def _default_runways() -> dict[str, Distribution]:
    return {
        "above_scale": empirical([(p, 2.0 * v) for p, v in SME_RUNWAY]),
        "sme": empirical(SME_RUNWAY),
        "micro": empirical(SME_RUNWAY),
    }


class TargetedLoan(Strict):
    """A discounted loan or a subsidy for the firms in the worst cash position (西丰: 1.2亿 for 4 firms)."""

    county: str | None = Field(None, description="county of the firms; empty: any county")
    kind: Literal["loan", "subsidy"] = param("loan", unit="kind", meaning="a loan (paid back at the end of its term) or a subsidy (kept)",
                                             provenance="source: 西丰 贴息贷款 (loans) and the 突破西北 subsidy")
    firms: int = param(4, unit="firms", meaning="number of firms that receive it: those with the shortest projected time to a cash shortfall on its day",
                       provenance="source: 西丰 4 firms", ge=0, le=1_000_000)
    size_classes: list[Literal["above_scale", "sme", "micro"]] = param(
        lambda: ["above_scale", "sme"], unit="size classes", meaning="size classes considered",
        provenance="assumption: the four named firms (众源医疗器械, 中敖清真, 昊军食品, 圆上圆) are manufacturers, not micro firms")
    amount_yuan: float = param(3.0e7, unit="yuan per firm", meaning="amount each firm receives",
                               provenance="source: 西丰 1.2亿 for 4 firms", ge=0, allow_inf_nan=False)
    interest_rate: float = param(0.0128, unit="per year", meaning="interest rate of a loan after the interest subsidy",
                                 provenance="literature: PBoC re-lending 2.56 %, about 1.28 % after the 50 % fiscal subsidy", ge=0, le=1)
    term_days: Day = param(365.0, unit="days", meaning="a loan is paid back this many days after it is disbursed",
                           provenance="assumption: one-year working-capital loans")
    day: Day = param(20.0, unit="day", meaning="day it is disbursed", provenance="assumption")


class Finance(Strict):
    """Cash at day 0, what costs are made of, what the law says about wages in a stoppage, relief."""

    cash_runway_days: dict[str, Dist] = param(
        _default_runways, unit="days of fixed cost by size class",
        meaning="cash at day 0, as days of full fixed cost it covers (a stratum may set its own)",
        provenance="literature: Zhu Wuxiang survey of 995 SMEs, Feb 2020 (34% <=1 month, 33.1% ~2, 17.9% ~3, 10% >=6); "
                   "above-scale: assumption, twice the SME runways (a Zhejiang survey of 5,211 industrial firms, 17-23 Feb 2020, "
                   "found 75% with a funding gap and 22.9% with ample cash flow)")
    costs: CostShares = Field(default_factory=CostShares)
    pay_period_days: Day = param(30.0, unit="days", meaning="a stoppage pays full wages for this long, then the living allowance",
                                 provenance="policy: 工资支付暂行规定 art. 12 and 人社厅发明电〔2020〕5号: full wage within the first pay period (one month) of a stoppage")
    living_allowance_share: Probability = param(0.45, unit="share of the wage", meaning="living allowance (生活费) paid per worker after the first pay period, as a share of the wage",
                                                provenance="assumption: 70% of a 1,480 yuan/month minimum wage (the rate of 人社厅明电〔2020〕5号-based provincial rules such as Fujian's; Liaoning's own rate not found) over a 2,300 yuan wage")
    credit_line_days: dict[str, Annotated[float, Field(ge=0, le=3650, allow_inf_nan=False)]] = param(
        lambda: {"above_scale": 15.0, "sme": 0.0, "micro": 0.0}, unit="days of fixed cost by size class",
        meaning="overdraft a firm may run before it fails (failure: cash plus credit line cannot cover what is owed)",
        provenance="assumption: above-scale firms hold bank credit lines, small firms rarely")
    relief: Relief = Field(default_factory=Relief)
    targeted: list[TargetedLoan] = Field(default_factory=list, description="targeted discounted loans and subsidies")

    @model_validator(mode="after")
    def _size_classes(self) -> Finance:
        sizes = {"above_scale", "sme", "micro"}
        for name in ("cash_runway_days", "credit_line_days"):
            unknown = set(getattr(self, name)) - sizes
            if unknown:
                raise ValueError(f"finance.{name} has unknown size classes {sorted(unknown)}; allowed: above_scale, sme, micro")
        missing = sizes - set(self.cash_runway_days)
        if missing:
            raise ValueError(f"finance.cash_runway_days needs every size class; missing {sorted(missing)}")
        return self


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

    desks: int = param(6, unit="desks", meaning="registration desks open",
                       provenance="assumption: not published; the market-supervision windows of the city service hall",
                       plausible_range=(3, 12), ge=1, le=100_000)
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
