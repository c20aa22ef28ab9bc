"""Outbreak incidents at open enterprises.

The hazard of an open enterprise is
``hazard_per_worker × workers present × prevalence(t) × (1 − prevention)``,
with prevalence an input series (linear between points). Each enterprise draws
an exposure threshold E ~ Exp(1) and has an incident when its cumulative
hazard reaches E. Between events the hazard is a constant times prevalence, so
the incident time follows from the cumulative prevalence curve by inversion:
no daily polling.
"""

from __future__ import annotations

import bisect
import math

from sim.scenario.sections import Outbreak

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
