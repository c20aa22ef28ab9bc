"""Workers returning to their posts (复岗).

A firm calls its workers back when it is approved. Local workers are back a
few days after the restart. Non-local workers are split among their origins
(``workforce.origins``): each origin's travel restrictions end on their own
date (Hubei's on 25 March, Wuhan's on 8 April 2020), and from the later of the
call and that date a worker needs a long-tailed delay to find transport and
settle household matters, then sits out quarantine. A firm with a group of
workers at one origin may carry them point to point (点对点), which shortens
the delay and costs money per worker. Non-local workers who never come back
leave vacancies; recruits fill them, sooner and more completely for firms that
post them online.

One firm's workers from one origin come back in a few cohorts, at stratified
quantiles of the return delay: one event per cohort, not one per worker.
Capacity follows the workers present (see :mod:`sim.model.production`).
"""

from __future__ import annotations

import datetime as dt
import math
from functools import partial
from typing import TYPE_CHECKING, Protocol

import numpy as np
from pydantic import Field, model_validator

from sim.model.firm_classes import by_size, check_size_keys
from sim.model.module import City, Metric, Module, ResultView
from sim.model.records import Outcome
from sim.scenario.distributions import Distribution, exponential, lognormal
from sim.scenario.params import Strict, param
from sim.scenario.types import Day, Dist, Factor, Probability

if TYPE_CHECKING:
    import simpy

    from sim.model.enterprise import Enterprise


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
        check_size_keys(self.postings_uptake, "postings_uptake")
        return self


def split_by_origin(n: int, shares: list[float], u: float) -> list[int]:
    """Split ``n`` workers among origins by systematic sampling: counts within one of n·share, sum n.

    Worker j (j = 0 … n−1) is placed at (j + u)/n on the cumulative shares, so a firm with one
    non-local worker has it from a small origin with that origin's probability, not never.
    """
    total = sum(shares)
    counts = [0] * len(shares)
    if n <= 0 or total <= 0:
        return counts
    cum = 0.0
    bounds = []
    for s in shares:
        cum += s / total
        bounds.append(cum)
    k = 0
    for j in range(n):
        x = (j + u) / n
        while k < len(bounds) - 1 and x >= bounds[k]:
            k += 1
        counts[k] += 1
    return counts


def cohort_sizes(m: int, parts: int) -> list[int]:
    """``m`` workers in ``min(parts, m)`` nearly equal cohorts."""
    k = min(parts, m)
    if k <= 0:
        return []
    base, extra = divmod(m, k)
    return [base + (1 if j < extra else 0) for j in range(k)]



class Liaisons(Protocol):
    def has_liaison(self, ent: Enterprise) -> bool: ...
    def ask_liaison(self, ent: Enterprise, hours: float) -> simpy.Event | None: ...


