"""Bank loans: the green channel for key firms (金融16条) and the ordinary channel.

A firm looks ahead along its present cash path and, when the shortfall comes
within the time a loan takes plus a margin, may apply (more often with a
liaison, see :meth:`Enterprise.liaison_helps_with_loan`). Firms on the
key-firm list use the green channel once it opens (a decision in 1-2 days, a
lower bar); other firms, or key firms for which waiting for the green channel
would take longer, use the ordinary channel (weeks, a higher bar). An
incomplete application is completed first; approval depends on size and
collateral; an approved loan covers the firm's fixed cost for a stated number
of months less the cash it holds, plus restart working capital, and is paid
back (with interest) at the end of its term. A refused firm may try again
after a wait.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.model import cadres
from sim.population import SIZE_CLASSES

if TYPE_CHECKING:
    from sim.model.enterprise import Enterprise
    from sim.model.world import City

WATCHING, APPLYING, DONE = 0, 1, 2
GREEN, STANDARD = "green", "standard"


class Bank:
    """All lenders of the city, with counts kept per channel."""

    def __init__(self, city: City) -> None:
        self.city = city
        self.policy = p = city.sc.policies.loans
        self.green_lead = p.decision_days.mean + p.disbursement_days.mean
        self.standard_lead = p.standard_decision_days.mean + p.disbursement_days.mean
        self.applicants: dict[str, set[int]] = {GREEN: set(), STANDARD: set()}  # firms that applied
        self.disbursed = {GREEN: 0, STANDARD: 0}
        self.disbursed_amount = {GREEN: 0.0, STANDARD: 0.0}
        self.refusals = 0
        self.disbursement_days: list[float] = []
        self.disbursement_firms: list[int] = []  # firms of each disbursement (a cohort's members)

    @property
    def intentions(self) -> dict[str, int]:
        """Firms that applied (a loan intention, 贷款意向), by channel (a cohort counts its members)."""
        members = self.city.pop.members
        return {k: int(members[list(v)].sum()) for k, v in self.applicants.items()}

    # -- who may borrow, and how long a loan takes -------------------------------

    def green_listed(self, ent: Enterprise) -> bool:
        return any(ent.has_key(k) for k in self.policy.green_channel_for)

    def can_seek(self, ent: Enterprise) -> bool:
        p = self.policy
        return p.enabled and (p.standard_channel or self.green_listed(ent))

    def lead(self, ent: Enterprise) -> float:
        """Expected days from applying to money on the account, plus the firm's safety margin."""
        return self.policy.seek_margin_days + (self.green_lead if self.green_listed(ent) else self.standard_lead)

    # -- the application ---------------------------------------------------------

    def on_restart(self, ent: Enterprise) -> None:
        """A restarting firm must pre-finance materials: it seeks a loan if its cash cannot."""
        need = self.policy.restart_cash_days * ent.revenue * (1.0 - ent.margin)
        if ent.cash.balance - ent.fail_level < need:
            self.on_seek(ent)

    def on_seek(self, ent: Enterprise) -> None:
        """The firm's projected shortfall came within reach: choose a channel, maybe apply."""
        env = self.city.env
        p = self.policy
        ent.loan_state = APPLYING
        if ent.u("loan_apply") >= (p.apply_probability_liaison if ent.liaison_helps_with_loan() else p.apply_probability):
            self._later(ent)  # not this time; it looks again after the wait
            return
        channel, wait = STANDARD, 0.0
        if self.green_listed(ent):
            wait = max(0.0, p.window_opens_day - env.now)
            if wait > 0.0 and p.standard_channel and wait + self.green_lead > self.standard_lead:
                channel, wait = STANDARD, 0.0
            else:
                channel = GREEN
        if wait > 0.0:
            ev = env.timeout(wait)
            ev.callbacks.append(lambda _ev: self._apply(ent, channel))
        else:
            self._apply(ent, channel)
        ent.update()  # the seek timer is spent: schedule the failure timer alone

    def _apply(self, ent: Enterprise, channel: str) -> None:
        """The firm puts its application together: with its liaison's help if it has one.

        The help takes the liaison's working hours (:func:`sim.model.cadres.ask_liaison`), so a
        liaison with many firms helps later; the application is filed when the help is done.
        """
        if ent.failed:
            return
        env = self.city.env
        self.applicants[channel].add(ent.i)
        ent.applications += 1
        ent.record_first("loan_intention_day", env.now)
        help_done = None
        if ent.liaison_helps_with_loan():
            hours = ent.city.sc.cadres.liaisons.loan_help_hours.quantile(ent.u("loan_help"))
            help_done = cadres.ask_liaison(ent, hours)
        if help_done is None:
            self._file(ent, channel, helped=False)
        else:
            help_done.callbacks.append(lambda _ev: self._file(ent, channel, helped=True))

    def _file(self, ent: Enterprise, channel: str, helped: bool) -> None:
        if ent.failed:
            return
        p = self.policy
        delay = 0.0
        complete = p.complete_probability_liaison if helped else p.complete_probability
        if ent.u("loan_complete") >= complete:
            delay = p.completion_days.quantile(ent.u("loan_completion"))
        decision = p.decision_days if channel == GREEN else p.standard_decision_days
        delay += decision.quantile(ent.u("loan_decision"))
        ev = self.city.env.timeout(delay)
        ev.callbacks.append(lambda _ev: self._decide(ent, channel))

    def _decide(self, ent: Enterprise, channel: str) -> None:
        if ent.failed:
            return
        p = self.policy
        size = SIZE_CLASSES[ent.size_class]
        table = p.approval_probability if channel == GREEN else p.standard_approval_probability
        chance = table.get(size, 0.0)
        if not ent.has_collateral():
            chance *= p.no_collateral_factor
        if ent.u("loan_approval") >= chance:
            self.refusals += ent.members
            self._later(ent)
            return
        delay = p.disbursement_days.quantile(ent.u("loan_disbursement"))
        ev = self.city.env.timeout(delay)
        ev.callbacks.append(lambda _ev: self._disburse(ent, channel))

    def _later(self, ent: Enterprise) -> None:
        """Look again after the wait, unless the firm has used up its applications."""
        if ent.applications >= self.policy.max_applications:
            ent.loan_state = DONE
            return
        ent.loan_state = WATCHING
        ent.seek_after = self.city.env.now + self.policy.retry_wait_days
        ent.update()

    def amount(self, ent: Enterprise) -> float:
        """Fixed cost for the stated months less the cash held, plus restart working capital."""
        p = self.policy
        need = p.loan_months * (365.0 / 12.0) * ent.fixed_cost - max(0.0, ent.cash.balance)
        working = p.working_capital_days * ent.revenue * (1.0 - ent.margin)
        return max(0.0, need) + working

    def _disburse(self, ent: Enterprise, channel: str) -> None:
        if ent.failed:
            return
        p = self.policy
        now = self.city.env.now
        ent.cash.advance(now)
        amount = self.amount(ent)
        if not amount > 0.0 or not math.isfinite(amount):
            ent.loan_state = DONE
            return
        self.disbursed[channel] += ent.members
        self.disbursed_amount[channel] += amount * ent.members
        self.disbursement_days.append(now)
        self.disbursement_firms.append(ent.members)
        ent.record("loan_disbursed_day", now)
        ent.record("loan_amount", amount)
        ent.loan_state = DONE
        rate = p.interest_rate if channel == GREEN else p.standard_interest_rate
        ent.take_loan(amount, rate, p.term_days)
