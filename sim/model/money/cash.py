"""Cash of an enterprise: piecewise linear between known breakpoints, crossings computed.

Cash changes at a rate ``income + relief − costs`` that is constant between
breakpoints the account knows in advance:

- costs are their components: wages (full while open and in the first pay
  period of a stoppage, then the living allowance), rent, interest on existing
  debt, other fixed costs, taxes, and the interest of loans taken; a closed
  firm pays only part of its taxes and other costs (``closed_taxes``,
  ``closed_other``);
- a relief measure may cut a component for a while (a :class:`Window`: rent
  waived for three months, taxes deferred until a day); a deferred part is
  owed and paid back in one sum when the window ends;
- income is the contribution of production; relief is a share of revenue
  (the power-bill cut on power actually used, so only while producing).

Known jumps: deferred costs paid back when their window ends, a loan's
principal at the end of its term; lump sums (loans, refunds, subsidies) jump
the balance when paid. The moment cash falls to a level (the failure level:
minus the credit line; a loan application ahead of it) is solved for, not
polled. Every yuan is booked, so that

    start + income + relief + loans − costs − repayments − deferred repaid = balance.
"""

from __future__ import annotations

import math
from bisect import bisect_right, insort
from dataclasses import dataclass
from typing import Literal

INF = math.inf
Component = Literal["wages", "rent", "interest", "other", "taxes", "inputs"]
COMPONENTS: tuple[Component, ...] = ("wages", "rent", "interest", "other", "taxes", "inputs")


@dataclass(frozen=True)
class CostRates:
    """A firm's fixed cost per day, by component, and the wage rule of a stoppage."""

    wages: float
    allowance: float  # living allowance after the first pay period of a stoppage
    rent: float
    interest: float
    other: float
    taxes: float
    pay_period: float
    wage_flex: float = 0.0  # share of the wage bill an open firm cuts in proportion to the capacity it leaves idle
    input_premium: float = 0.0  # inputs cost this much more than normal (a share of the price) ...
    premium_until: float = 0.0  # ... until this day
    closed_taxes: float = 1.0  # share of the taxes a closed firm still pays (taxes on sales and profit stop) ...
    closed_other: float = 1.0  # ... and of its other costs (power, upkeep, transport of a running plant stop)


@dataclass(frozen=True)
class Window:
    """From day ``start`` to ``end`` a cost component is paid at ``factor`` of its rate.

    With ``deferred``, the part not paid is owed and, with ``repaid``, paid back in one sum at
    ``end`` (a deferral moves a due date, it does not forgive); otherwise it is relieved for good.
    """

    component: Component
    factor: float
    start: float
    end: float
    deferred: bool = False
    repaid: bool = True


_FACTORS: dict[tuple[Window, ...], tuple[tuple[float, ...], ...]] = {}


def _segment_factors(windows: tuple[Window, ...], edges: tuple[float, ...]) -> tuple[tuple[float, ...], ...]:
    """For each segment between consecutive ``edges`` (index ``bisect_right(edges, t)``), the factor every
    cost component is paid at there, in the order wages, rent, interest, other, taxes, inputs: the product of
    the factors of the windows covering it. Accounts with the same windows share one table."""
    table = _FACTORS.get(windows)
    if table is None:
        order = ("wages", "rent", "interest", "other", "taxes", "inputs")
        rows = []
        for k in range(len(edges) + 1):
            t = edges[k - 1] if k else -INF  # the segment's start stands for the whole segment
            row = [1.0] * len(order)
            for w in windows:
                if w.start <= t < w.end:
                    row[order.index(w.component)] *= w.factor
            rows.append(tuple(row))
        if len(_FACTORS) > 4096:  # a long sweep over relief settings: forget the old ones
            _FACTORS.clear()
        table = _FACTORS.setdefault(windows, tuple(rows))
    return table


