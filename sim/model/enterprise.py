"""The life of one enterprise (DESIGN section 4).

Up to its restart an enterprise is a SimPy process: prepare the application
(faster with a liaison), queue at the county office and go through review
rounds (rework when documents are missing), pass the epidemic-prevention
inspection (its supervisor's, or the county team's), wait for the restart ban,
restart. The order of approval and inspection is the approval policy's
(``sequential``, ``parallel``, ``commitment``).

After the restart everything is event-driven: workers come back in cohorts,
problems arrive and are resolved, loans are disbursed, incidents shut the firm.
Each such event calls :meth:`Enterprise.update`, which books production and
cash up to now, recomputes capacity, logs the change, and schedules the next
moment cash runs out (or comes close enough to it that the firm seeks a loan)
and the next outbreak incident, both solved for exactly. A version number
voids timers that a later change made stale. A firm that fails leaves every
queue it waits in.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.model import loans, preparation, problems, projects, workforce
from sim.model.finance import CashAccount
from sim.population import SIZE_CLASSES as SIZE_NAMES

if TYPE_CHECKING:
    from sim.model.cadres import Team
    from sim.model.servers import ServicePoint
    from sim.model.world import City

CLOSED, OPEN, SUSPENDED, FAILED = 0, 1, 2, 3
STATE_NAMES = ("closed", "open", "suspended", "failed")
MAX_INSPECTION_ROUNDS = 50

Process = Generator[simpy.Event, Any, None]


class Enterprise:
    """One enterprise's state; its attributes live in the city's population arrays."""

    __slots__ = (
        "city", "i", "group", "local", "county", "size_class", "essential", "high_tech", "gazelle",
        "new_project", "workers", "revenue", "margin", "fixed_cost", "liaison", "supervisor",
        "state", "cash", "present", "problem_factor", "open_problems",
        "cash_version", "cash_due", "cash_kind", "hazard_version", "can_seek", "fail_level", "reached_full",
        "applications", "seek_after", "collateral", "shut_until", "queued",
        "exposure_left", "hazard_rate", "t_hazard", "logged_open", "logged_workers", "logged_cap",
        "produced", "t_prod", "travel_ready", "setup_ready", "loan_state", "inspected_once", "opened_once",
        "members",
    )

    def __init__(self, city: City, i: int, liaison: Team | None, supervisor: Team | None) -> None:
        pop = city.pop
        self.city = city
        self.i = i
        self.group = int(pop.group[i])
        self.local = int(pop.local[i])
        self.county = int(pop.county[i])
        self.size_class = int(pop.size_class[i])
        self.essential = bool(pop.essential[i])
        self.high_tech = bool(pop.high_tech[i])
        self.gazelle = bool(pop.gazelle[i])
        self.new_project = bool(pop.new_project[i])
        self.workers = int(pop.workers[i])
        self.members = int(pop.members[i])  # identical firms this one stands for (a cohort's size, else 1)
        self.revenue = float(pop.revenue_per_day[i])
        self.margin = float(pop.margin[i])
        self.fixed_cost = float(pop.fixed_cost_per_day[i])
        self.liaison = liaison
        self.supervisor = supervisor
        self.state = CLOSED
        finance = city.sc.finance
        self.cash = CashAccount(float(pop.cash0[i]), city.cost_rates(self.fixed_cost))
        self.fail_level = -finance.credit_line_days.get(SIZE_NAMES[self.size_class], 0.0) * self.fixed_cost
        self.present = 0
        self.problem_factor = 1.0
        self.open_problems: list[float] = []
        self.cash_version = 0  # voids cash timers made stale by a later change
        self.cash_due = math.inf  # when the pending cash timer fires (inf: none pending)
        self.cash_kind = ""
        self.hazard_version = 0  # voids incident timers made stale by a later change
        self.can_seek = city.bank.can_seek(self)
        self.applications = 0
        self.seek_after = 0.0
        self.collateral: bool | None = None  # drawn when a bank first asks
        self.shut_until = 0.0  # an incident's shutdown lasts until then, whatever else is pending
        self.queued: list[tuple[ServicePoint, simpy.Event]] = []
        self.reached_full = False
        self.exposure_left = -math.log(self.u("outbreak_exposure"))
        self.hazard_rate = 0.0
        self.t_hazard = 0.0
        self.logged_open = 0
        self.logged_workers = 0
        self.logged_cap = 0.0
        self.produced = 0.0
        self.t_prod = 0.0
        self.travel_ready = math.inf
        self.setup_ready = 0.0
        self.loan_state = loans.WATCHING
        self.inspected_once = False
        self.opened_once = False
        city.outcomes["cash_start"][i] = self.cash.balance

    # -- helpers ---------------------------------------------------------------

    def u(self, purpose: str) -> float:
        """Next uniform draw of this enterprise for ``purpose`` (common random numbers)."""
        return self.city.streams.uniform(purpose, self.group, self.local)

    def has_key(self, key: str) -> bool:
        """Whether the enterprise has an assignment/priority key (above_scale, essential …)."""
        if key == "above_scale":
            return self.size_class == 0
        if key == "sme":
            return self.size_class == 1
        if key == "micro":
            return self.size_class == 2
        return bool(getattr(self, key))

    @property
    def failed(self) -> bool:
        return self.state == FAILED

    def ask(self, point: ServicePoint, duration: float, priority: int = 0) -> simpy.Event:
        """Queue at a service point for ``duration`` of a server's time per firm; fires when served.

        A cohort asks once for all its firms (see :meth:`ServicePoint.request`).
        """
        return self.wait_at(point, point.request(duration, priority, self.members))

    def wait_at(self, point: ServicePoint, request: simpy.Event) -> simpy.Event:
        """Remember a request at a service point, so that failing withdraws it."""
        entry = (point, request)
        self.queued.append(entry)
        request.callbacks.append(lambda _ev: self._served(entry))  # type: ignore[union-attr]
        return request

    def _served(self, entry: tuple[ServicePoint, simpy.Event]) -> None:
        if entry in self.queued:  # failing cleared the list; a service under way still ends
            self.queued.remove(entry)

    def liaison_helps_with_loan(self) -> bool:
        """Whether a liaison helps this firm with a loan application (when it seeks one).

        A firm with a liaison applies more often; the help itself takes the liaison's
        hours (see :meth:`sim.model.loans.Bank._apply`).
        """
        return self.liaison is not None

    def has_collateral(self) -> bool:
        if self.collateral is None:
            share = self.city.sc.policies.loans.collateral_share.get(SIZE_NAMES[self.size_class], 0.0)
            self.collateral = self.u("collateral") < share
        return self.collateral

    def record(self, column: str, value: float) -> None:
        self.city.outcomes[column][self.i] = value

    def record_first(self, column: str, value: float) -> None:
        col = self.city.outcomes[column]
        if math.isnan(col[self.i]):
            col[self.i] = value

    # -- the road to restart ---------------------------------------------------

    def lifecycle(self) -> Process:
        city = self.city
        env = city.env
        if city.pop.already_running[self.i]:
            self.record("approval_day", 0.0)
            self.record("inspection_day", 0.0)
            self.travel_ready = workforce.travel_ready(self, 0.0)
            self.open()
            return
        self.update()  # schedules the moment cash would run out while closed
        steps = city.procedure.steps
        if steps == "parallel":
            # the application is prepared first; review and inspection then run side by side
            if not self.new_project:
                yield from self.prepare()
            inspection = env.process(self.inspect_until_pass())
            yield from self.obtain_approval(prepared=True)
            if not inspection.triggered:
                yield inspection
        else:
            yield from self.obtain_approval()
            if steps == "sequential" and not self.failed:
                yield from self.inspect_until_pass()
        if self.failed:
            return
        earliest = max(self.setup_ready, city.restart_allowed_day(self))
        if env.now < earliest:
            yield env.timeout(earliest - env.now)
            if self.failed:
                return
        self.open()
        if steps == "commitment":
            yield from self.inspect_until_pass()

    def obtain_approval(self, prepared: bool = False) -> Process:
        if self.new_project:
            yield from projects.procedure(self)
        else:
            if not prepared:
                yield from self.prepare()
            yield from self.review_rounds()
        if not self.failed:
            self.record("approval_day", self.city.env.now)
            self.travel_ready = workforce.travel_ready(self, self.city.env.now)

    def liaison_first_visit(self) -> simpy.Event | None:
        """The liaison's first visit, on its working day (None: no liaison). Ask once per firm."""
        if self.liaison is None:
            return None
        return self.city.cadres.first_visit(self)

    def supervisor_guidance(self) -> simpy.Event | None:
        """The supervisor's guidance visit on the prevention plan (None: no supervisor). Ask once per firm."""
        if self.supervisor is None:
            return None
        return self.city.cadres.guidance(self)

    def prepare(self) -> Process:
        """The preparation tasks of February 2020, side by side (:mod:`sim.model.preparation`)."""
        yield from preparation.prepare(self)

    def review_rounds(self) -> Process:
        city = self.city
        env = city.env
        approval = city.sc.approval
        procedure = city.procedure
        office = city.offices[self.county]
        self.record("application_day", env.now)
        base_rework = approval.rework_probability
        if self.liaison is not None and city.cadres.visited[self.i]:
            base_rework *= city.sc.cadres.liaisons.rework_factor
        rounds = 0
        while True:
            rounds += 1
            review = procedure.review_days(approval.review_days.quantile(self.u("review")))
            yield self.ask(office, review, procedure.priority(self))
            if self.failed:
                return
            if self.u("rework") < procedure.rework_probability(min(1.0, base_rework), rounds):
                city.outcomes["rework_rounds"][self.i] += 1
                yield env.timeout(approval.rework_days.quantile(self.u("rework_days")))
                if self.failed:
                    return
                continue
            return

    def inspect_until_pass(self, after_incident: bool = False) -> Process:
        """Inspection visits until one passes; a failure while open suspends the firm.

        A covered firm's supervisor inspects it on the supervisor's working day
        (re-inspections after an incident first); an uncovered firm queues for
        the county's shared team.
        """
        city = self.city
        env = city.env
        sc = city.sc
        outcomes = city.outcomes
        for _ in range(MAX_INSPECTION_ROUNDS):
            if self.failed:
                return
            supervised = self.supervisor is not None
            if supervised:
                yield city.cadres.inspection(self, after_incident)
            else:
                team = city.teams[self.county]
                yield self.ask(team, sc.inspection.visit_days.quantile(self.u("inspection_visit")))
            if self.failed:
                return
            outcomes["inspections"][self.i] += 1
            readiness = float(city.pop.readiness[self.i])
            if supervised:
                readiness += (1.0 - readiness) * sc.cadres.supervisors.readiness_gain
            if self.u("inspection") < readiness:
                self.record_first("inspection_day", env.now)
                if self.state == SUSPENDED:
                    self.reopen()
                return
            if self.state == OPEN:
                self.suspend()
            yield env.timeout(sc.inspection.remediation_days.quantile(self.u("remediation")))
        if not self.failed:  # readiness so low that no visit passes: give up on it passing
            self.record_first("inspection_day", env.now)
            if self.state == SUSPENDED:
                self.reopen()

    # -- state changes ---------------------------------------------------------

    def open(self) -> None:
        """First restart (复工)."""
        now = self.city.env.now
        self.record("restart_day", now)
        self.state = OPEN
        self.opened_once = True
        workforce.schedule_return(self, now)
        problems.schedule_arrivals(self, now)
        self.update()
        if self.loan_state == loans.WATCHING and self.can_seek and now >= self.seek_after:
            self.city.bank.on_restart(self)

    def suspend(self) -> None:
        if self.state == OPEN:
            self.state = SUSPENDED
            self.update()

    def reopen(self) -> None:
        # An incident's shutdown lasts its full term: a passed inspection does not end it early.
        if self.state == SUSPENDED and self.city.env.now >= self.shut_until:
            self.state = OPEN
            self.update()

    def fail(self) -> None:
        """Cash plus credit line cannot cover what is owed: close for good and leave every queue."""
        now = self.city.env.now
        self.state = FAILED
        self.city.cadres.firm_failed(self)
        self.record("failure_day", now)
        for point, request in list(self.queued):
            point.withdraw(request)
        self.queued.clear()
        self.update()

    def workers_arrive(self, n: int) -> None:
        if n and not self.failed:
            self.present = min(self.workers, self.present + n)
            self.update()

    def set_problems(self) -> None:
        factor = 1.0
        for loss in self.open_problems:
            factor *= 1.0 - loss
        self.problem_factor = factor
        if not self.failed:
            self.update()

    def receive_relief(self, amount: float) -> None:
        """A refund or subsidy paid today."""
        if not self.failed and amount > 0:
            self.cash.receive_relief(self.city.env.now, amount)
            self.update()

    def take_loan(self, amount: float, annual_rate: float, term_days: float) -> None:
        if not self.failed and amount > 0:
            self.cash.take_loan(self.city.env.now, amount, annual_rate, term_days)
            self.update()

    # -- bookkeeping -----------------------------------------------------------

    def update(self) -> None:
        """Book up to now, recompute capacity, log it, reschedule cash and hazard timers."""
        city = self.city
        now = city.env.now
        cap_old = self.logged_cap
        self.produced += cap_old * self.revenue * (now - self.t_prod)
        self.t_prod = now
        self.cash.advance(now)
        if self.hazard_rate > 0.0:
            curve = city.prevalence
            self.exposure_left -= self.hazard_rate * (curve.integral(now) - curve.integral(self.t_hazard))
        self.t_hazard = now

        is_open = self.state == OPEN
        at_post = self.present if is_open else 0
        cap = (self.present / self.workers) * self.problem_factor if is_open else 0.0
        d_open = int(is_open) - self.logged_open
        d_workers = at_post - self.logged_workers
        d_cap = cap - self.logged_cap
        if d_open or d_workers or d_cap:
            city.log.record(now, self.i, d_open, d_workers, d_cap * self.workers)
            if d_open and self.supervisor is not None:
                city.cadres.open_changed(self.supervisor, d_open * self.members)
            self.logged_open = int(is_open)
            self.logged_workers = at_post
            self.logged_cap = cap
        if cap >= city.full_threshold and not self.reached_full:
            self.reached_full = True
            self.record("full_production_day", now)

        if self.state == FAILED:
            self.cash_version += 1
            self.hazard_version += 1
            self.hazard_rate = 0.0
            return
        self.cash.income_rate = cap * self.revenue * self.margin
        self.cash.relief_rate = cap * self.revenue * city.power_relief  # the cut on power actually used
        self.cash.set_open(now, is_open)
        self._schedule_cash(now)
        rate = city.hazard_per_worker(self) * at_post if at_post else 0.0
        if rate != self.hazard_rate:
            # A pending incident timer stays right while the rate is unchanged: the
            # exposure left shrinks exactly as the timer assumed.
            self.hazard_version += 1
            self.hazard_rate = rate
            if rate > 0.0:
                curve = city.prevalence
                t_inc = curve.inverse(curve.integral(now) + self.exposure_left / rate)
                if t_inc < city.horizon:
                    self._timer(max(0.0, t_inc - now), "incident", self.hazard_version)

    def _schedule_cash(self, now: float) -> None:
        t_next = self.cash.time_to_reach(self.fail_level)
        kind = "fail"
        if self.loan_state == loans.WATCHING and self.can_seek and t_next < math.inf:
            # Apply when the projected shortfall is within the time a loan takes plus a margin.
            t_seek = max(now, self.seek_after, t_next - self.city.bank.lead(self))
            if t_seek < t_next:
                t_next, kind = t_seek, "seek"
        if t_next >= self.city.horizon:
            t_next, kind = math.inf, ""
        if kind == self.cash_kind and (t_next == self.cash_due or abs(t_next - self.cash_due) <= 1e-9):
            return  # the pending timer (or its absence) is still right
        self.cash_version += 1
        self.cash_due, self.cash_kind = t_next, kind
        if kind:
            self._timer(max(0.0, t_next - now), kind, self.cash_version)

    def _timer(self, delay: float, kind: str, version: int) -> None:
        if kind == "incident":
            def valid() -> bool:
                return version == self.hazard_version
        else:
            def valid() -> bool:
                return version == self.cash_version
        self.city.timers.at(self.city.env.now + delay, lambda: self._on_timer(version, kind), valid)

    def _on_timer(self, version: int, kind: str) -> None:
        if self.failed:
            return
        current = self.hazard_version if kind == "incident" else self.cash_version
        if version != current:
            return  # a later change has rescheduled this timer
        if kind != "incident":
            self.cash_due, self.cash_kind = math.inf, ""  # this timer is spent
        if kind == "fail":
            self.fail()
        elif kind == "seek":
            self.city.bank.on_seek(self)
        elif kind == "incident":
            self.incident()

    def incident(self) -> None:
        city = self.city
        city.outcomes["incidents"][self.i] += 1
        city.incident_days.append(city.env.now)
        city.incident_firms.append(self.i)
        self.shut_until = city.env.now + city.sc.outbreak.shutdown_days
        self.suspend()  # books the exposure used up to now, before a fresh threshold is drawn
        self.exposure_left = -math.log(self.u("outbreak_exposure"))
        city.env.process(self._after_incident())

    def _after_incident(self) -> Process:
        yield self.city.env.timeout(self.city.sc.outbreak.shutdown_days)
        if not self.failed:
            yield from self.inspect_until_pass(after_incident=True)
            self.reopen()

    def finish(self, horizon: float) -> None:
        """Book the last stretch up to the horizon and write the end-of-run columns."""
        city = self.city
        if self.state != FAILED:
            self.produced += self.logged_cap * self.revenue * (horizon - self.t_prod)
            self.cash.advance(horizon)
        out = city.outcomes
        out["output_lost"][self.i] = self.revenue * horizon - self.produced
        cash = self.cash
        out["cash_end"][self.i] = cash.balance
        out["income"][self.i] = cash.income
        out["relief"][self.i] = cash.relief
        out["costs"][self.i] = cash.costs
        out["loans_received"][self.i] = cash.loans_in
        out["repayments"][self.i] = cash.repayments
        out["taxes_repaid"][self.i] = cash.taxes_repaid
        out["taxes_deferred_end"][self.i] = cash.deferred
        principal, interest = cash.owed_after(horizon)
        out["loan_principal_after"][self.i] = principal
        out["loan_interest_after"][self.i] = interest
        out["workers_at_post_end"][self.i] = self.logged_workers
