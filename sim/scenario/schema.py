"""The scenario file: one typed schema, every parameter declared once.

A scenario is the base parameter set plus named *variants* (partial overrides,
deep-merged into the base). ``python -m sim schema`` prints the JSON Schema.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field, model_validator

from sim.model.approval import Approval, Calendar
from sim.model.cadres.schema import Cadres
from sim.model.demand import Demand
from sim.model.inspection import Inspection
from sim.model.money.module import Finance
from sim.model.network import Network
from sim.model.offices import Office, OfficeHours, Registration
from sim.model.outbreak import Outbreak
from sim.model.preparation import Preparation
from sim.model.problems import Problems
from sim.model.production import Metrics
from sim.model.projects import NewProjects
from sim.model.reopening import Reopening
from sim.model.workforce import Workforce
from sim.scenario.decision import Decision
from sim.scenario.labels import Labels
from sim.scenario.params import Strict, param
from sim.scenario.policies_schema import Policies
from sim.scenario.population_schema import County, Population, Stratum
from sim.scenario.uncertainty import UncertainParameter

TIELING_COUNTIES: list[tuple[str, float]] = [
    # (pinyin name, relative share of firms) — shares are an assumption
    ("yinzhou", 0.14),  # 银州区
    ("qinghe", 0.05),  # 清河区
    ("tieling_county", 0.12),  # 铁岭县
    ("kaiyuan", 0.18),  # 开原市
    ("diaobingshan", 0.10),  # 调兵山市
    ("xifeng", 0.11),  # 西丰县
    ("changtu", 0.18),  # 昌图县
    ("development_zone", 0.12),  # 经济开发区
]


def _default_counties() -> list[County]:
    return [County(name=n, weight=w) for n, w in TIELING_COUNTIES]


def _default_population() -> Population:
    return Population(strata=[Stratum(name="firms", count=100)])


class Scenario(Strict):
    """A complete, validated parameter set for one variant."""

    name: str = Field("scenario", min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.\-]+$",
                      description="short name, used for the results folder")
    description: str = Field("", max_length=10_000, description="the question the scenario answers")
    start_date: dt.date = param(dt.date(2020, 2, 3), unit="date", meaning="calendar date of day 0",
                                provenance="source: Politburo Standing Committee meeting of 3 Feb 2020")
    horizon_days: float = param(120.0, unit="days", meaning="simulated time", provenance="assumption: February to early June covers the restart and the ramp-up",
                                gt=0, le=3650, allow_inf_nan=False)
    seed: int = param(20200203, unit="integer", meaning="master seed; replication r of every variant uses the same streams",
                      provenance="assumption", ge=0, le=2**63 - 1)
    replications: int = param(10, unit="runs", meaning="replications per variant", provenance="assumption", ge=1, le=100_000)
    calendar: Calendar = Field(default_factory=Calendar)
    counties: list[County] = Field(default_factory=_default_counties, description="county-level areas", min_length=1)
    population: Population = Field(default_factory=_default_population)
    approval: Approval = Field(default_factory=Approval)
    preparation: Preparation = Field(default_factory=Preparation)
    office_hours: OfficeHours = Field(default_factory=OfficeHours)
    offices: dict[str, Office] = Field(default_factory=dict, description="offices besides the built-in ones (a special "
                                       "desk, a separate office for new projects …), by name")
    inspection: Inspection = Field(default_factory=Inspection)
    cadres: Cadres = Field(default_factory=Cadres)
    workforce: Workforce = Field(default_factory=Workforce)
    problems: Problems = Field(default_factory=Problems)
    finance: Finance = Field(default_factory=Finance)
    outbreak: Outbreak = Field(default_factory=Outbreak)
    new_projects: NewProjects = Field(default_factory=NewProjects)
    registration: Registration = Field(default_factory=Registration)
    network: Network = Field(default_factory=Network, description="the production network: inputs, suppliers, stocks")
    demand: Demand = Field(default_factory=Demand, description="orders: demand outside the city and the city's customers")
    reopening: Reopening = Field(default_factory=Reopening, description="when a firm allowed to restart reopens")
    metrics: Metrics = Field(default_factory=Metrics, description="what counts as full production")
    policies: Policies = Field(default_factory=Policies)
    decision: Decision = Field(default_factory=Decision, description="the report's primary metric and minimal important differences")
    labels: Labels = Field(default_factory=Labels, description="display labels (en/zh) of the variants and "
                                                               "counties, used by the report and its plots")
    uncertainty: list[UncertainParameter] = Field(
        default_factory=list, description="parameters nobody published, with ranges and provenance: "
                                          "`run --robustness N` checks the ranking of the variants over them")

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        names = [c.name for c in self.counties]
        if len(set(names)) != len(names):
            raise ValueError(f"county names must be unique, got {names}")
        known = set(names)
        unlabelled = [c for c in self.labels.counties if c not in known]
        if unlabelled:
            raise ValueError(f"labels.counties names {', '.join(repr(c) for c in unlabelled)}, not a county of the "
                             f"scenario; counties: {', '.join(names)}")
        for s in self.population.strata:
            if s.county is not None and s.county not in known:
                raise ValueError(f"stratum '{s.name}' names county '{s.county}'; known counties: {sorted(known)}")
        for t in self.policies.relief.targeted.grants:
            if t.county is not None and t.county not in known:
                raise ValueError(f"targeted loan names county '{t.county}'; known counties: {sorted(known)}")
        for step in self.new_projects.steps:
            if step.office is not None and step.office not in self.offices:
                raise ValueError(f"new-project step '{step.name}' names office '{step.office}'; offices: "
                                 f"{sorted(self.offices) or 'none (add it under offices:)'}")
        if sum(c.weight for c in self.counties) <= 0:
            raise ValueError("at least one county needs a positive weight")
        if self.cadres.dispatch_day > self.horizon_days:
            raise ValueError(f"cadres.dispatch_day ({self.cadres.dispatch_day}) is after the horizon ({self.horizon_days} days)")
        if self.calendar.restart_ban_until_day > self.horizon_days:
            raise ValueError(f"calendar.restart_ban_until_day ({self.calendar.restart_ban_until_day}) is after the horizon")
        opens = self.policies.loans.window_opens_day
        if self.policies.loans.enabled and opens > self.horizon_days:  # as the ban and dispatch days above
            raise ValueError(f"policies.loans.window_opens_day ({opens}) is after the "
                             f"horizon ({self.horizon_days} days); to model no bank window, set policies.loans.enabled: false")
        return self


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema of a scenario file (base keys at top level, plus extends, variants and provenance)."""
    schema = Scenario.model_json_schema(by_alias=True)
    schema["title"] = "Reopening-policy scenario"
    props = schema.setdefault("properties", {})
    props["variants"] = {
        "type": "object",
        "description": "named variants: partial overrides of the base, deep-merged (lists are replaced whole)",
        "additionalProperties": {"type": "object"},
    }
    props["extends"] = {
        "type": "string",
        "description": "another scenario file this one starts from (path relative to this file); its keys are "
                       "deep-merged under this file's, its variants and provenance notes inherited",
    }
    props["provenance"] = {
        "type": "object",
        "description": "where a value set in this file comes from, by dotted key (e.g. cadres.liaisons.count)",
        "additionalProperties": {"type": "string"},
    }
    return schema
