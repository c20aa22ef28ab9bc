"""Cash of an enterprise: piecewise linear between known breakpoints, crossings computed.

Cash changes at a rate ``income + relief − costs`` that is constant between
breakpoints the account knows in advance:

- costs are their components: wages (full while open and in the first pay
  period of a stoppage, then the living allowance), rent, interest on existing
  debt, other fixed costs, taxes (deferred until the deferral day) and the
  interest of loans taken;
- income is the contribution of production; relief is the power-bill cut on
  power actually used (so only while producing).

Known jumps: deferred taxes paid back when the deferral ends, a loan's
principal at the end of its term; lump sums (loans, refunds, subsidies) jump
the balance when paid. The moment cash falls to a level (the failure level:
minus the credit line; a loan application ahead of it) is solved for, not
polled. Every yuan is booked, so that

    start + income + relief + loans − costs − repayments − taxes repaid = balance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

INF = math.inf


@dataclass(frozen=True)
class CostRates:
    """A firm's fixed cost per day, by component, and the rules that change it."""

    wages: float
    allowance: float  # living allowance after the first pay period of a stoppage
    rent: float
    interest: float
    other: float
    taxes: float
    pay_period: float
    deferral_until: float  # taxes accrue as deferred before this day
    repay_deferred: bool


class CashAccount:
    """Balance, rates, known breakpoints and books of one enterprise."""

    __slots__ = ("balance", "t", "rates", "is_open", "stopped_since", "income_rate", "relief_rate",
                 "loans", "start", "income", "relief", "costs", "loans_in", "repayments",
                 "taxes_repaid", "deferred")

    def __init__(self, start: float, rates: CostRates) -> None:
        self.balance = start
        self.start = start
        self.t = 0.0
        self.rates = rates
        self.is_open = False
        self.stopped_since = 0.0  # a stoppage since day 0 (the lockdown)
        self.income_rate = 0.0
        self.relief_rate = 0.0
        self.loans: list[tuple[float, float, float]] = []  # (due day, principal, interest per day)
        self.income = 0.0
        self.relief = 0.0
        self.costs = 0.0
        self.loans_in = 0.0
        self.repayments = 0.0
        self.taxes_repaid = 0.0
        self.deferred = 0.0  # taxes deferred and not yet paid back

    # -- the rate and the breakpoints ------------------------------------------

    def set_open(self, now: float, is_open: bool) -> None:
        """Open/closed changes the wage rule; the caller has advanced to ``now``."""
        if self.is_open and not is_open:
            self.stopped_since = now
        self.is_open = is_open

    def _wage(self, t: float) -> float:
        r = self.rates
        if self.is_open or t < self.stopped_since + r.pay_period:
            return r.wages
        return r.allowance

    def _cost_rate(self, t: float) -> float:
        """Costs paid per day on the segment starting at ``t`` (deferred taxes excluded)."""
        r = self.rates
        taxes = r.taxes if t >= r.deferral_until else 0.0
        # most firms never borrow: skip the generator (sum of nothing is 0, as here)
        loan_interest = sum(i for due, _, i in self.loans if due > t) if self.loans else 0
        wage = r.wages if self.is_open or t < self.stopped_since + r.pay_period else r.allowance  # _wage, inlined
        return wage + r.rent + r.interest + r.other + taxes + loan_interest

    def _next_break(self, t: float) -> float:
        """First breakpoint strictly after ``t`` (inf if none)."""
        r = self.rates
        nxt = INF
        if not self.is_open:
            wage_end = self.stopped_since + r.pay_period
            if wage_end > t:
                nxt = wage_end
        if t < r.deferral_until < nxt:
            nxt = r.deferral_until
        for due, _, _ in self.loans:
            if t < due < nxt:
                nxt = due
        return nxt

    def _jump(self, b: float, deferred: float) -> tuple[float, float, float]:
        """Change of balance at breakpoint ``b``: (total, taxes repaid, principal repaid)."""
        taxes = deferred if (b == self.rates.deferral_until and self.rates.repay_deferred) else 0.0
        principal = sum(p for due, p, _ in self.loans if due == b)
        return -(taxes + principal), taxes, principal

    # -- booking ----------------------------------------------------------------

    def advance(self, now: float) -> None:
        """Book every flow and jump from the last update up to ``now`` (jumps at ``now`` included)."""
        while True:
            b = self._next_break(self.t)
            end = min(b, now)
            self._book(end)
            if b > now:
                return
            self._cross(b)

    def _book(self, end: float) -> None:
        dt = end - self.t
        if dt <= 0:
            return
        t0 = self.t
        income = self.income_rate * dt
        relief = self.relief_rate * dt
        cost = self._cost_rate(t0) * dt
        if t0 < self.rates.deferral_until:
            self.deferred += self.rates.taxes * dt
        self.income += income
        self.relief += relief
        self.costs += cost
        self.balance += income + relief - cost
        self.t = end

    def _cross(self, b: float) -> None:
        jump, taxes, principal = self._jump(b, self.deferred)
        if taxes:
            self.deferred = 0.0
            self.taxes_repaid += taxes
        if principal:
            self.repayments += principal
        self.balance += jump
        self.t = b

    def receive_relief(self, now: float, amount: float) -> None:
        self.advance(now)
        self.balance += amount
        self.relief += amount

    def take_loan(self, now: float, amount: float, annual_rate: float, term_days: float) -> None:
        """Principal now; interest runs as a cost until the term ends, the principal is paid back then."""
        self.advance(now)
        self.balance += amount
        self.loans_in += amount
        self.loans.append((now + term_days, amount, amount * annual_rate / 365.0))

    def owed_after(self, horizon: float) -> tuple[float, float]:
        """Principal and interest of loans still due after ``horizon`` (recorded, not ignored)."""
        principal = sum(p for due, p, _ in self.loans if due > horizon)
        interest = sum(i * (due - horizon) for due, _, i in self.loans if due > horizon)
        return principal, interest

    # -- looking ahead ----------------------------------------------------------

    def slope_now(self) -> float:
        return self.income_rate + self.relief_rate - self._cost_rate(self.t)

    def time_to_reach(self, level: float) -> float:
        """Earliest time >= self.t at which the balance falls to ``level`` on the present path (inf if never)."""
        balance = self.balance
        if balance <= level:
            return self.t
        t = self.t
        deferred = self.deferred
        gain = self.income_rate + self.relief_rate
        while True:
            b = self._next_break(t)
            slope = gain - self._cost_rate(t)
            if slope < 0 and (b == INF or balance + slope * (b - t) <= level):
                return t + (balance - level) / -slope
            if b == INF:
                return INF
            if t < self.rates.deferral_until:
                deferred += self.rates.taxes * (b - t)
            balance += slope * (b - t)
            jump, taxes, _ = self._jump(b, deferred)
            if taxes:
                deferred = 0.0
            balance += jump
            if balance <= level:
                return b
            t = b
