"""Preparing a restart: the parallel tasks of February 2020 (DESIGN sections 4 and 9).

A firm starts four tasks at once and is ready to apply when all are done:

- **protective supplies** (masks, thermometers, disinfectant): bought on a
  market that is short at first and eases (:class:`SupplyMarket`), or
  received from the city's allocation, which a covered firm reaches through
  its liaison after the liaison's first visit — whichever comes first;
- **the prevention plan and 十到位 checklist**: the supervisor's guidance
  visit shortens what is left of it;
- **the workers' health registration**: grows with the workforce (less than
  in proportion) and with the non-local share;
- **the paperwork** (``approval.preparation_days``): the liaison's first visit
  cuts it to ``cadres.liaisons.preparation_factor`` of its length, never
  ending before the visit.

Each task's length is drawn once, at the start, from the firm's own streams
(common random numbers); the cadres' visits can only shorten a task. The
process waits on the cadres' events (the liaison's first visit and the
supervisor's guidance, :mod:`sim.model.cadres`) only while they can still matter, so a
firm costs a handful of events, once.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Protocol

import simpy
from pydantic import Field

from sim.model.module import City, Module
from sim.scenario.distributions import Distribution, lognormal
from sim.scenario.params import Strict, param
from sim.scenario.types import Day, Dist, Factor, Probability

if TYPE_CHECKING:
    from sim.model.enterprise import Enterprise

Process = Generator[simpy.Event, Any, None]
TASKS = ("paperwork", "supplies", "plan", "health")


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


class SupplyMarket:
    """Availability of protective supplies: ``a(t)`` rises linearly from ``a0`` on day 0 to 1 on day ``T``.

    A firm needing ``D`` days of buying at full supply, starting at ``t0``, is
    done at ``A⁻¹(A(t0) + D)`` with ``A(t) = ∫₀ᵗ a``: buying goes at the pace the
    market allows, so a firm that starts later waits less.
    """

    def __init__(self, spec: Supplies) -> None:
        self.a0 = float(spec.initial_availability)
        self.T = float(spec.easing_days)

    def availability(self, t: float) -> float:
        if self.T <= 0.0 or t >= self.T:
            return 1.0
        return self.a0 + (1.0 - self.a0) * max(t, 0.0) / self.T

    def accrued(self, t: float) -> float:
        """``A(t)``: days of full-supply buying possible between day 0 and ``t``."""
        a0, big_t = self.a0, self.T
        if big_t <= 0.0:
            return t
        if t <= big_t:
            return a0 * t + (1.0 - a0) * t * t / (2.0 * big_t)
        return big_t * (1.0 + a0) / 2.0 + (t - big_t)

    def time_of(self, v: float) -> float:
        """``A⁻¹(v)``: the day by which ``v`` days of full-supply buying are possible."""
        a0, big_t = self.a0, self.T
        if big_t <= 0.0:
            return v
        at_t = big_t * (1.0 + a0) / 2.0
        if v >= at_t:
            return big_t + (v - at_t)
        if v <= 0.0:
            return 0.0
        # root of (1−a0)/(2T)·t² + a0·t − v = 0, in a form that is stable for a0 → 1 and a0 = 0
        disc = a0 * a0 + 2.0 * (1.0 - a0) * v / big_t
        if disc < sys.float_info.min:
            # a tiny v on a market starting near 0 (a0² and v/T below the smallest normal float):
            # the same root with √v taken apart, so that the denominator cannot underflow to 0
            disc_root = math.hypot(a0, math.sqrt(2.0 * (1.0 - a0) / big_t) * math.sqrt(v))
            return 2.0 * v / (a0 + disc_root)
        return 2.0 * v / (a0 + math.sqrt(disc))

    def bought_by(self, start: float, need_days: float) -> float:
        return max(start, self.time_of(self.accrued(start) + need_days))


def health_registration_days(spec: HealthRegistration, u: float, workers: int, nonlocal_share: float) -> float:
    """Days to register every worker's health (see :class:`HealthRegistration`)."""
    base = spec.days.quantile(u)
    size = (max(workers, 1) / spec.reference_workers) ** spec.size_elasticity
    return base * size * (1.0 + spec.nonlocal_weight * nonlocal_share)


class Liaisons(Protocol):
    preparation_factor: float

    def first_visit(self, ent: Enterprise) -> simpy.Event | None: ...
    def guidance(self, ent: Enterprise) -> simpy.Event | None: ...


class PreparationModule(Module):
    """Each firm's preparation tasks, side by side; the supplies market."""

    name = "preparation"
    SECTIONS = {"config": "preparation", "paperwork": "approval.preparation_days"}
    STREAMS = ("preparation", "prevention_plan", "supplies_market", "health_registration", "supplies_allocation")

    def __init__(self, city: City, config: Preparation, paperwork: Distribution) -> None:
        super().__init__(city)
        self.config = config
        self.paperwork = paperwork
        self.market = SupplyMarket(config.supplies)
        self.nonlocal_share: list[float] = city.pop.nonlocal_share.tolist()

    def connect(self, cadres: Liaisons) -> None:
        self.cadres = cadres

    def prepare(self, ent: Enterprise) -> Process:
        """Run the preparation tasks of one firm side by side; return when all are done."""
        env = self.city.env
        spec = self.config
        t0 = env.now
        paper = self.paperwork.quantile(ent.u("preparation"))
        plan = spec.plan.plan_days.quantile(ent.u("prevention_plan"))
        end = {
            "paperwork": t0 + paper,
            "supplies": self.market.bought_by(t0, spec.supplies.market_days.quantile(ent.u("supplies_market"))),
            "plan": t0 + plan,
            "health": t0 + health_registration_days(spec.health, ent.u("health_registration"), ent.workers,
                                                    self.nonlocal_share[ent.i]),
        }
        allocation = spec.supplies.allocation_days.quantile(ent.u("supplies_allocation"))
        liaison = self.cadres.first_visit(ent)
        guidance = self.cadres.guidance(ent)
        while True:
            ready = max(end.values())
            if ready <= env.now:
                return
            waiting = [ev for ev in (liaison, guidance) if ev is not None]
            if not waiting:
                yield env.timeout(ready - env.now)
                return
            yield env.any_of([env.timeout(ready - env.now), *waiting])
            now = env.now
            if liaison is not None and liaison.processed:
                liaison = None
                # the liaison helps with the application: the paperwork shrinks, but not to before the visit
                end["paperwork"] = min(end["paperwork"], max(now, t0 + paper * self.cadres.preparation_factor))
                if spec.supplies.city_allocation:
                    end["supplies"] = min(end["supplies"], now + allocation)
            if guidance is not None and guidance.processed:
                guidance = None
                left = end["plan"] - now
                if left > 0.0:
                    end["plan"] = now + left * spec.plan.guidance_factor
