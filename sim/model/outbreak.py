"""Outbreak incidents at open enterprises.

The hazard of an open enterprise is
``hazard_per_worker × workers present × prevalence(t) × (1 − prevention)``,
with prevalence an input series (linear between points). Each enterprise draws
an exposure threshold E ~ Exp(1) and has an incident when its cumulative
hazard reaches E. Between events the hazard is a constant times prevalence, so
the incident time follows from the cumulative prevalence curve by inversion:
no daily polling. An incident shuts the firm for its full term; then it must
pass a re-inspection (its supervisor's first task of the day).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import simpy
from pydantic import model_validator

from sim.model.enterprise import FAILED
from sim.model.module import City, Metric, Module, ResultView, Series
from sim.model.records import Outcome
from sim.scenario.params import Strict, param
from sim.scenario.types import Day, Probability

if TYPE_CHECKING:
    from sim.model.enterprise import Enterprise

Process = Generator[simpy.Event, Any, None]


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


GRID_STEP = 0.125  # days; prevalence is linear between grid points


class PrevalenceCurve:
    """Prevalence(t) and its integral P(t), with the inverse of P."""

    def __init__(self, outbreak: Outbreak, horizon: float) -> None:
        pts = sorted(outbreak.prevalence)
        self.days = [d for d, _ in pts]
        self.values = [v for _, v in pts]
        n = int(math.ceil((horizon + 1.0) / GRID_STEP)) + 1
        self.grid = [i * GRID_STEP for i in range(n)]
        vals = [self.value(t) for t in self.grid]
        cum = [0.0]
        for i in range(1, n):
            cum.append(cum[-1] + 0.5 * (vals[i - 1] + vals[i]) * GRID_STEP)
        self.cum = cum
        self.grid_values = vals

    def value(self, t: float) -> float:
        days, vals = self.days, self.values
        if t <= days[0]:
            return vals[0]
        if t >= days[-1]:
            return vals[-1]
        j = bisect.bisect_right(days, t)
        d0, d1 = days[j - 1], days[j]
        return vals[j - 1] + (vals[j] - vals[j - 1]) * (t - d0) / (d1 - d0)

    def integral(self, t: float) -> float:
        """P(t) = ∫_0^t prevalence."""
        i = int(t / GRID_STEP)
        if i >= len(self.grid) - 1:
            return self.cum[-1] + self.grid_values[-1] * (t - self.grid[-1])
        frac = (t - self.grid[i]) / GRID_STEP
        return self.cum[i] + (self.cum[i + 1] - self.cum[i]) * frac

    def inverse(self, target: float) -> float:
        """Smallest t with P(t) >= target (inf if the curve never gets there)."""
        cum = self.cum
        if target > cum[-1]:
            tail = self.grid_values[-1]
            return math.inf if tail <= 0 else self.grid[-1] + (target - cum[-1]) / tail
        i = bisect.bisect_left(cum, target)
        if i == 0:
            return 0.0
        c0, c1 = cum[i - 1], cum[i]
        return self.grid[i - 1] + GRID_STEP * ((target - c0) / (c1 - c0) if c1 > c0 else 0.0)


class Supervisors(Protocol):
    def prevention_cut(self, ent: Enterprise) -> float | None: ...


class Inspecting(Protocol):
    def until_pass(self, ent: Enterprise, after_incident: bool = False) -> Process: ...


class OutbreakModule(Module):
    """Each open firm's outbreak hazard, incidents, shutdowns and re-inspections."""

    name = "outbreak"
    SECTIONS = {"config": "outbreak"}
    STREAMS = ("outbreak_exposure",)
    OUTCOMES = (Outcome("incidents", "i4", "outbreak incidents"),)
    METRICS = (
        Metric("incidents", "outbreak incidents", ("outbreak incidents", "疫情事件"), "incidents", "count", "lower", 1.0,
               rank=10),
    )
    SERIES = (
        Series("incidents", "outbreak incidents that day", ("Outbreak incidents a day", "每日疫情事件"), "incidents",
               kind="flow"),
    )

    def __init__(self, city: City, config: Outbreak) -> None:
        super().__init__(city)
        self.config = config
        self.curve = PrevalenceCurve(config, city.horizon)
        self.unsupervised = config.hazard_per_worker * (1.0 - config.baseline_prevention)
        n = city.pop.n
        self.exposure_left = [0.0] * n  # cumulative hazard still to go before the next incident
        self.rate = [0.0] * n  # hazard per unit of cumulative prevalence, now
        self.t_booked = [0.0] * n
        self.version = [0] * n  # voids incident timers made stale by a later change
        self.days: list[float] = []
        self.firms: list[int] = []

    def connect(self, cadres: Supervisors, inspection: Inspecting) -> None:
        self.cadres = cadres
        self.inspection = inspection

    def add_firm(self, ent: Enterprise) -> None:
        self.exposure_left[ent.i] = -math.log(ent.u("outbreak_exposure"))

    def hazard_per_worker(self, ent: Enterprise) -> float:
        """Outbreak hazard per worker present per unit of prevalence, after prevention.

        A supervisor's effect is scaled by the share of its team's open firms it
        checked on its last working day (0 before the cadres arrive).
        """
        cut = self.cadres.prevention_cut(ent)
        if cut is not None:
            return self.unsupervised * (1.0 - cut)
        return self.unsupervised

    def capacity_changed(self, ent: Enterprise, now: float, cap: float, at_post: int) -> None:
        """Book the exposure used up to now; with a new hazard rate, reschedule the next incident."""
        i = ent.i
        curve = self.curve
        if self.rate[i] > 0.0:
            self.exposure_left[i] -= self.rate[i] * (curve.integral(now) - curve.integral(self.t_booked[i]))
        self.t_booked[i] = now
        if ent.state == FAILED:
            self.version[i] += 1
            self.rate[i] = 0.0
            return
        rate = self.hazard_per_worker(ent) * at_post if at_post else 0.0
        if rate != self.rate[i]:
            # A pending incident timer stays right while the rate is unchanged: the
            # exposure left shrinks exactly as the timer assumed.
            self.version[i] += 1
            self.rate[i] = rate
            if rate > 0.0:
                t_inc = curve.inverse(curve.integral(now) + self.exposure_left[i] / rate)
                if t_inc < self.city.horizon:
                    version = self.version[i]
                    self.city.timers.at(now + max(0.0, t_inc - now), lambda: self._on_timer(ent, version),
                                        lambda: version == self.version[i])

    def _on_timer(self, ent: Enterprise, version: int) -> None:
        if ent.failed or version != self.version[ent.i]:
            return  # a later change has rescheduled this timer
        self.incident(ent)

    def incident(self, ent: Enterprise) -> None:
        city = self.city
        now = city.env.now
        city.outcomes["incidents"][ent.i] += 1
        self.days.append(now)
        self.firms.append(ent.i)
        ent.suspend(until=now + self.config.shutdown_days)  # books the exposure used up to now, before a fresh threshold is drawn
        self.exposure_left[ent.i] = -math.log(ent.u("outbreak_exposure"))
        city.env.process(self._after_incident(ent))

    def _after_incident(self, ent: Enterprise) -> Process:
        yield self.city.env.timeout(self.config.shutdown_days)
        if not ent.failed:
            yield from self.inspection.until_pass(ent, after_incident=True)
            ent.reopen()

    # -- results ---------------------------------------------------------------------------------

    def daily(self, view: ResultView) -> dict[str, np.ndarray]:
        members = self.city.pop.members[np.asarray(self.firms, dtype=np.int64)]
        return {"incidents": view.per_day(np.asarray(self.days), members)}

    def summary(self, view: ResultView) -> dict[str, float]:
        return {"incidents": float(self.city.pop.members[np.asarray(self.firms, dtype=np.int64)].sum())}
