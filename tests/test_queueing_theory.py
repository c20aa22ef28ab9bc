"""The approval office's queue against queueing theory (M/M/1, M/M/c, Cobham, Little).

The harness drives :class:`sim.model.servers.ServicePoint` exactly as
``Enterprise.review_rounds`` does (``yield office.request(review_days, priority)``,
the event's value is the wait), with Poisson arrivals and exponential review
times. Driving the whole model instead would not give Poisson arrivals: an
application arrives after a preparation time counted from day 0, so arrivals
are a burst, not a stationary process.

Estimates come from independent replications (fixed seeds from one
SeedSequence), each a long run with a warm-up discarded; the tolerance is 3
standard errors of the mean over replications (a correct queue passes with
probability ≈ 99.7 %; the seeds are fixed, so the outcome is deterministic),
plus a small allowance for the remaining start-up bias stated per test.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import simpy

from sim.model.servers import ServicePoint

SEED = 20200203


# -- theory --------------------------------------------------------------------

def erlang_c(servers: int, offered: float) -> float:
    """Probability that an arrival waits in M/M/c (offered load a = λ/μ < c)."""
    rho = offered / servers
    terms = sum(offered**k / math.factorial(k) for k in range(servers))
    top = offered**servers / math.factorial(servers) / (1.0 - rho)
    return top / (terms + top)


def mmc_wait(servers: int, lam: float, mu: float) -> float:
    """Mean wait in queue, Wq = C(c, a) / (cμ − λ)."""
    return erlang_c(servers, lam / mu) / (servers * mu - lam)


def cobham_waits(servers: int, lams: list[float], mu: float) -> list[float]:
    """Mean wait per class, non-preemptive priority M/M/c with a common service rate.

    W_k = C(c, a) / (cμ (1 − σ_{k−1})(1 − σ_k)), σ_k = Σ_{i≤k} λ_i / (cμ), class 0 first.
    """
    c_wait = erlang_c(servers, sum(lams) / mu)
    out = []
    sigma_prev = 0.0
    for lam in lams:
        sigma = sigma_prev + lam / (servers * mu)
        out.append(c_wait / (servers * mu * (1.0 - sigma_prev) * (1.0 - sigma)))
        sigma_prev = sigma
    return out


# -- harness -------------------------------------------------------------------

@dataclass
class QueueRun:
    waits: list[list[float]]  # per class, customers arriving after the warm-up
    mean_queue_length: float  # ServicePoint's time-weighted Lq over [0, T]
    queue_area: float
    arrivals: int
    waits_all: float  # Σ waits of every arrival up to T (unfinished waits counted up to T)
    horizon: float


def run_queue(servers: int, lams: list[float], mean_review: float, horizon: float, warmup: float,
              seed: np.random.SeedSequence, point: Callable[..., ServicePoint] = ServicePoint) -> QueueRun:
    """One replication: Poisson arrivals per priority class at one approval office."""
    env = simpy.Environment()
    office = point(env, "approval:test", servers)
    streams = [np.random.default_rng(s) for s in seed.spawn(2 * len(lams))]
    waits: list[list[float]] = [[] for _ in lams]

    def application(k: int, review: float) -> Generator[simpy.Event, Any, None]:
        arrived = env.now
        wait = yield office.request(review, k)  # as Enterprise.review_rounds does
        if arrived >= warmup:
            waits[k].append(wait)

    def source(k: int, lam: float) -> Generator[simpy.Event, Any, None]:
        gaps, reviews = streams[2 * k], streams[2 * k + 1]
        while True:
            yield env.timeout(gaps.exponential(1.0 / lam))
            env.process(application(k, reviews.exponential(mean_review)))

    for k, lam in enumerate(lams):
        env.process(source(k, lam))
    env.run(until=horizon)
    stats = office.stats()
    # waits of every arrival up to T: those whose service started (the office's own sum) plus,
    # for those still queued at T, the wait so far (read from the queue's entries)
    still_waiting = sum(horizon - entry[2] for entry in office._queue)
    return QueueRun(waits=waits, mean_queue_length=stats["mean_queue_length"], queue_area=stats["mean_queue_length"] * horizon,
                    arrivals=int(stats["arrivals"]), waits_all=office.wait_sum + still_waiting, horizon=horizon)


def replicate(n: int, servers: int, lams: list[float], mean_review: float, horizon: float, warmup: float,
              point: Callable[..., ServicePoint] = ServicePoint) -> list[QueueRun]:
    return [run_queue(servers, lams, mean_review, horizon, warmup, s, point)
            for s in np.random.SeedSequence(SEED).spawn(n)]


def assert_matches_theory(estimates: list[float], theory: float, bias_allowance: float = 0.0, what: str = "") -> None:
    """Mean of independent replication estimates within 3 SE (+ stated bias allowance) of theory."""
    x = np.asarray(estimates, dtype=float)
    mean = float(x.mean())
    se = float(x.std(ddof=1) / math.sqrt(len(x)))
    tol = 3.0 * se + bias_allowance
    assert abs(mean - theory) <= tol, (
        f"{what}: simulated {mean:.4f} ± {se:.4f} (SE over {len(x)} replications), theory {theory:.4f}, "
        f"|difference| {abs(mean - theory):.4f} > tolerance {tol:.4f}")


class DoubledReview(ServicePoint):
    """A faulty office that takes twice the requested reviewer time (a test double)."""

    __slots__ = ()

    def request(self, duration: float, priority: int = 0) -> simpy.Event:
        return super().request(2.0 * duration, priority)


class IgnoresPriority(ServicePoint):
    """A faulty office that serves every class first come, first served (a test double)."""

    __slots__ = ()

    def request(self, duration: float, priority: int = 0) -> simpy.Event:
        return super().request(duration, 0)


# -- tests -----------------------------------------------------------------------

# M/M/3 at ρ = 0.8: relaxation time of order 1/(cμ(1−√ρ)²) ≈ 30 days, so a
# 200-day warm-up leaves a start-up bias far below the SE; allowance 0.
MMC = {"servers": 3, "lams": [2.4], "mean_review": 1.0, "horizon": 2200.0, "warmup": 200.0}


def _mean_waits(runs: list[QueueRun], k: int = 0) -> list[float]:
    return [float(np.mean(r.waits[k])) for r in runs]


def test_mmc_mean_wait_matches_erlang_c() -> None:
    runs = replicate(16, **MMC)  # type: ignore[arg-type]
    assert_matches_theory(_mean_waits(runs), mmc_wait(3, 2.4, 1.0), what="M/M/3 Wq")


def test_mm1_mean_wait_matches_theory() -> None:
    # M/M/1 at ρ = 0.6: Wq = ρ/(μ − λ); relaxation ≈ 1/(1−√ρ)² ≈ 20 days ≪ 300-day warm-up.
    # (At ρ ≥ 0.7 the per-run means are so skewed that 16 runs estimate their SE poorly.)
    runs = replicate(20, servers=1, lams=[0.6], mean_review=1.0, horizon=3300.0, warmup=300.0)
    assert_matches_theory(_mean_waits(runs), 0.6 / (1.0 - 0.6), what="M/M/1 Wq")


def test_priority_classes_match_cobham() -> None:
    # Three classes on two reviewers, ρ = 0.75; class 0 is served first (lower priority number).
    lams = [0.4, 0.6, 0.5]
    runs = replicate(16, servers=2, lams=lams, mean_review=1.0, horizon=2200.0, warmup=200.0)
    theory = cobham_waits(2, lams, 1.0)
    for k in range(len(lams)):
        assert_matches_theory(_mean_waits(runs, k), theory[k], what=f"priority class {k} Wq")
    assert theory[0] < theory[1] < theory[2]


def test_littles_law_on_the_queue() -> None:
    runs = replicate(8, **MMC)  # type: ignore[arg-type]
    for r in runs:
        # Sample-path Little's law, exact for any run: area under Lq = Σ waits up to T,
        # i.e. L = λ̂ W with λ̂ = arrivals/T and W the mean wait of those arrivals.
        lam_hat = r.arrivals / r.horizon
        w_hat = r.waits_all / r.arrivals
        assert r.mean_queue_length == pytest.approx(lam_hat * w_hat, rel=1e-9)
    # and in expectation, Lq = λ Wq (Erlang C); the start-up transient over [0, 200]
    # lowers Lq by at most its share 200/2200 of the time, so allow 10 % of the theory.
    theory = 2.4 * mmc_wait(3, 2.4, 1.0)
    assert_matches_theory([r.mean_queue_length for r in runs], theory, bias_allowance=0.1 * theory,
                          what="M/M/3 Lq (time-weighted)")


@pytest.mark.slow
def test_checks_catch_an_office_that_doubles_review_times() -> None:
    """The same assertion helper rejects a ServicePoint that doubles the reviewer time."""
    runs = replicate(16, point=DoubledReview, **MMC)  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match="M/M/3 Wq"):
        assert_matches_theory(_mean_waits(runs), mmc_wait(3, 2.4, 1.0), what="M/M/3 Wq")
    runs1 = replicate(16, servers=1, lams=[0.35], mean_review=1.0, horizon=3300.0, warmup=300.0,
                      point=DoubledReview)
    with pytest.raises(AssertionError):
        assert_matches_theory(_mean_waits(runs1), 0.35 / (1.0 - 0.35), what="M/M/1 Wq")


@pytest.mark.slow
def test_checks_catch_an_office_that_ignores_priorities() -> None:
    """The priority-class check rejects a ServicePoint that serves first come, first served: every class
    then waits the M/M/2 Wq (1.29 days at ρ = 0.75), three times the first class's Cobham wait (0.40)."""
    lams = [0.4, 0.6, 0.5]
    runs = replicate(16, servers=2, lams=lams, mean_review=1.0, horizon=2200.0, warmup=200.0, point=IgnoresPriority)
    with pytest.raises(AssertionError, match="priority class 0 Wq"):
        assert_matches_theory(_mean_waits(runs, 0), cobham_waits(2, lams, 1.0)[0], what="priority class 0 Wq")


def test_erlang_c_reduces_to_mm1() -> None:
    # Theory cross-check: for c = 1 the Erlang C probability of waiting is ρ.
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    assert mmc_wait(1, 0.7, 1.0) == pytest.approx(0.7 / 0.3)
    assert cobham_waits(1, [0.7], 1.0)[0] == pytest.approx(0.7 / 0.3)
