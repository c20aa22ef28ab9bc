"""Collecting a run: daily series and summary metrics (DESIGN section 5).

Daily rows are d = 0, 1, …, H. Level series (shares, counts) are the state at
time t = d; flow series (incidents, loans disbursed that day) and time-averaged
series (queue lengths, utilisation) cover the day before, (d−1, d], so row 0
holds zeros for them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.model.records import daily_time_average, level_at_days
from sim.population import SIZE_CLASSES
from sim.results.run_result import RunResult

if TYPE_CHECKING:
    from sim.model.world import City

SUMMARY_COLUMNS: dict[str, str] = {
    "enterprises": "enterprises simulated",
    "restarted_share": "share restarted by the horizon",
    "mean_restart_day": "mean restart day of the restarted",
    "median_restart_day": "median restart day of the restarted",
    "p90_restart_day": "90th percentile restart day of the restarted",
    "mean_full_production_day": "mean day of full production (达产) of those that reached it",
    "median_full_production_day": "median day of full production",
    "p90_full_production_day": "90th percentile day of full production",
    "full_production_share": "share that reached full production",
    "day_resumed_50": "first day the resumption rate (复工率) reached 50% (NaN: never)",
    "day_resumed_90": "first day the resumption rate reached 90% (NaN: never)",
    "resumed_share_end": "resumption rate at the horizon",
    "workers_back_share_end": "workers at post (复岗率) at the horizon",
    "production_index_end": "production index (达产率) at the horizon",
    "failed_share": "share of enterprises that failed",
    "failures": "enterprises that failed",
    "jobs_lost": "jobs of failed enterprises",
    "output_lost": "revenue lost against full capacity, yuan",
    "output_lost_share": "output lost ÷ full-capacity output",
    "failed_before_restart": "enterprises that failed before they ever restarted",
    "failed_after_restart": "enterprises that failed after restarting",
    "failed_share_above_scale": "share of above-scale enterprises that failed",
    "failed_share_sme": "share of SMEs that failed",
    "failed_share_micro": "share of micro enterprises that failed",
    "loan_intentions": "loan applications (intentions), both channels",
    "loans_disbursed": "bank loans disbursed, both channels",
    "loan_amount": "bank loan money disbursed, both channels, yuan",
    "green_loan_intentions": "loan applications in the green channel",
    "green_loans": "loans disbursed through the green channel",
    "green_loan_amount": "loan money disbursed through the green channel, yuan",
    "loan_refusals": "loan applications refused",
    "targeted_loan_amount": "targeted discounted loans (西丰), yuan",
    "relief_yuan": "relief paid in all (refunds, subsidies, power-bill cut), yuan",
    "taxes_repaid": "deferred taxes paid back, yuan",
    "mean_loan_delay": "mean days from intention to disbursement",
    "incidents": "outbreak incidents",
    "cadre_days": "busy cadre-days: hours worked by liaisons and supervisors ÷ hours a day",
    "cadre_days_deployed": "cadres in service × days from the dispatch day to the horizon, busy or not",
    "liaison_busy_share": "liaisons' hours worked ÷ their working hours",
    "supervisor_busy_share": "supervisors' hours worked ÷ their working hours",
    "checkins_done": "liaison check-ins (日检查) done, firm-days",
    "checkins_missed": "liaison check-ins owed but not done for lack of hours, firm-days",
    "prevention_checks_done": "supervisors' daily prevention checks done, firm-days",
    "prevention_checks_missed": "prevention checks owed but not done for lack of hours, firm-days",
    "mean_cadre_wait": "mean days from asking a cadre for a task (visit, inspection, follow-up) to its end",
    "liaison_coverage": "share of enterprises with a liaison (by county: liaison_coverage_<county>)",
    "supervisor_coverage": "share of enterprises with a supervisor (by county: supervisor_coverage_<county>)",
    "mean_rework_rounds": "mean returned applications per applicant",
    "mean_approval_wait": "mean wait in the approval queue, days",
    "reviewer_days": "busy reviewer time of the approval offices, working days",
    "problems": "problems that arrived",
    "mean_problem_days": "mean days to resolve a problem",
    "hires": "workers hired for vacancies",
    "postings": "online job postings",
    "posting_firms": "firms that posted vacancies online",
    "point_to_point_workers": "non-local workers carried back point to point (点对点)",
    "point_to_point_cost": "cost of the point-to-point transport, yuan",
    "events": "simulation events",
}


def _first_day(series: np.ndarray, level: float) -> float:
    hit = np.nonzero(series >= level - 1e-12)[0]
    return float(hit[0]) if len(hit) else math.nan


def _nan_stat(values: np.ndarray, fn: str, q: float = 0.5) -> float:
    v = values[~np.isnan(values)]
    if not len(v):
        return math.nan
    if fn == "mean":
        return float(v.mean())
    return float(np.quantile(v, q))


def daily_series(city: City, firms: Firms) -> dict[str, np.ndarray]:
    """Daily series of the run; shares are of firms (a cohort counts its members)."""
    pop = city.pop
    days = int(math.ceil(city.horizon))
    n = max(pop.firms, 1)
    members = pop.members
    firm_workers = pop.workers.astype(np.int64) * members  # a cohort's workers in all its firms
    total_workers = max(int(firm_workers.sum()), 1)
    log = city.log
    t = np.asarray(log.times, dtype=float)
    ents = np.asarray(log.ents, dtype=np.int64)
    d_open = np.asarray(log.d_open, dtype=float)
    d_workers = np.asarray(log.d_workers, dtype=float)
    d_prod = np.asarray(log.d_prod, dtype=float)
    if pop.has_cohorts and len(ents):  # a cohort's change is a change of each of its firms
        w = members[ents].astype(float)
        d_open, d_workers, d_prod = d_open * w, d_workers * w, d_prod * w
    out: dict[str, np.ndarray] = {"day": np.arange(days + 1, dtype=float)}
    out["resumed_share"] = level_at_days(t, d_open, days) / n
    restart = firms.outcomes["restart_day"]
    r = restart[~np.isnan(restart)]
    out["restarted_share"] = level_at_days(r, np.ones_like(r), days) / n
    out["workers_back_share"] = level_at_days(t, d_workers, days) / total_workers
    out["production_index"] = level_at_days(t, d_prod, days) / total_workers
    groups = [(size, pop.size_class == k) for k, size in enumerate(SIZE_CLASSES)]
    groups += [(name, pop.county == c) for c, name in enumerate(pop.county_names)]
    for name, in_group in groups:
        count = int(members[in_group].sum())
        if not count:
            continue
        # Each group's worker and production series are shares of the group's own workers, so
        # that the city series is their average weighted by workers.
        group_workers = max(int(firm_workers[in_group].sum()), 1)
        sel = in_group[ents] if len(ents) else np.zeros(0, bool)
        ts = t[sel]
        out[f"resumed_share_{name}"] = level_at_days(ts, d_open[sel], days) / count
        out[f"workers_back_share_{name}"] = level_at_days(ts, d_workers[sel], days) / group_workers
        out[f"production_index_{name}"] = level_at_days(ts, d_prod[sel], days) / group_workers
    failed = firms.outcomes["failure_day"]
    f = failed[~np.isnan(failed)]
    out["failed_count"] = level_at_days(f, np.ones_like(f), days)
    incident_firms = members[np.asarray(city.incident_firms, dtype=np.int64)]
    out["incidents"] = _per_day(np.asarray(city.incident_days), days, incident_firms)
    out["loans_disbursed"] = _per_day(np.asarray(city.bank.disbursement_days), days,
                                      np.asarray(city.bank.disbursement_firms))
    for kind, lg in city.point_logs.items():
        times = np.asarray(lg.times, dtype=float)
        if kind in ("approval", "inspection", "department", "registration"):
            q = daily_time_average(times, np.asarray(lg.dqueue, dtype=float), days)
            out[f"{kind}_queue"] = _shift(q)
    for role in ("liaison", "supervisor"):
        # busy share of day d's working hours, in row d + 1 like the other time averages
        out[f"{role}_utilisation"] = _shift(city.cadres.utilisation(role)[: days + 1])
    return out


def _per_day(times: np.ndarray, days: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Count (or sum of ``weights``) of events in (d−1, d] for row d."""
    out = np.zeros(days + 1)
    if len(times):
        idx = np.clip(np.ceil(times).astype(np.int64), 0, days)
        out += np.bincount(idx, weights=weights, minlength=days + 1)[: days + 1]
    return out


