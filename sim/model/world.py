"""The city of one replication: builds every component and runs the simulation.

Phases, as in desmod: build (population, policies, service points, cadres,
enterprises), run until the horizon, collect (:mod:`sim.results.metrics`). Components
get the environment, their parameters and their random streams when built.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from sim.model.approval import make_procedure
from sim.model.cadres import CadreService
from sim.model.coverage import Assignment, make_coverage
from sim.model.enterprise import Enterprise
from sim.model.finance import CostRates
from sim.model.loans import Bank
from sim.model.office_hours import office_hours
from sim.model.outbreak import PrevalenceCurve
from sim.model.preparation import SupplyMarket
from sim.model.problems import DailyDispatch
from sim.model.records import ChangeLog, Outcomes
from sim.model.servers import LevelLog, ServicePoint
from sim.model.timers import TimerWheel
from sim.population import SIZE_CLASSES, Population, build_population
from sim.random_streams import Streams
from sim.results.metrics import collect
from sim.results.run_result import RunResult
from sim.scenario.schema import Scenario

POINT_KINDS = ("approval", "inspection", "department", "registration")


class City:
    """All components of one replication."""

    def __init__(self, sc: Scenario, replication: int, population: Population | None = None) -> None:
        self.sc = sc
        self.replication = replication
        self.env = simpy.Environment()
        self.horizon = float(sc.horizon_days)
        self.pop = population if population is not None else build_population(sc, sc.seed, replication)
        self.streams = Streams(sc.seed, replication, self.pop.group_sizes)
        self.outcomes = Outcomes(self.pop.n)
        self.log = ChangeLog()
        self.incident_days: list[float] = []
        self.incident_firms: list[int] = []
        self.full_threshold = sc.metrics.full_production_threshold
        self.procedure = make_procedure(sc.policies.approval, sc.approval)
        self.prevalence = PrevalenceCurve(sc.outbreak, self.horizon)
        env = self.env
        self.timers = TimerWheel(env, self.horizon)

        self.point_logs = {k: LevelLog() for k in POINT_KINDS}
        hours = office_hours(sc)
        self.offices = [ServicePoint(env, f"approval:{c.name}", c.approval_reviewers, self.point_logs["approval"],
                                     hours["approval"]) for c in sc.counties]
        self.teams = [ServicePoint(env, f"inspection:{c.name}", c.inspectors, self.point_logs["inspection"],
                                   hours["inspection"]) for c in sc.counties]
        self.departments = {name: ServicePoint(env, f"department:{name}", d.staff, self.point_logs["department"],
                                               hours["departments"])
                            for name, d in sc.problems.departments.items()}
        self.registration = ServicePoint(env, "registration", sc.registration.desks, self.point_logs["registration"],
                                         hours["registration"])
        self.supply_market = SupplyMarket(sc.preparation.supplies)

        self.tie = self._tie_breaks()
        self.assignment: Assignment = make_coverage(sc.policies.coverage).assign(self.pop, sc, self.tie)
        self.cadres = CadreService(self)

        self.bank = Bank(self)
        self.dispatch = DailyDispatch(self)
        relief = sc.finance.relief
        self.power_relief = relief.power_share_of_revenue * relief.power_cost_cut
        self.targeted_loans = 0.0
        residual = 1.0 - sc.outbreak.baseline_prevention
        self._hazard_unsupervised = sc.outbreak.hazard_per_worker * residual
        self._prevention_effect = sc.cadres.supervisors.prevention_effect
        self.enterprises: list[Enterprise] = []
        liaison_of, supervisor_of = self.cadres.team_of["liaison"], self.cadres.team_of["supervisor"]
        for i in range(self.pop.n):
            ent = Enterprise(self, i, liaison_of[i], supervisor_of[i])
            self.cadres.attach(ent)
            self.enterprises.append(ent)
            env.process(ent.lifecycle())
        if sc.registration.background_per_day > 0:
            env.process(self._background_registrations())
        if relief.unemployment_insurance_refund > 0 and relief.refund_day < self.horizon:
            self._at(relief.refund_day, self._pay_refunds)
        if relief.training_subsidy_per_worker * relief.trained_share > 0 and relief.training_paid_day < self.horizon:
            self._at(relief.training_paid_day, self._pay_training)
        for k, targeted in enumerate(sc.finance.targeted):
            if targeted.day < self.horizon:
                self._at(targeted.day, lambda k=k: self._targeted(k))

    # -- rules the enterprises ask about ---------------------------------------

    def cost_rates(self, fixed_cost: float) -> CostRates:
        """A firm's fixed cost per day split into its components, with the wage and tax rules."""
        fin = self.sc.finance
        shares = fin.costs
        wages = fixed_cost * shares.wages
        return CostRates(
            wages=wages, allowance=wages * fin.living_allowance_share, rent=fixed_cost * shares.rent,
            interest=fixed_cost * shares.interest, other=fixed_cost * shares.other, taxes=fixed_cost * shares.taxes,
            pay_period=fin.pay_period_days, deferral_until=fin.relief.tax_deferral_until_day,
            repay_deferred=fin.relief.tax_deferral_repaid,
        )

    def restart_allowed_day(self, ent: Enterprise) -> float:
        cal = self.sc.calendar
        if ent.essential and cal.essential_exempt:
            return 0.0
        return cal.restart_ban_until_day

    def hazard_per_worker(self, ent: Enterprise) -> float:
        """Outbreak hazard per worker present per unit of prevalence, after prevention.

        A supervisor's effect is scaled by the share of its team's open firms it
        checked on its last working day (0 before the cadres arrive).
        """
        if ent.supervisor is not None:
            return self._hazard_unsupervised * (1.0 - self._prevention_effect * ent.supervisor.share)
        return self._hazard_unsupervised

    # -- city-level events -------------------------------------------------------

    def _tie_breaks(self) -> np.ndarray:
        parts = [self.streams.for_purpose("assignment_tie", g).random(size)
                 for g, size in enumerate(self.pop.group_sizes)]
        return np.concatenate(parts) if parts else np.zeros(0)

    def _at(self, day: float, action: Any) -> None:
        ev = self.env.timeout(max(0.0, day - self.env.now))
        ev.callbacks.append(lambda _ev: action())

    def _background_registrations(self) -> Generator[simpy.Event, Any, None]:
        reg = self.sc.registration
        rng = self.streams.shared("registration_background")
        rate = reg.background_per_day
        env = self.env
        while True:
            yield env.timeout(rng.exponential(1.0 / rate))
            self.registration.request(reg.service_days.quantile(max(rng.random(), 1e-12)))

    def _pay_refunds(self) -> None:
        """Unemployment-insurance refund: a share of the premiums each firm paid last year."""
        relief = self.sc.finance.relief
        per_worker = relief.unemployment_insurance_refund * relief.premium_per_worker_year
        for ent in self.enterprises:
            ent.receive_relief(per_worker * ent.workers)

    def _pay_training(self) -> None:
        """Training subsidy per trained worker, paid to firms still in business."""
        relief = self.sc.finance.relief
        per_worker = relief.training_subsidy_per_worker * relief.trained_share
        for ent in self.enterprises:
            ent.receive_relief(per_worker * ent.workers)

    def _targeted(self, k: int) -> None:
        """A targeted loan or subsidy goes to the firms closest to a cash shortfall on its day."""
        t = self.sc.finance.targeted[k]
        now = self.env.now
        county = None if t.county is None else [c.name for c in self.sc.counties].index(t.county)
        sizes = {SIZE_CLASSES.index(s) for s in t.size_classes}
        ranked: list[tuple[float, float, int]] = []
        for ent in self.enterprises:
            if ent.failed or ent.size_class not in sizes or (county is not None and ent.county != county):
                continue
            ent.cash.advance(now)
            days_left = ent.cash.time_to_reach(ent.fail_level) - now
            # shortest time to a shortfall first; among firms never short, the thinnest cash cover
            ranked.append((days_left, (ent.cash.balance - ent.fail_level) / max(ent.fixed_cost, 1e-9), ent.i))
        ranked.sort()
        firms = 0  # a cohort counts its members, and is taken only whole
        for _, _, i in ranked:
            ent = self.enterprises[i]
            if firms + ent.members > t.firms:
                if firms >= t.firms:
                    break
                continue
            firms += ent.members
            if t.kind == "subsidy":
                ent.receive_relief(t.amount_yuan)
            else:
                ent.take_loan(t.amount_yuan, t.interest_rate, t.term_days)
                self.targeted_loans += t.amount_yuan * ent.members

    # -- run -------------------------------------------------------------------

    def run(self) -> None:
        # The cyclic garbage collector rescans the city's live objects again and again as events
        # are allocated (half the run time at 30,000 firms) and finds almost nothing to free:
        # events are freed by reference counting. Pause it for the run.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            self.env.run(until=self.horizon)
        finally:
            if was_enabled:
                gc.enable()
        for ent in self.enterprises:
            ent.finish(self.horizon)

    def events_scheduled(self) -> int:
        # SimPy numbers every scheduled event with Environment._eid; reading it
        # costs nothing during the run, unlike counting in a schedule() override.
        return int(next(self.env._eid))  # type: ignore[attr-defined]


def run_replication(sc: Scenario, variant: str, replication: int,
                    population: Population | None = None) -> RunResult:
    """Build, run and collect one replication of one variant."""
    t0 = time.perf_counter()
    city = City(sc, replication, population)
    city.run()
    events = city.events_scheduled()
    wall = time.perf_counter() - t0
    result = collect(city, variant, events, wall)
    result.wall_seconds = time.perf_counter() - t0
    return result


def horizon_days(sc: Scenario) -> int:
    return int(math.ceil(sc.horizon_days))
