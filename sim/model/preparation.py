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
process waits on the cadres' events (``Enterprise.liaison_first_visit()``,
``Enterprise.supervisor_guidance()``) only while they can still matter, so a
firm costs a handful of events, once.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.scenario.preparation_schema import HealthRegistration, Supplies

if TYPE_CHECKING:
    from sim.model.enterprise import Enterprise

Process = Generator[simpy.Event, Any, None]
TASKS = ("paperwork", "supplies", "plan", "health")


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


def prepare(ent: Enterprise) -> Process:
    """Run the preparation tasks of one firm side by side; return when all are done."""
    city = ent.city
    env = city.env
    sc = city.sc
    spec = sc.preparation
    t0 = env.now
    paper = sc.approval.preparation_days.quantile(ent.u("preparation"))
    plan = spec.plan.plan_days.quantile(ent.u("prevention_plan"))
    end = {
        "paperwork": t0 + paper,
        "supplies": city.supply_market.bought_by(t0, spec.supplies.market_days.quantile(ent.u("supplies_market"))),
        "plan": t0 + plan,
        "health": t0 + health_registration_days(spec.health, ent.u("health_registration"), ent.workers,
                                                float(city.pop.nonlocal_share[ent.i])),
    }
    allocation = spec.supplies.allocation_days.quantile(ent.u("supplies_allocation"))
    liaison = ent.liaison_first_visit()
    guidance = ent.supervisor_guidance()
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
            end["paperwork"] = min(end["paperwork"], max(now, t0 + paper * sc.cadres.liaisons.preparation_factor))
            if spec.supplies.city_allocation:
                end["supplies"] = min(end["supplies"], now + allocation)
        if guidance is not None and guidance.processed:
            guidance = None
            left = end["plan"] - now
            if left > 0.0:
                end["plan"] = now + left * spec.plan.guidance_factor
