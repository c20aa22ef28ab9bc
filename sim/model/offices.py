"""Offices: the city's service points and the people who staff them, declared once.

An office is a :class:`~sim.model.servers.ServicePoint` (identical servers in
front of one priority queue) that keeps office hours. Its *kind* says what it
does and which statistics it feeds (:data:`OFFICE_KINDS`): restart approval
(复工申请审批, one office per county), the county inspection teams (for firms
without a supervisor), the departments that resolve problems, and the
registration desks (市场主体登记), shared with the public's registrations.

The built-in offices take their head-counts from the scenario where they have
always been (``counties[].approval_reviewers``, ``counties[].inspectors``,
``problems.departments``, ``registration.desks``). More offices are scenario
data: each entry of ``offices:`` names its kind, its servers (one office, or
one per county) and whom it serves. An approval office that ``serves`` some
firm keys takes those firms' restart applications instead of the county
office (a special desk for essential firms, say); a new-project step may name
an office, and is then a service there (see :mod:`sim.model.projects`).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import simpy
from pydantic import Field, model_validator

from sim.model.firm_classes import check_keys
from sim.model.module import City, Metric, Module, ResultView, Series
from sim.model.office_hours import OfficeHours as Clock
from sim.model.records import daily_time_average
from sim.model.servers import LevelLog, ServicePoint
from sim.scenario.distributions import fixed, lognormal
from sim.scenario.params import Strict, param
from sim.scenario.types import Dist

if TYPE_CHECKING:
    from sim.model.enterprise import Enterprise
    from sim.scenario.population_schema import County

OfficeKind = Literal["approval", "inspection", "department", "registration"]


@dataclass(frozen=True)
class Kind:
    """What an office kind does: its labels and the office hours it keeps by default."""

    key: OfficeKind
    label: tuple[str, str]  # (English, Chinese), as on the queue plot
    hours: str  # the field of ``office_hours`` it keeps
    staff: str  # who serves there


OFFICE_KINDS: dict[str, Kind] = {k.key: k for k in (
    Kind("approval", ("restart approval (复工审批)", "复工审批"), "approval", "reviewers"),
    Kind("inspection", ("epidemic-prevention inspection", "防疫检查"), "inspection", "inspectors"),
    Kind("department", ("departments (problems)", "部门（问题解决）"), "departments", "staff"),
    Kind("registration", ("market registration (市场主体登记)", "市场主体登记"), "registration", "desks"),
)}


# -- the scenario's sections --------------------------------------------------------------------

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


class Office(Strict):
    """An office besides the built-in ones (a special desk, a separate office for new projects …)."""

    kind: OfficeKind = param("approval", unit="kind", meaning="what the office does: approval, inspection, department or registration",
                             provenance="assumption")
    servers: int = param(1, unit="servers", meaning="reviewers, inspectors, staff or desks (in each county with per_county)",
                         provenance="assumption: not published", plausible_range=(1, 10), ge=1, le=100_000)
    per_county: bool = param(False, unit="yes/no", meaning="one such office in every county (true) or one for the city",
                             provenance="assumption")
    serves: list[str] = param(list, unit="firm keys",
                              meaning="an approval office that names firm keys (essential, above_scale, new_project …) takes the restart "
                                      "applications of the firms with any of them instead of the county office; empty: only the "
                                      "new-project steps that name it",
                              provenance="assumption")
    hours: Hours | None = Field(None, description="its working hours; empty: those of its kind (office_hours)")

    @model_validator(mode="after")
    def _keys(self) -> Office:
        check_keys(self.serves, "serves")
        if self.serves and self.kind != "approval":
            raise ValueError(f"only an approval office serves restart applications; a {self.kind} office has no 'serves'")
        return self


# -- the module -------------------------------------------------------------------------------


class OfficesModule(Module):
    """Every office of the city, built from the scenario; queue series and office statistics."""

    name = "offices"
    SECTIONS = {"counties": "counties", "hours": "office_hours", "registration": "registration",
                "departments": "problems.departments", "extra": "offices", "start_date": "start_date"}
    STREAMS = ("registration_background",)
    METRICS = (
        Metric("mean_approval_wait", "mean wait in the approval queue, days", ("approval queue wait, days", "审批排队天数"),
               "days", "days", "lower", 1.0),
        Metric("reviewer_days", "busy reviewer time of the approval offices, working days",
               ("reviewer-days of the approval offices", "审批人员工作日"), "working days", "days", cost=2),
    )
    SERIES = tuple(
        Series(f"{k.key}_queue", f"mean number waiting at the {k.label[0]} offices that day",
               k.label, "enterprises waiting", kind="average")
        for k in OFFICE_KINDS.values())

    def __init__(self, city: City, counties: list[County], hours: OfficeHours, registration: Registration,
                 departments: dict[str, Any], extra: dict[str, Office], start_date: Any) -> None:
        super().__init__(city)
        env = city.env
        first = start_date.weekday()
        clocks = {kind: _clock(getattr(hours, k.hours), first) for kind, k in OFFICE_KINDS.items()}
        self.logs = {kind: LevelLog() for kind in OFFICE_KINDS}
        self.by_kind: dict[str, list[ServicePoint]] = {kind: [] for kind in OFFICE_KINDS}

        def point(kind: str, name: str, servers: int, clock: Clock) -> ServicePoint:
            p = ServicePoint(env, name, servers, self.logs[kind], clock)
            self.by_kind[kind].append(p)
            return p

        self.approval = [point("approval", f"approval:{c.name}", c.approval_reviewers, clocks["approval"])
                         for c in counties]
        self.inspection = [point("inspection", f"inspection:{c.name}", c.inspectors, clocks["inspection"])
                           for c in counties]
        self.departments = {name: point("department", f"department:{name}", d.staff, clocks["department"])
                            for name, d in departments.items()}
        self.registration = point("registration", "registration", registration.desks, clocks["registration"])
        # offices of the scenario's offices: section, each a point per county or one for the city
        self.named: dict[str, list[ServicePoint]] = {}
        self.serving: list[tuple[list[str], list[ServicePoint]]] = []
        for name, spec in extra.items():
            clock = _clock(spec.hours, first) if spec.hours is not None else clocks[spec.kind]
            points = ([point(spec.kind, f"{name}:{c.name}", spec.servers, clock) for c in counties]
                      if spec.per_county else [point(spec.kind, name, spec.servers, clock)])
            self.named[name] = points
            if spec.serves:
                self.serving.append((list(spec.serves), points))
        self._registration = registration

    # -- the declared interface ------------------------------------------------------------------

    def approval_office(self, ent: Enterprise) -> ServicePoint:
        """Where ``ent``'s restart application goes: the first office that serves it, else its county's."""
        for keys, points in self.serving:
            if any(ent.has_key(k) for k in keys):
                return points[ent.county] if len(points) > 1 else points[0]
        return self.approval[ent.county]

    def inspection_team(self, county: int) -> ServicePoint:
        return self.inspection[county]

    def department(self, name: str) -> ServicePoint:
        return self.departments[name]

    def office(self, name: str, county: int) -> ServicePoint:
        """An office of the scenario's ``offices:`` section, in ``county`` if it has one per county."""
        points = self.named[name]
        return points[county] if len(points) > 1 else points[0]

    # -- city-level events ----------------------------------------------------------------------

    def start(self) -> None:
        if self._registration.background_per_day > 0:
            self.city.env.process(self._background_registrations())

    def _background_registrations(self) -> Generator[simpy.Event, Any, None]:
        reg = self._registration
        rng = self.city.streams.shared("registration_background")
        rate = reg.background_per_day
        env = self.city.env
        while True:
            yield env.timeout(rng.exponential(1.0 / rate))
            self.registration.request(reg.service_days.quantile(max(rng.random(), 1e-12)))

    # -- results ---------------------------------------------------------------------------------

    def daily(self, view: ResultView) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for kind, lg in self.logs.items():
            q = daily_time_average(np.asarray(lg.times, dtype=float), np.asarray(lg.dqueue, dtype=float), view.days)
            shifted = np.zeros_like(q)  # the average over [d, d+1) goes to row d + 1
            shifted[1:] = q[:-1]
            out[f"{kind}_queue"] = shifted
        return out

    def summary(self, view: ResultView) -> dict[str, float]:
        points = self.by_kind["approval"]
        waits = [p.firm_wait_sum for p in points]  # per firm: a cohort's wait counts for each of its firms
        started = [p.firms_started for p in points]
        return {
            "mean_approval_wait": float(sum(waits) / sum(started)) if sum(started) else float("nan"),
            "reviewer_days": float(sum(p.stats()["busy_work_time"] for p in points)),
        }


def _clock(h: Hours, first_weekday: int) -> Clock:
    return Clock(h.hours_per_day, h.days_per_week, h.opens_at_hour, first_weekday)