class WorkforceModule(Module):
    """Workers present at every firm: local return, origins, quarantine, point to point, recruitment."""

    name = "workforce"
    SECTIONS = {"config": "workforce", "policy": "policies.workforce", "start_date": "start_date",
                "posting_help": "cadres.liaisons.posting_help_hours"}
    STREAMS = ("local_return", "origin_mix", "return:*", "recruitment", "postings_uptake", "posting_help")
    OUTCOMES = (
        Outcome("hires", "i4", "workers hired to fill vacancies"),
        Outcome("postings", "i4", "online job postings"),
        Outcome("point_to_point_workers", "i4", "non-local workers carried back point to point (点对点)"),
        Outcome("point_to_point_cost", "f8", "cost of the point-to-point transport, yuan (NaN: none)"),
    )
    METRICS = (
        Metric("hires", "workers hired for vacancies", ("hires", "招聘人数"), "workers", "count"),
        Metric("postings", "online job postings", ("job postings", "招聘岗位发布"), "postings", "count"),
        Metric("posting_firms", "firms that posted vacancies online", ("firms posting jobs online", "网上发布招聘的企业"),
               "firms", "count"),
        Metric("point_to_point_workers", "non-local workers carried back point to point (点对点)",
               ("workers carried point to point (点对点)", "点对点返岗人数"), "workers", "count"),
        Metric("point_to_point_cost", "cost of the point-to-point transport, yuan",
               ("point-to-point transport cost, yuan", "点对点运输费用（元）"), "yuan", "yuan", cost=6),
    )

    def __init__(self, city: City, config: Workforce, policy: WorkforcePolicy, start_date: dt.date,
                 posting_help: Distribution) -> None:
        super().__init__(city)
        self.config = config
        self.policy = policy
        self.start_date = start_date
        self.posting_help = posting_help
        self.quarantine = (policy.quarantine_days_override if policy.quarantine_days_override is not None
                           else config.quarantine_days)
        self.uptake = by_size(policy.postings_uptake)
        n = city.pop.n
        self.present = [0] * n  # workers at the firm (at post while it is open)
        self.called = [math.inf] * n  # the day the firm called its non-local workers back (its approval)
        self.nonlocal_share: list[float] = city.pop.nonlocal_share.tolist()

    def connect(self, cadres: Liaisons) -> None:
        self.cadres = cadres

    def approved(self, ent: Enterprise, now: float) -> None:
        """The firm is approved (day 0 for firms already running): it calls its non-local workers back."""
        self.called[ent.i] = now

    def _day(self, date: dt.date) -> float:
        return max(0.0, float((date - self.start_date).days))

    def uses_point_to_point(self, group: int) -> bool:
        """Whether a firm carries its ``group`` returning workers from one origin point to point.

        Charters were organised for sizeable groups from one place, so the decision is per origin.
        """
        return self.policy.point_to_point and group >= self.policy.point_to_point_min_workers

    def uses_job_postings(self, ent: Enterprise) -> bool:
        """Whether a firm with vacancies posts them on the city's online platform.

        The single place where a firm's use of postings is decided; a firm with a liaison gets its help
        writing them, which takes the liaison's hours (see :meth:`restarting`).
        """
        u = ent.u("postings_uptake")  # drawn whatever the policy, so that variants keep common random numbers
        if not self.policy.online_job_postings:
            return False
        return u < self.uptake[ent.size_class]

    def origin_cohorts(self, ent: Enterprise, origin: Origin, m: int, called: float) -> list[tuple[float, int]]:
        """(day back at work, workers) for the firm's ``m`` returning workers from ``origin``."""
        outcomes = self.city.outcomes
        leave = self._day(origin.restrictions_end)
        factor = 1.0
        if self.uses_point_to_point(m):
            factor = self.policy.point_to_point_travel_factor
            if origin.point_to_point_from is not None:
                leave = min(leave, self._day(origin.point_to_point_from))
            outcomes["point_to_point_workers"][ent.i] += m
            cost = outcomes["point_to_point_cost"]
            cost[ent.i] = (0.0 if math.isnan(cost[ent.i]) else cost[ent.i]) + m * origin.point_to_point_cost_per_worker
        depart = max(called, leave)
        v = ent.u(f"return:{origin.name}")
        sizes = cohort_sizes(m, self.config.return_cohorts)
        k = len(sizes)
        # stratified quantiles: cohort j stands for the workers between quantiles j/k and (j+1)/k
        return [(depart + factor * origin.return_days.quantile((j + v) / k) + self.quarantine, size)
                for j, size in enumerate(sizes)]

    def restarting(self, ent: Enterprise) -> None:
        """At the first restart: plan the cohorts of returning and hired workers."""
        city = self.city
        now = city.env.now
        wf = self.config
        policy = self.policy
        outcomes = city.outcomes
        nonlocal_n = int(round(ent.workers * self.nonlocal_share[ent.i]))
        local_n = ent.workers - nonlocal_n
        returning = int(round(nonlocal_n * (1.0 - wf.attrition_share)))
        vacancies = nonlocal_n - returning
        already = city.pop.already_running[ent.i]
        t_local = now if already else now + wf.local_return_days.quantile(ent.u("local_return"))
        cohorts: list[tuple[float, int]] = [(t_local, local_n)]
        called = self.called[ent.i] if math.isfinite(self.called[ent.i]) else now
        counts = split_by_origin(returning, [o.share for o in wf.origins], ent.u("origin_mix"))
        for origin, m in zip(wf.origins, counts, strict=True):
            if m:
                cohorts.extend(self.origin_cohorts(ent, origin, m, called))
        if vacancies:
            search = wf.recruitment_days.quantile(ent.u("recruitment"))
            help_done = None
            if self.uses_job_postings(ent):
                search *= policy.postings_recruitment_factor
                hires = int(round(vacancies * policy.postings_fill_share))
                outcomes["postings"][ent.i] = math.ceil(vacancies / wf.hires_per_posting)
                if self.cadres.has_liaison(ent):  # the liaison helps write the postings, on its working day
                    hours = self.posting_help.quantile(ent.u("posting_help"))
                    help_done = self.cadres.ask_liaison(ent, hours)
            else:
                hires = int(round(vacancies * policy.recruitment_fill_share))
            if help_done is None:
                cohorts.append((now + search, hires))
                outcomes["hires"][ent.i] = hires if now + search < city.horizon else 0
            else:
                help_done.callbacks.append(partial(self._search_after_help, ent, search, hires))
        immediate = sum(n for t, n in cohorts if t <= now)
        if immediate:
            self.present[ent.i] = min(ent.workers, self.present[ent.i] + immediate)
        for t, n in cohorts:
            if t > now and n:
                city.timers.at(t, partial(self.arrive, ent, n))

    def _search_after_help(self, ent: Enterprise, search: float, hires: int, _ev: object) -> None:
        """The postings are out (the liaison's help is done): the recruits come ``search`` days later."""
        city = self.city
        if ent.failed or not hires:
            return
        t = city.env.now + search
        city.outcomes["hires"][ent.i] = hires if t < city.horizon else 0
        city.timers.at(t, partial(self.arrive, ent, hires))

    def arrive(self, ent: Enterprise, n: int) -> None:
        """``n`` workers are back at the firm."""
        if n and not ent.failed:
            self.present[ent.i] = min(ent.workers, self.present[ent.i] + n)
            ent.update()

    # -- results ---------------------------------------------------------------------------------

    def summary(self, view: ResultView) -> dict[str, float]:
        o = view.outcomes
        return {
            "hires": float(o["hires"].sum()),
            "postings": float(o["postings"].sum()),
            "posting_firms": float((o["postings"] > 0).sum()),
            "point_to_point_workers": float(o["point_to_point_workers"].sum()),
            "point_to_point_cost": float(np.nansum(o["point_to_point_cost"])),
        }
