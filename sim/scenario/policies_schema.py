"""Schema of the policy levers, each chosen by name.

A policy is a mapping with a ``name`` key that picks the behaviour class in
``sim.model`` (see ``sim.model.approval.APPROVAL_POLICIES`` and
``sim.model.coverage.COVERAGE_POLICIES``); the other keys are its settings.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from sim.scenario.distributions import Distribution, coerce_distribution, lognormal, uniform
from sim.scenario.params import Strict, param
from sim.scenario.sections import ASSIGNMENT_KEYS, Day, Factor, Probability

Dist = Annotated[Distribution, BeforeValidator(coerce_distribution)]
StepMode = Literal["sequential", "parallel", "commitment"]


def _check_keys(keys: list[str]) -> None:
    unknown = [k for k in keys if k not in ASSIGNMENT_KEYS]
    if unknown:
        raise ValueError(f"unknown priority keys {unknown}; allowed: {list(ASSIGNMENT_KEYS)}")


class StandardApproval(Strict):
    """Ordinary procedure: first come first served, review then inspection, several rounds."""

    name: Literal["standard"] = "standard"
    steps: StepMode = param("sequential", unit="mode", meaning="sequential: approval then inspection; parallel: both at once; commitment: restart on approval, inspect after",
                            provenance="assumption: the ordinary procedure is sequential")
    review_time_factor: Factor = param(1.0, unit="factor", meaning="review time ÷ the approval.review_days draw",
                                       provenance="assumption")
    priority_order: list[str] = param(list, unit="keys", meaning="queue priority classes, highest first; empty: first come first served",
                                      provenance="assumption")
    max_rounds: int | None = param(None, unit="rounds", meaning="cap on review rounds; empty: approval.max_rounds",
                                   provenance="assumption", ge=1, le=100)
    registration: Literal["standard", "fast"] = param("standard", unit="mode", meaning="licence procedure for new projects",
                                                      provenance="literature: 国办发〔2018〕32号")
    project_steps_parallel: bool = param(False, unit="yes/no", meaning="new-project steps run in parallel instead of in sequence",
                                         provenance="assumption")

    @model_validator(mode="after")
    def _keys(self) -> StandardApproval:
        _check_keys(self.priority_order)
        return self


class FastTrackApproval(Strict):
    """特事特办: online approval, green channel, priority classes, one-time notice of missing items."""

    name: Literal["fast_track"] = "fast_track"
    steps: StepMode = param("parallel", unit="mode", meaning="sequential, parallel, or commitment (approve on commitment, 告知承诺)",
                            provenance="policy: 国办发明电〔2020〕6号, parallel processing, may switch to 告知承诺")
    review_time_factor: Factor = param(0.5, unit="factor", meaning="review time ÷ the approval.review_days draw",
                                       provenance="source: 特事特办, online approval (size assumed)")
    priority_order: list[str] = param(lambda: ["essential", "above_scale", "high_tech", "gazelle"], unit="keys",
                                      meaning="queue priority classes, highest first",
                                      provenance="source: priority for 三必需一重要, above-scale and high-tech firms")
    max_rounds: int | None = param(2, unit="rounds", meaning="cap on review rounds (one-time notice of everything missing)",
                                   provenance="assumption: 一次性告知", ge=1, le=100)
    registration: Literal["standard", "fast"] = param("fast", unit="mode", meaning="licence procedure for new projects",
                                                      provenance="source: special desks for restarting firms")
    project_steps_parallel: bool = param(True, unit="yes/no", meaning="new-project steps run in parallel",
                                         provenance="source: Maiqi, all steps in one week, set-up in parallel")

    @model_validator(mode="after")
    def _keys(self) -> FastTrackApproval:
        _check_keys(self.priority_order)
        return self


ApprovalPolicy = Annotated[StandardApproval | FastTrackApproval, Field(discriminator="name")]


class NoCoverage(Strict):
    """No cadres assigned: every firm uses the county's shared inspection team and finds offices itself."""

    name: Literal["none"] = "none"


Organisation = Literal["dedicated", "pooled", "grid"]


class OnePlusOnePlusOne(Strict):
    """一户企业、一名帮扶企业联络员、一名卫生防疫监督指导员, and how the cadres are organised."""

    name: Literal["one_plus_one_plus_one"] = "one_plus_one_plus_one"
    liaisons: bool = param(True, unit="yes/no", meaning="assign liaison cadres", provenance="source: 1+1+1 mechanism")
    supervisors: bool = param(True, unit="yes/no", meaning="assign epidemic-prevention supervisors", provenance="source: 1+1+1 mechanism")
    organisation: Organisation = param("dedicated", unit="mode",
                                       meaning="dedicated: each firm its own cadres (1+1+1); pooled: a county team takes the next task of any covered firm; grid: cadres pooled within grids and zones (调兵山)",
                                       provenance="source: Tieling's 1+1+1 is dedicated; 调兵山 used grids")
    travel_overhead_hours: float = param(0.5, unit="cadre-hours per task", meaning="travel and familiarisation added to every task of a pooled county team",
                                         provenance="assumption: a trip across the county and reading the firm's file", ge=0, le=24, allow_inf_nan=False)
    grid_overhead_hours: float = param(0.15, unit="cadre-hours per task", meaning="travel added to every task of a grid team (a grid is a few streets)",
                                       provenance="assumption", ge=0, le=24, allow_inf_nan=False)
    firms_per_grid: int = param(6, unit="enterprises", meaning="grid size for counties without their own grid layout, under grid organisation",
                                provenance="source: 调兵山 64 firms in 11 grids", ge=1, le=100_000)
    grids_per_zone: int = param(4, unit="grids", meaning="grids in a zone for counties without their own grid layout, under grid organisation",
                                provenance="source: 调兵山 11 grids in 3 zones", ge=1, le=100_000)
    supervisors_help_inspection: bool = param(False, unit="yes/no",
                                              meaning="supervisors' spare hours take waiting inspections of uncovered firms from the county team's queue",
                                              provenance="assumption: in 2020 supervisors stayed with their own firms")


