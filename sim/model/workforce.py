"""Workers returning to their posts (复岗).

Workers come back in three cohorts, each one event: local workers a few days
after the restart; non-local workers once they have travelled (point-to-point
transport shortens it) and sat out quarantine, counted from the approval;
recruits who fill the posts of non-local workers who never come back (online
job postings shorten the search). Capacity follows the workers present.
"""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model.enterprise import Enterprise


def quarantine_days(ent: Enterprise) -> float:
    policy = ent.city.sc.policies.workforce
    if policy.quarantine_days_override is not None:
        return policy.quarantine_days_override
    return ent.city.sc.workforce.quarantine_days


def travel_ready(ent: Enterprise, start: float) -> float:
    """When non-local workers can be at work if they start coming back at ``start``."""
    sc = ent.city.sc
    travel = sc.workforce.travel_days.quantile(ent.u("travel"))
    if sc.policies.workforce.point_to_point:
        travel *= sc.policies.workforce.point_to_point_travel_factor
    return start + travel + quarantine_days(ent)


def schedule_return(ent: Enterprise, now: float) -> None:
    """At the first restart: plan the cohorts of returning and hired workers."""
    city = ent.city
    sc = city.sc
    policy = sc.policies.workforce
    nonlocal_n = int(round(ent.workers * float(city.pop.nonlocal_share[ent.i])))
    local_n = ent.workers - nonlocal_n
    returning = int(round(nonlocal_n * (1.0 - sc.workforce.attrition_share)))
    vacancies = nonlocal_n - returning
    already = city.pop.already_running[ent.i]
    t_local = now if already else now + sc.workforce.local_return_days.quantile(ent.u("local_return"))
    cohorts: list[tuple[float, int]] = [(t_local, local_n), (max(now, ent.travel_ready), returning)]
    if vacancies:
        hires = int(round(vacancies * policy.recruitment_fill_share))
        search = sc.workforce.recruitment_days.quantile(ent.u("recruitment"))
        if policy.online_job_postings:
            search *= policy.postings_recruitment_factor
            city.outcomes["postings"][ent.i] = math.ceil(vacancies / sc.workforce.hires_per_posting)
        cohorts.append((now + search, hires))
        city.outcomes["hires"][ent.i] = hires if now + search < city.horizon else 0
    immediate = sum(n for t, n in cohorts if t <= now)
    if immediate:
        ent.present = min(ent.workers, ent.present + immediate)
    for t, n in cohorts:
        if t > now and n:
            city.timers.at(t, partial(ent.workers_arrive, n))
