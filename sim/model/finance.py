"""Cash of an enterprise: piecewise linear between events, crossings computed.

Cash changes at a rate ``income − cost(t)`` where income is
``capacity × revenue × margin`` (constant between events) and cost is the
fixed cost (scaled down while the firm is closed), lowered by the relief measures: cheaper power throughout, and tax
deferred until ``tax_deferral_until_day`` (one break in the cost rate). Lump
sums (loans, refunds, subsidies) jump the balance. The moment cash reaches a
level (zero: failure; the stress level: a loan intention) is solved for, not
polled. Every yuan in or out is booked, so start + inflows − outflows = end.
"""

from __future__ import annotations

import math

from sim.scenario.sections import Relief

INF = math.inf


class CashAccount:
    """Balance, rates and books of one enterprise."""

    __slots__ = ("balance", "t", "income_rate", "cost_scale", "cost_before", "cost_after", "break_day",
                 "start", "income", "costs", "lump_sums")

    def __init__(self, start: float, fixed_cost_per_day: float, relief: Relief) -> None:
        self.balance = start
        self.start = start
        self.t = 0.0
        self.income_rate = 0.0
        self.cost_scale = 1.0  # the enterprise lowers it while closed
        after = fixed_cost_per_day * (1.0 - relief.power_cost_share * relief.power_cost_cut)
        self.cost_after = after
        self.cost_before = after - fixed_cost_per_day * relief.tax_deferral_share
        self.break_day = relief.tax_deferral_until_day
        self.income = 0.0
        self.costs = 0.0
        self.lump_sums = 0.0

    def cost_rate(self, t: float) -> float:
        return self.cost_scale * (self.cost_before if t < self.break_day else self.cost_after)

    def advance(self, now: float) -> None:
        """Book income and costs from the last update to ``now``."""
        t0 = self.t
        if now <= t0:
            return
        income = self.income_rate * (now - t0)
        b = self.break_day
        before, after = self.cost_scale * self.cost_before, self.cost_scale * self.cost_after
        if now <= b:
            cost = before * (now - t0)
        elif t0 >= b:
            cost = after * (now - t0)
        else:
            cost = before * (b - t0) + after * (now - b)
        self.income += income
        self.costs += cost
        self.balance += income - cost
        self.t = now

    def deposit(self, now: float, amount: float) -> None:
        self.advance(now)
        self.balance += amount
        self.lump_sums += amount

    def time_to_reach(self, level: float) -> float:
        """Earliest time >= self.t at which the balance falls to ``level`` (inf if never)."""
        if self.balance <= level:
            return self.t
        gap = self.balance - level
        t0, b = self.t, self.break_day
        if t0 < b:
            slope = self.income_rate - self.cost_scale * self.cost_before
            if slope < 0 and t0 + gap / -slope <= b:
                return t0 + gap / -slope
            gap += slope * (b - t0)
            t0 = b
            if gap <= 0:
                return b
        slope = self.income_rate - self.cost_scale * self.cost_after
        if slope >= 0:
            return INF
        return t0 + gap / -slope
