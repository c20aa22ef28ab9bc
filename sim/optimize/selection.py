"""Ranking and selection: the Kim–Nelson fully sequential procedure (KN), with common random numbers.

Kim, S.-H. and Nelson, B. L. (2001), "A fully sequential procedure for
indifference-zone selection in simulation", ACM TOMACS 11(3):251–273. With
k systems, normal observations (common random numbers allowed: the procedure
uses the variance of the *differences* between systems), a first stage of n0
observations, an indifference zone δ and 1 − α, it selects a system whose
true mean is within δ of the best with probability at least 1 − α:

    η = ½ [ (2α / (k − 1))^(−2/(n0 − 1)) − 1 ],   h² = 2η (n0 − 1)
    S²_il = sample variance of X_i − X_l over the first n0 observations
    after r observations, system i (larger is better) leaves if, for some
    surviving l,  X̄_i(r) < X̄_l(r) − max(0, δ/(2r) · (h² S²_il / δ² − r))

One more observation is taken from each survivor until one is left, or
until r = N + 1 with N = max_{i≠l} ⌊h² S²_il / δ²⌋ (then the best mean among
the survivors is chosen, still with the guarantee). A cap on the
replications (``max_n``) below N + 1 ends early without the guarantee, and
the result says so.

Observations may be drawn in batches (``batch`` per survivor at a time, for
a pool of workers): the elimination at r uses only the first r observations,
so drawing ahead changes nothing but the cost.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# draw(systems, start, stop) -> observations start..stop-1 of each system, shape (len(systems), stop - start)
Draw = Callable[[list[int], int, int], np.ndarray]


@dataclass
class Selection:
    """What the procedure chose and how far it went."""

    best: int
    means: list[float]  # each system's mean over the observations it got
    observations: list[int]  # observations per system
    eliminated_at: list[int | None]  # r at which each system left (None: survived)
    guaranteed: bool  # False if the cap on replications stopped it first
    stopped_by: str  # "elimination", "bound" (r = N + 1), "single" or "cap"
    alpha: float
    delta: float
    first_stage: int
    h2: float
    bound: int  # N + 1: the most observations the procedure can need


def kn_constants(k: int, alpha: float, n0: int) -> tuple[float, float]:
    """(η, h²) of the Kim–Nelson procedure."""
    eta = 0.5 * ((2.0 * alpha / (k - 1)) ** (-2.0 / (n0 - 1)) - 1.0)
    return eta, 2.0 * eta * (n0 - 1)


def kim_nelson(draw: Draw, k: int, alpha: float, delta: float, n0: int, max_n: int, minimize: bool = True,
               batch: int = 1) -> Selection:
    """Select the best of ``k`` systems (smallest mean if ``minimize``) with P(within δ of the best) ≥ 1 − α."""
    if k < 1 or n0 < 2 or max_n < n0 or delta <= 0 or not 0 < alpha < 1:
        raise ValueError("kim_nelson needs k ≥ 1, n0 ≥ 2, max_n ≥ n0, δ > 0 and 0 < α < 1")
    sign = -1.0 if minimize else 1.0  # the procedure maximises
    data = [list(row) for row in sign * np.asarray(draw(list(range(k)), 0, n0), dtype=float)]
    if k == 1:
        return Selection(0, [sign * float(np.mean(data[0]))], [n0], [None], True, "single", alpha, delta, n0,
                         0.0, n0)
    _, h2 = kn_constants(k, alpha, n0)
    first = np.array(data, dtype=float)
    diffs = first[:, None, :] - first[None, :, :]
    s2 = diffs.var(axis=2, ddof=1)  # S²_il, symmetric, zero on the diagonal
    bound = int(np.floor(h2 * s2.max() / delta**2)) + 1  # N + 1
    alive = list(range(k))
    eliminated: list[int | None] = [None] * k
    r = n0
    stopped_by = "elimination"
    while True:
        means = {i: float(np.mean(data[i][:r])) for i in alive}
        out = []
        for i in alive:
            for m in alive:
                if m == i:
                    continue
                w = max(0.0, delta / (2 * r) * (h2 * s2[i, m] / delta**2 - r))
                if means[i] < means[m] - w:
                    out.append(i)
                    break
        for i in out:
            eliminated[i] = r
        alive = [i for i in alive if i not in out]
        if len(alive) <= 1:
            break
        if r >= bound:
            stopped_by = "bound"
            break
        if r >= max_n:
            stopped_by = "cap"
            break
        need = [i for i in alive if len(data[i]) <= r]
        if need:
            stop = min(r + max(1, batch), max_n, bound)
            more = sign * np.asarray(draw(need, r, stop), dtype=float)
            for i, row in zip(need, more, strict=True):
                data[i].extend(row.tolist())
        r += 1
    final = {i: float(np.mean(data[i][:r])) for i in alive}
    best = max(alive, key=lambda i: final[i]) if alive else 0
    counts = [min(len(d), r if i in alive else (eliminated[i] or r)) for i, d in enumerate(data)]
    return Selection(best, [sign * float(np.mean(d[:c])) for d, c in zip(data, counts, strict=True)], counts,
                     eliminated, stopped_by != "cap", stopped_by, alpha, delta, n0, h2, bound)


def guarantee_sentence(sel: Selection, label: str, objective: str, unit: str, k: int) -> str:
    """The guarantee (or its absence) in one sentence."""
    confidence = f"{100 * (1 - sel.alpha):.0f} %"
    if sel.stopped_by == "single":
        return (f"{label} is the only candidate on the Pareto front, so there was nothing to select among "
                f"(its {objective} averages {sel.means[sel.best]:.3g}{unit} over {sel.observations[sel.best]} "
                "replications).")
    if not sel.guaranteed:
        return (f"{label} has the best average {objective} of the {k} Pareto candidates after {max(sel.observations)} "
                f"replications, but the selection stopped at the cap on replications before the Kim–Nelson "
                f"procedure could guarantee, with probability {confidence}, that it is within {sel.delta:g}{unit} "
                f"of the best (it would need up to {sel.bound}); raise selection.max_replications or delta.")
    return (f"With probability at least {confidence}, the expected {objective} of {label} is within "
            f"δ = {sel.delta:g}{unit} of the best of the {k} Pareto candidates (Kim–Nelson fully sequential "
            f"selection on common random numbers, {sel.first_stage} first-stage replications, "
            f"{sum(sel.observations)} in all).")


def pcs_tolerance(p: float, trials: int, sigmas: float = 3.0) -> float:
    """``sigmas`` binomial standard errors of a proportion p estimated from ``trials`` trials."""
    return sigmas * math.sqrt(p * (1 - p) / trials)