def _shift(per_day: np.ndarray) -> np.ndarray:
    """Averages over [k, k+1) → row k+1."""
    out = np.zeros_like(per_day)
    out[1:] = per_day[:-1]
    return out


def summarise(city: City, series: dict[str, np.ndarray], events: int, firms: Firms) -> dict[str, float]:
    o = firms.outcomes
    pop = firms.pop
    n = max(pop.n, 1)
    restart = o["restart_day"]
    full = o["full_production_day"]
    failed = ~np.isnan(o["failure_day"])
    applicants = ~np.isnan(o["application_day"])
    intention = o["loan_intention_day"]
    disbursed = o["loan_disbursed_day"]
    delays = (disbursed - intention)[~np.isnan(disbursed)]
    bank = city.bank
    full_output = float(pop.revenue_per_day.sum()) * city.horizon
    problems_resolved = o["problems_resolved"].sum()
    waits = [p.firm_wait_sum for p in city.offices]  # per firm: a cohort's wait counts for each of its firms
    started = [p.firms_started for p in city.offices]
    return {
        "enterprises": float(pop.n),
        "restarted_share": float((~np.isnan(restart)).sum() / n),
        "mean_restart_day": _nan_stat(restart, "mean"),
        "median_restart_day": _nan_stat(restart, "q", 0.5),
        "p90_restart_day": _nan_stat(restart, "q", 0.9),
        "mean_full_production_day": _nan_stat(full, "mean"),
        "median_full_production_day": _nan_stat(full, "q", 0.5),
        "p90_full_production_day": _nan_stat(full, "q", 0.9),
        "full_production_share": float((~np.isnan(full)).sum() / n),
        "day_resumed_50": _first_day(series["resumed_share"], 0.5),
        "day_resumed_90": _first_day(series["resumed_share"], 0.9),
        "resumed_share_end": float(series["resumed_share"][-1]),
        "workers_back_share_end": float(series["workers_back_share"][-1]),
        "production_index_end": float(series["production_index"][-1]),
        "failed_share": float(failed.sum() / n),
        "failures": float(failed.sum()),
        "jobs_lost": float(pop.workers[failed].sum()),
        "output_lost": float(o["output_lost"].sum()),
        "output_lost_share": float(o["output_lost"].sum() / full_output) if full_output else math.nan,
        "failed_before_restart": float((failed & np.isnan(restart)).sum()),
        "failed_after_restart": float((failed & ~np.isnan(restart)).sum()),
        **{f"failed_share_{size}": float(failed[pop.size_class == k].mean()) if (pop.size_class == k).any() else math.nan
           for k, size in enumerate(SIZE_CLASSES)},
        "loan_intentions": float(sum(bank.intentions.values())),
        "loans_disbursed": float(sum(bank.disbursed.values())),
        "loan_amount": float(sum(bank.disbursed_amount.values())),
        "green_loan_intentions": float(bank.intentions["green"]),
        "green_loans": float(bank.disbursed["green"]),
        "green_loan_amount": float(bank.disbursed_amount["green"]),
        "loan_refusals": float(bank.refusals),
        "targeted_loan_amount": float(city.targeted_loans),
        "relief_yuan": float(o["relief"].sum()),
        "taxes_repaid": float(o["taxes_repaid"].sum()),
        "mean_loan_delay": float(delays.mean()) if len(delays) else math.nan,
        "incidents": float(city.pop.members[np.asarray(city.incident_firms, dtype=np.int64)].sum()),
        **city.cadres.summary(),
        "liaison_coverage": float((firms.liaison >= 0).sum() / n),
        "supervisor_coverage": float((firms.supervisor >= 0).sum() / n),
        "mean_rework_rounds": float(o["rework_rounds"][applicants].mean()) if applicants.any() else math.nan,
        "mean_approval_wait": float(sum(waits) / sum(started)) if sum(started) else math.nan,
        "reviewer_days": float(sum(p.stats()["busy_work_time"] for p in city.offices)),
        "problems": float(o["problems"].sum()),
        "mean_problem_days": float(np.nansum(o["problem_days"]) / problems_resolved) if problems_resolved else math.nan,
        "hires": float(o["hires"].sum()),
        "postings": float(o["postings"].sum()),
        "posting_firms": float((o["postings"] > 0).sum()),
        "point_to_point_workers": float(o["point_to_point_workers"].sum()),
        "point_to_point_cost": float(np.nansum(o["point_to_point_cost"])),
        "events": float(events),
        **_coverage_by_county(firms),
    }