class CashAccount:
    """Balance, rates, known breakpoints and books of one enterprise."""

    __slots__ = ("balance", "t", "rates", "windows", "lo", "hi", "edges", "ends", "owed", "waived", "is_open",
                 "stopped_since", "income_rate", "relief_rate", "loans", "start", "income", "relief", "costs",
                 "loans_in", "repayments", "deferred_repaid", "pending", "activity", "input_rate", "factors")

    def __init__(self, start: float, rates: CostRates, windows: tuple[Window, ...] = ()) -> None:
        self.balance = start
        self.start = start
        self.t = 0.0
        self.rates = rates
        self.windows = windows
        # Most bookings fall outside every window (after the tax deferral, say): the span the windows
        # cover and their edges, kept apart, let those skip the windows at once.
        self.lo = min((w.start for w in windows), default=INF)
        self.hi = max((w.end for w in windows), default=-INF)
        self.edges = tuple(sorted({w.start for w in windows} | {w.end for w in windows}))
        self.ends = frozenset(w.end for w in windows if w.deferred and w.repaid)
        self.factors = _segment_factors(windows, self.edges)
        self.owed = [0.0] * len(windows)  # deferred and not yet paid back, per window
        self.waived = [0.0] * len(windows)  # relieved for good, per window
        self.is_open = False
        self.activity = 1.0  # capacity in use while open (the wage bill follows it by rates.wage_flex)
        self.input_rate = 0.0  # inputs bought a day, at their normal price (a cost; a window may raise the price)
        self.stopped_since = 0.0  # a stoppage since day 0 (the lockdown)
        self.income_rate = 0.0
        self.relief_rate = 0.0
        self.loans: list[tuple[float, float, float]] = []  # (due day, principal, interest per day)
        # changes of the income rate that fall due later (revenue paid by customers after their terms,
        # inputs paid to suppliers after theirs): (day, change), in order of the day
        self.pending: list[tuple[float, float]] = []
        self.income = 0.0
        self.relief = 0.0
        self.costs = 0.0
        self.loans_in = 0.0
        self.repayments = 0.0
        self.deferred_repaid = 0.0

    @property
    def deferred(self) -> float:
        """Costs deferred and not yet paid back."""
        return sum(self.owed)

    # -- the rate and the breakpoints ------------------------------------------

    def change_income(self, at: float, delta: float) -> None:
        """From day ``at`` on, the income rate changes by ``delta`` (now, if ``at`` is not later than now)."""
        if at <= self.t:
            self.income_rate += delta
            return
        pending = self.pending
        if not pending or pending[-1][0] <= at:
            pending.append((at, delta))
        else:
            insort(pending, (at, delta))

    def set_open(self, now: float, is_open: bool) -> None:
        """Open/closed changes the wage rule; the caller has advanced to ``now``."""
        if self.is_open and not is_open:
            self.stopped_since = now
        self.is_open = is_open

    def _wage(self, t: float) -> float:
        r = self.rates
        if self.is_open:
            return r.wages * (1.0 - r.wage_flex * (1.0 - self.activity))
        if t < self.stopped_since + r.pay_period:
            return r.wages
        return r.allowance

    def _cost_rate(self, t: float) -> float:
        """Costs paid per day on the segment starting at ``t`` (deferred and relieved parts excluded)."""
        r = self.rates
        # most firms never borrow: skip the generator (sum of nothing is 0, as here)
        loan_interest = sum(i for due, _, i in self.loans if due > t) if self.loans else 0
        if self.is_open:
            wage = r.wages * (1.0 - r.wage_flex * (1.0 - self.activity)) if r.wage_flex else r.wages
            other, taxes = r.other, r.taxes
        else:
            wage = r.wages if t < self.stopped_since + r.pay_period else r.allowance
            other, taxes = r.other * r.closed_other, r.taxes * r.closed_taxes
        inputs = self.input_rate * (1.0 + r.input_premium) if t < r.premium_until else self.input_rate
        if not self.lo <= t < self.hi:
            return wage + r.rent + r.interest + other + taxes + loan_interest + inputs
        f_wage, f_rent, f_interest, f_other, f_taxes, f_inputs = self.factors[bisect_right(self.edges, t)]
        return (wage * f_wage + r.rent * f_rent + r.interest * f_interest + other * f_other + taxes * f_taxes
                + loan_interest + inputs * f_inputs)

    def _component(self, c: Component, t: float) -> float:
        """The full rate of a component on the segment starting at ``t`` (the wage rule applied)."""
        r = self.rates
        if c == "taxes":
            return r.taxes if self.is_open else r.taxes * r.closed_taxes
        if c == "rent":
            return r.rent
        if c == "wages":
            return self._wage(t)
        if c == "inputs":
            return self.input_rate * (1.0 + r.input_premium) if t < r.premium_until else self.input_rate
        if c == "interest":
            return r.interest
        return r.other if self.is_open else r.other * r.closed_other

    def _next_break(self, t: float, first: int = 0) -> float:
        """First breakpoint strictly after ``t`` (inf if none); ``first``: pending changes before it are past."""
        r = self.rates
        nxt = INF
        if not self.is_open:
            wage_end = self.stopped_since + r.pay_period
            if wage_end > t:
                nxt = wage_end
        if t < r.premium_until < nxt:
            nxt = r.premium_until
        for edge in self.edges:  # sorted: the first one after t
            if edge > t:
                if edge < nxt:
                    nxt = edge
                break
        for due, _, _ in self.loans:
            if t < due < nxt:
                nxt = due
        pending = self.pending
        for k in range(first, len(pending)):  # in order: the first one after t
            at = pending[k][0]
            if at > t:
                if at < nxt:
                    nxt = at
                break
        return nxt

    def _jump(self, b: float, owed: list[float]) -> tuple[float, float, float]:
        """Change of balance at breakpoint ``b``: (total, deferred costs repaid, principal repaid)."""
        repaid = 0.0
        if b in self.ends:
            for k, w in enumerate(self.windows):
                if b == w.end and w.deferred and w.repaid:
                    repaid += owed[k]
        principal = sum(p for due, p, _ in self.loans if due == b) if self.loans else 0.0
        return -(repaid + principal), repaid, principal

    def _accrue(self, owed: list[float], t0: float, dt: float, waived: list[float] | None = None) -> None:
        """The part of a component each window covering ``t0`` leaves unpaid over ``dt`` days: owed when
        deferred, else (``waived`` given) relieved for good. The caller checks ``lo <= t0 < hi``."""
        for k, w in enumerate(self.windows):
            if w.start <= t0 < w.end:
                c = w.component
                rate = self._component(c, t0)
                if w.deferred:
                    owed[k] += rate * (1.0 - w.factor) * dt
                elif waived is not None:
                    waived[k] += rate * (1.0 - w.factor) * dt

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
        if self.lo <= t0 < self.hi:
            self._accrue(self.owed, t0, dt, self.waived)
        self.income += income
        self.relief += relief
        self.costs += cost
        self.balance += income + relief - cost
        self.t = end

    def _cross(self, b: float) -> None:
        pending = self.pending
        while pending and pending[0][0] <= b:
            self.income_rate += pending.pop(0)[1]
        jump, repaid, principal = self._jump(b, self.owed)
        if repaid:
            for k, w in enumerate(self.windows):
                if b == w.end and w.deferred and w.repaid:
                    self.owed[k] = 0.0
            self.deferred_repaid += repaid
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

    def time_to_reach(self, level: float, until: float = INF) -> float:
        """Earliest time >= self.t at which the balance falls to ``level`` on the present path (inf if never);
        with ``until``, inf too when it would not fall to it before then (the path after it is not followed)."""
        balance = self.balance
        if balance <= level:
            return self.t
        t = self.t
        repays = bool(self.ends)  # only a deferral paid back makes a jump that depends on what is owed
        owed = list(self.owed) if repays else self.owed
        gain = self.income_rate + self.relief_rate
        k = 0  # pending changes already applied on this path
        pending = self.pending
        while True:
            b = self._next_break(t, k)
            slope = gain - self._cost_rate(t)
            if slope < 0 and (b == INF or balance + slope * (b - t) <= level):
                return t + (balance - level) / -slope
            if b >= until:  # b == INF included
                return INF
            if repays and self.lo <= t < self.hi:
                self._accrue(owed, t, b - t)
            balance += slope * (b - t)
            jump, repaid, _ = self._jump(b, owed)
            if repaid:
                for w_k, w in enumerate(self.windows):
                    if b == w.end and w.deferred and w.repaid:
                        owed[w_k] = 0.0
            while k < len(pending) and pending[k][0] <= b:
                gain += pending[k][1]
                k += 1
            balance += jump
            if balance <= level:
                return b
            t = b
