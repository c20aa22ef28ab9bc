"""Workers returning to their posts (复岗).

A firm calls its workers back when it is approved. Local workers are back a
few days after the restart. Non-local workers are split among their origins
(``workforce.origins``): each origin's travel restrictions end on their own
date (Hubei's on 25 March, Wuhan's on 8 April 2020), and from the later of the
call and that date a worker needs a long-tailed delay to find transport and
settle household matters, then sits out quarantine. A firm with a group of
workers at one origin may carry them point to point (点对点), which shortens
the delay and costs money per worker. Non-local workers who never come back
leave vacancies; recruits fill them, sooner and more completely for firms that
post them online.

One firm's workers from one origin come back in a few cohorts, at stratified
quantiles of the return delay: one event per cohort, not one per worker.
Capacity follows the workers present (see :meth:`Enterprise.update`).
"""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING

from sim.model import cadres

if TYPE_CHECKING:
    from sim.model.enterprise import Enterprise
    from sim.scenario.sections import Origin

SIZE_NAMES = ("above_scale", "sme", "micro")


def quarantine_days(ent: Enterprise) -> float:
    policy = ent.city.sc.policies.workforce
    if policy.quarantine_days_override is not None:
        return policy.quarantine_days_override
    return ent.city.sc.workforce.quarantine_days


def travel_ready(ent: Enterprise, start: float) -> float:
    """The day non-local workers are called back (the approval, day 0 for firms already running).

    Their journeys start from it, once their origin lets them leave; see :func:`schedule_return`.
    """
    return start


def uses_point_to_point(ent: Enterprise, group: int) -> bool:
    """Whether the firm carries its ``group`` returning workers from one origin point to point.

    Charters were organised for sizeable groups from one place, so the decision is per origin.
    """
    policy = ent.city.sc.policies.workforce
    return policy.point_to_point and group >= policy.point_to_point_min_workers


def uses_job_postings(ent: Enterprise) -> bool:
    """Whether a firm with vacancies posts them on the city's online platform.

    The single place where a firm's use of postings is decided; a firm with a liaison gets its help
    writing them, which takes the liaison's hours (see :func:`schedule_return`).
    """
    policy = ent.city.sc.policies.workforce
    u = ent.u("postings_uptake")  # drawn whatever the policy, so that variants keep common random numbers
    if not policy.online_job_postings:
        return False
    return u < policy.postings_uptake.get(SIZE_NAMES[ent.size_class], 0.0)


def split_by_origin(n: int, shares: list[float], u: float) -> list[int]:
    """Split ``n`` workers among origins by systematic sampling: counts within one of n·share, sum n.

    Worker j (j = 0 … n−1) is placed at (j + u)/n on the cumulative shares, so a firm with one
    non-local worker has it from a small origin with that origin's probability, not never.
    """
    total = sum(shares)
    counts = [0] * len(shares)
    if n <= 0 or total <= 0:
        return counts
    cum = 0.0
    bounds = []
    for s in shares:
        cum += s / total
        bounds.append(cum)
    k = 0
    for j in range(n):
        x = (j + u) / n
        while k < len(bounds) - 1 and x >= bounds[k]:
            k += 1
        counts[k] += 1
    return counts


def cohort_sizes(m: int, parts: int) -> list[int]:
    """``m`` workers in ``min(parts, m)`` nearly equal cohorts."""
    k = min(parts, m)
    if k <= 0:
        return []
    base, extra = divmod(m, k)
    return [base + (1 if j < extra else 0) for j in range(k)]


def _day(ent: Enterprise, date: object) -> float:
    start = ent.city.sc.start_date
    return max(0.0, float((date - start).days))  # type: ignore[operator]


def origin_cohorts(ent: Enterprise, origin: Origin, m: int, called: float) -> list[tuple[float, int]]:
    """(day back at work, workers) for the firm's ``m`` returning workers from ``origin``."""
    city = ent.city
    policy = city.sc.policies.workforce
    leave = _day(ent, origin.restrictions_end)
    factor = 1.0
    if uses_point_to_point(ent, m):
        factor = policy.point_to_point_travel_factor
        if origin.point_to_point_from is not None:
            leave = min(leave, _day(ent, origin.point_to_point_from))
        city.outcomes["point_to_point_workers"][ent.i] += m
        cost = city.outcomes["point_to_point_cost"]
        cost[ent.i] = (0.0 if math.isnan(cost[ent.i]) else cost[ent.i]) + m * origin.point_to_point_cost_per_worker
    depart = max(called, leave)
    quarantine = quarantine_days(ent)
    v = ent.u(f"return:{origin.name}")
    sizes = cohort_sizes(m, city.sc.workforce.return_cohorts)
    k = len(sizes)
    # stratified quantiles: cohort j stands for the workers between quantiles j/k and (j+1)/k
    return [(depart + factor * origin.return_days.quantile((j + v) / k) + quarantine, size)
            for j, size in enumerate(sizes)]


def schedule_return(ent: Enterprise, now: float) -> None:
    """At the first restart: plan the cohorts of returning and hired workers."""
    city = ent.city
    sc = city.sc
    wf = sc.workforce
    policy = sc.policies.workforce
    nonlocal_n = int(round(ent.workers * float(city.pop.nonlocal_share[ent.i])))
    local_n = ent.workers - nonlocal_n
    returning = int(round(nonlocal_n * (1.0 - wf.attrition_share)))
    vacancies = nonlocal_n - returning
    already = city.pop.already_running[ent.i]
    t_local = now if already else now + wf.local_return_days.quantile(ent.u("local_return"))
    cohorts: list[tuple[float, int]] = [(t_local, local_n)]
    called = ent.travel_ready if math.isfinite(ent.travel_ready) else now
    counts = split_by_origin(returning, [o.share for o in wf.origins], ent.u("origin_mix"))
    for origin, m in zip(wf.origins, counts, strict=True):
        if m:
            cohorts.extend(origin_cohorts(ent, origin, m, called))
    if vacancies:
        search = wf.recruitment_days.quantile(ent.u("recruitment"))
        help_done = None
        if uses_job_postings(ent):
            search *= policy.postings_recruitment_factor
            hires = int(round(vacancies * policy.postings_fill_share))
            city.outcomes["postings"][ent.i] = math.ceil(vacancies / wf.hires_per_posting)
            if ent.liaison is not None:  # the liaison helps write the postings, on its working day
                hours = sc.cadres.liaisons.posting_help_hours.quantile(ent.u("posting_help"))
                help_done = cadres.ask_liaison(ent, hours)
        else:
            hires = int(round(vacancies * policy.recruitment_fill_share))
        if help_done is None:
            cohorts.append((now + search, hires))
            city.outcomes["hires"][ent.i] = hires if now + search < city.horizon else 0
        else:
            help_done.callbacks.append(partial(_search_after_help, ent, search, hires))
    immediate = sum(n for t, n in cohorts if t <= now)
    if immediate:
        ent.present = min(ent.workers, ent.present + immediate)
    for t, n in cohorts:
        if t > now and n:
            city.timers.at(t, partial(ent.workers_arrive, n))


def _search_after_help(ent: Enterprise, search: float, hires: int, _ev: object) -> None:
    """The postings are out (the liaison's help is done): the recruits come ``search`` days later."""
    city = ent.city
    if ent.failed or not hires:
        return
    t = city.env.now + search
    city.outcomes["hires"][ent.i] = hires if t < city.horizon else 0
    city.timers.at(t, partial(ent.workers_arrive, hires))
