"""Schema of the policy levers, each chosen by name.

A policy is a mapping with a ``name`` key that picks the behaviour class in
``sim.model`` (see ``sim.model.approval.APPROVAL_POLICIES`` and
``sim.model.coverage.COVERAGE_POLICIES``); the other keys are its settings.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from sim.scenario.distributions import Distribution, coerce_distribution, lognormal
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


class LoanPolicy(Strict):
    """Bank green channel (金融16条): when it opens, how long, how much, for whom."""

    enabled: bool = param(True, unit="yes/no", meaning="banks take loan intentions", provenance="source: 金融16条, green channels")
    window_opens_day: Day = param(10.0, unit="day", meaning="day the bank green channel opens",
                                  provenance="assumption: the joint notice with the banking regulator in mid-February")
    stress_runway_days: float = param(20.0, unit="days", meaning="a firm forms a loan intention when its cash covers fewer days of fixed cost than this",
                                      provenance="assumption", ge=0, le=3650, allow_inf_nan=False)
    eligible_size_classes: list[Literal["above_scale", "sme", "micro"]] = param(
        lambda: ["above_scale", "sme", "micro"], unit="size classes", meaning="size classes the banks consider",
        provenance="source: 金融16条 targets small and medium firms")
    intention_share: Probability = param(0.15, unit="share", meaning="share of stressed eligible firms that approach a bank",
                                         provenance="assumption")
    approval_probability: dict[str, Probability] = param(
        lambda: {"above_scale": 0.8, "sme": 0.55, "micro": 0.35}, unit="probability by size class",
        meaning="chance an intention becomes a loan",
        provenance="source: 26 loans of 44 intentions (0.59 overall); literature: access limited SME finance (Chen et al. 2020); split by size assumed")
    decision_days: Dist = param(lambda: lognormal(7.0, 0.5), unit="days", meaning="intention to bank decision",
                                provenance="assumption")
    disbursement_days: Dist = param(lambda: lognormal(2.0, 0.5), unit="days", meaning="decision to money on the account",
                                    provenance="literature: PBoC re-lending, banks disburse within 1-2 days of the list")
    amount_days_of_fixed_cost: float = param(90.0, unit="days of fixed cost", meaning="loan size",
                                             provenance="assumption", ge=0, le=100_000, allow_inf_nan=False)

    @model_validator(mode="after")
    def _sizes(self) -> LoanPolicy:
        unknown = set(self.approval_probability) - {"above_scale", "sme", "micro"}
        if unknown:
            raise ValueError(f"approval_probability has unknown size classes {sorted(unknown)}; allowed: above_scale, sme, micro")
        return self


class WorkforcePolicy(Strict):
    """点对点 transport of returning workers and online job postings."""

    point_to_point: bool = param(True, unit="yes/no", meaning="point-to-point transport for returning non-local workers",
                                 provenance="source: 点对点 worker-return service")
    point_to_point_travel_factor: Factor = param(0.5, unit="factor", meaning="travel time with point-to-point transport ÷ without",
                                                 provenance="assumption")
    online_job_postings: bool = param(True, unit="yes/no", meaning="free online job postings fill vacancies faster",
                                      provenance="source: 391 postings on the city's WeChat accounts")
    postings_recruitment_factor: Factor = param(0.5, unit="factor", meaning="recruitment time with online postings ÷ without",
                                                provenance="assumption")
    recruitment_fill_share: Probability = param(0.9, unit="share", meaning="share of vacancies filled by recruitment within the horizon",
                                                provenance="assumption")
    quarantine_days_override: Day | None = param(None, unit="days", meaning="quarantine length under this policy; empty: workforce.quarantine_days",
                                                 provenance="assumption")


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