CoveragePolicy = Annotated[NoCoverage | OnePlusOnePlusOne, Field(discriminator="name")]


BySize = dict[str, Probability]
SIZE_NAMES = ("above_scale", "sme", "micro")


class LoanPolicy(Strict):
    """Bank lending (金融16条): the green channel for key firms and the ordinary channel, and who applies when.

    A firm looks ahead along its expected cash path and applies when the shortfall comes
    within the time a loan takes (the channel's decision and disbursement) plus a margin.
    """

    enabled: bool = param(True, unit="yes/no", meaning="banks take loan applications", provenance="source: 金融16条, green channels")
    window_opens_day: Day = param(10.0, unit="day", meaning="day the bank green channel opens",
                                  provenance="assumption: the joint notice with the banking regulator in mid-February")
    green_channel_for: list[str] = param(lambda: ["above_scale"], unit="keys",
                                         meaning="firms on the key-firm list the green channel serves (any key matches)",
                                         provenance="literature: PBoC special re-lending for lists of key firms (Feb 2020); the source's 26 loans average 1,800万 yuan, loans to large firms")
    standard_channel: bool = param(True, unit="yes/no", meaning="firms off the list may borrow through the ordinary channel (slower, a higher bar)",
                                   provenance="assumption: ordinary small-business lending went on")
    seek_margin_days: float = param(7.0, unit="days", meaning="a firm applies when its projected shortfall is within the loan's expected time plus this margin",
                                    provenance="assumption", ge=0, le=365, allow_inf_nan=False)
    apply_probability: Probability = param(0.3, unit="probability", meaning="chance a firm that foresees a shortfall applies, without a liaison",
                                           provenance="literature: 21.2% of surveyed SMEs planned to borrow (Zhu Wuxiang, Feb 2020); assumption: a firm facing a shortfall more often")
    apply_probability_liaison: Probability = param(0.8, unit="probability", meaning="the same with a liaison who explains the financial measures",
                                                   provenance="assumption: liaisons shared the banks' products (企业家微信群, 银政企沟通机制)")
    complete_probability: Probability = param(0.6, unit="probability", meaning="chance an application is complete at once, without a liaison",
                                              provenance="assumption")
    complete_probability_liaison: Probability = param(0.9, unit="probability", meaning="the same with a liaison's help",
                                                      provenance="assumption")
    completion_days: Dist = param(lambda: lognormal(5.0, 0.5), unit="days", meaning="time to complete an incomplete application",
                                  provenance="assumption")
    decision_days: Dist = param(lambda: uniform(1.0, 2.0), unit="days", meaning="application to decision in the green channel",
                                provenance="literature: PBoC re-lending, banks to lend within 1 day (2 at most) of receiving the key-firm list")
    standard_decision_days: Dist = param(lambda: lognormal(21.0, 0.5), unit="days", meaning="application to decision in the ordinary channel",
                                         provenance="assumption: weeks, as for an ordinary small-business loan")
    disbursement_days: Dist = param(lambda: lognormal(1.0, 0.5), unit="days", meaning="decision to money on the account",
                                    provenance="assumption")
    approval_probability: BySize = param(
        lambda: {"above_scale": 0.65, "sme": 0.6, "micro": 0.4}, unit="probability by size class",
        meaning="chance the green channel approves a firm with collateral",
        provenance="source: 26 loans of 44 intentions (0.59 overall); split by size assumed")
    standard_approval_probability: BySize = param(
        lambda: {"above_scale": 0.6, "sme": 0.4, "micro": 0.25}, unit="probability by size class",
        meaning="chance the ordinary channel approves a firm with collateral",
        provenance="literature: access, not only delay, limited SME finance (Chen, Cheng, Gong & Li 2020); values assumed")
    collateral_share: BySize = param(
        lambda: {"above_scale": 0.9, "sme": 0.6, "micro": 0.3}, unit="share by size class",
        meaning="share of firms with collateral a bank accepts", provenance="assumption")
    no_collateral_factor: Probability = param(0.5, unit="factor", meaning="approval chance without collateral ÷ with",
                                              provenance="assumption")
    loan_months: float = param(3.0, unit="months", meaning="a loan covers the firm's fixed cost for this many months, less the cash it holds",
                               provenance="assumption: re-lending loans bridged the first quarter", ge=0, le=120, allow_inf_nan=False)
    restart_cash_days: float = param(2.6, unit="days of variable cost", meaning="a restarting firm seeks a loan if its cash plus credit line cannot pay this many days of materials at full capacity",
                                     provenance="assumption: restart (复工复产) lending was for working capital", ge=0, le=365, allow_inf_nan=False)
    working_capital_days: float = param(35.0, unit="days of variable cost", meaning="a loan also covers this many days of materials at full capacity (restart working capital)",
                                        provenance="assumption: sized so that the default scenario's green-channel loans total about 4.8亿 (source: 26 loans, 4.8亿)",
                                        ge=0, le=3650, allow_inf_nan=False)
    interest_rate: float = param(0.0128, unit="per year", meaning="interest rate of a green-channel loan",
                                 provenance="literature: PBoC re-lending, weighted 2.56%, about 1.28% after the 50% fiscal subsidy", ge=0, le=1)
    standard_interest_rate: float = param(0.05, unit="per year", meaning="interest rate of an ordinary loan",
                                          provenance="assumption: the 1-year LPR (4.05% in Feb 2020) plus a small-firm spread", ge=0, le=1)
    term_days: Day = param(365.0, unit="days", meaning="a loan is paid back (principal) this many days after disbursement",
                           provenance="assumption: one-year working-capital loans")
    retry_wait_days: Day = param(14.0, unit="days", meaning="a refused firm (or one that chose not to apply) may try again after this wait",
                                 provenance="assumption")
    max_applications: int = param(3, unit="applications", meaning="applications a firm makes at most",
                                  provenance="assumption", ge=1, le=100)

    @model_validator(mode="after")
    def _keys(self) -> LoanPolicy:
        _check_keys(self.green_channel_for)
        for name in ("approval_probability", "standard_approval_probability", "collateral_share"):
            unknown = set(getattr(self, name)) - set(SIZE_NAMES)
            if unknown:
                raise ValueError(f"{name} has unknown size classes {sorted(unknown)}; allowed: above_scale, sme, micro")
        return self


