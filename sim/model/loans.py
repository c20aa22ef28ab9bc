"""Bank loans through the green channel (金融16条).

An eligible enterprise whose cash falls below the stress level (a number of
days of fixed cost) forms a loan intention, if it chooses to approach a bank
and once the green channel is open. The bank decides after a delay; not every
intention becomes a loan (44 intentions, 26 loans in the source), smaller
firms less often; an approved loan is disbursed after a further delay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.population import SIZE_CLASSES

if TYPE_CHECKING:
    from sim.model.enterprise import Enterprise
    from sim.model.world import City

WATCHING, WAITING, DONE = 0, 1, 2


class Bank:
    def __init__(self, city: City) -> None:
        self.city = city
        self.policy = city.sc.policies.loans
        self.eligible_classes = {SIZE_CLASSES.index(s) for s in self.policy.eligible_size_classes}
        self.intentions = 0
        self.approved = 0
        self.disbursed = 0
        self.disbursed_amount = 0.0
        self.disbursement_days: list[float] = []

    def eligible(self, ent: Enterprise) -> bool:
        return self.policy.enabled and ent.size_class in self.eligible_classes

    def stress_level(self, ent: Enterprise) -> float:
        return self.policy.stress_runway_days * ent.fixed_cost

    def on_stress(self, ent: Enterprise) -> None:
        env = self.city.env
        opens = self.policy.window_opens_day
        if env.now < opens:
            ent.loan_state = WAITING
            ev = env.timeout(opens - env.now)
            ev.callbacks.append(lambda _ev: self._window_opened(ent))
        else:
            self._approach(ent)
        # The stress timer replaced the cash-out timer; now that the firm no longer
        # watches for stress, schedule the moment its cash runs out.
        ent.update()

    def _window_opened(self, ent: Enterprise) -> None:
        if ent.failed:
            return
        ent.cash.advance(self.city.env.now)
        if ent.cash.balance <= self.stress_level(ent):
            self._approach(ent)
        else:  # a deposit lifted it meanwhile: keep watching
            ent.loan_state = WATCHING
            ent.update()

    def _approach(self, ent: Enterprise) -> None:
        ent.loan_state = DONE
        if ent.u("loan_intention") >= self.policy.intention_share:
            return
        env = self.city.env
        self.intentions += 1
        ent.record("loan_intention_day", env.now)
        decision = self.policy.decision_days.quantile(ent.u("loan_decision"))
        ev = env.timeout(decision)
        ev.callbacks.append(lambda _ev: self._decide(ent, env.now - decision))

    def _decide(self, ent: Enterprise, intention_day: float) -> None:
        if ent.failed:
            return
        p = self.policy.approval_probability.get(SIZE_CLASSES[ent.size_class], 0.0)
        if ent.u("loan_approval") >= p:
            return
        self.approved += 1
        delay = self.policy.disbursement_days.quantile(ent.u("loan_disbursement"))
        ev = self.city.env.timeout(delay)
        ev.callbacks.append(lambda _ev: self._disburse(ent, intention_day))

    def _disburse(self, ent: Enterprise, intention_day: float) -> None:
        if ent.failed:
            return
        now = self.city.env.now
        amount = self.policy.amount_days_of_fixed_cost * ent.fixed_cost
        self.disbursed += 1
        self.disbursed_amount += amount
        self.disbursement_days.append(now)
        ent.record("loan_disbursed_day", now)
        ent.record("loan_amount", amount)
        ent.deposit(amount)