def _coverage_by_county(firms: Firms) -> dict[str, float]:
    pop = firms.pop
    out: dict[str, float] = {}
    for role, cadre in (("liaison", firms.liaison), ("supervisor", firms.supervisor)):
        for c, name in enumerate(pop.county_names):
            members = pop.county == c
            count = int(members.sum())
            out[f"{role}_coverage_{name}"] = float((cadre[members] >= 0).sum() / count) if count else math.nan
    return out


class Firms:
    """The results one row per firm: a cohort's row repeated for each of its members."""

    def __init__(self, city: City) -> None:
        pop = city.pop
        a = city.assignment
        if pop.has_cohorts:
            rep = pop.members
            self.pop = pop.expand()
            self.outcomes = {k: np.repeat(v, rep) for k, v in city.outcomes.columns.items()}
            self.liaison, self.supervisor, self.grid = (np.repeat(a.liaison, rep), np.repeat(a.supervisor, rep),
                                                        np.repeat(a.grid, rep))
        else:
            self.pop = pop
            self.outcomes = dict(city.outcomes.columns)
            self.liaison, self.supervisor, self.grid = a.liaison, a.supervisor, a.grid


def collect(city: City, variant: str, events: int, wall: float) -> RunResult:
    firms = Firms(city)
    series = daily_series(city, firms)
    summary = summarise(city, series, events, firms)
    pop = firms.pop
    attributes = {
        "county": np.asarray(pop.county_names)[pop.county] if pop.county_names else np.asarray([], dtype=str),
        "size_class": np.asarray(SIZE_CLASSES)[pop.size_class],
        "priority": np.where(pop.essential, "essential", "normal"),
        "sector": np.asarray(pop.sector),
        "high_tech": pop.high_tech.astype(int),
        "gazelle": pop.gazelle.astype(int),
        "new_project": pop.new_project.astype(int),
        "workers": pop.workers,
        "liaison": firms.liaison,
        "supervisor": firms.supervisor,
        "grid": firms.grid,
    }
    if city.pop.has_cohorts:  # the simulated enterprise each firm belongs to (its cohort)
        attributes["cohort"] = np.repeat(np.arange(city.pop.n), city.pop.members)
    return RunResult(variant=variant, replication=city.replication, outcomes=firms.outcomes,
                     series=series, summary=summary, events=events, wall_seconds=wall,
                     enterprise_ids=list(pop.ident), attributes=attributes)