class WorkforcePolicy(Strict):
    """点对点 transport of returning workers and online job postings."""

    point_to_point: bool = param(True, unit="yes/no", meaning="point-to-point transport (点对点) for firms with a group of non-local workers at one origin",
                                 provenance="source: 点对点 worker-return service")
    point_to_point_travel_factor: Factor = param(0.3, unit="factor", meaning="return delay with point-to-point transport ÷ without (transport is found for the worker; household reasons remain)",
                                                 provenance="assumption")
    point_to_point_min_workers: int = param(10, unit="workers", meaning="a firm arranges point-to-point transport from an origin when at least this many of its returning workers are there",
                                            provenance="literature: MoT, 7 Mar 2020 briefing, 点对点 charters are for sizeable, concentrated groups of workers (size assumed)",
                                            ge=1, le=1_000_000)
    online_job_postings: bool = param(True, unit="yes/no", meaning="free online job postings on the city's platform",
                                      provenance="source: 391 postings on the city's WeChat accounts")
    postings_uptake: dict[str, Probability] = param(
        lambda: {"above_scale": 0.15, "sme": 0.08, "micro": 0.02}, unit="probability by size class",
        meaning="chance that a firm with vacancies posts them on the platform",
        provenance="source: 97 firms posted; split by size assumed")
    postings_recruitment_factor: Factor = param(0.5, unit="factor", meaning="recruitment time with online postings ÷ without",
                                                provenance="assumption")
    postings_fill_share: Probability = param(0.9, unit="share", meaning="share of a posting firm's vacancies filled",
                                             provenance="assumption")
    recruitment_fill_share: Probability = param(0.6, unit="share", meaning="share of vacancies filled through local channels by a firm that does not post",
                                                provenance="assumption")
    quarantine_days_override: Day | None = param(None, unit="days", meaning="quarantine length under this policy; empty: workforce.quarantine_days",
                                                 provenance="assumption")

    @model_validator(mode="after")
    def _sizes(self) -> WorkforcePolicy:
        unknown = set(self.postings_uptake) - {"above_scale", "sme", "micro"}
        if unknown:
            raise ValueError(f"postings_uptake has unknown size classes {sorted(unknown)}; allowed: above_scale, sme, micro")
        return self


class Policies(Strict):
    """The levers a planner compares."""

    approval: ApprovalPolicy = Field(default_factory=StandardApproval)
    coverage: CoveragePolicy = Field(default_factory=OnePlusOnePlusOne)
    loans: LoanPolicy = Field(default_factory=LoanPolicy)
    workforce: WorkforcePolicy = Field(default_factory=WorkforcePolicy)


__all__ = [
    "ApprovalPolicy",
    "CoveragePolicy",
    "FastTrackApproval",
    "LoanPolicy",
    "NoCoverage",
    "OnePlusOnePlusOne",
    "Organisation",
    "Policies",
    "StandardApproval",
    "WorkforcePolicy",
]
