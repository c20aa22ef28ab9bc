"""What a run records: one row of outcomes per enterprise, and logs of changes.

Outcomes are numpy arrays, one per column (NaN where a thing did not happen).
State changes (open/closed, workers at post, production) are appended to a
:class:`ChangeLog` as they happen and turned into daily series after the run,
so that recording costs one append per event, not one per enterprise per day.
"""

from __future__ import annotations

import numpy as np

# column -> (dtype, meaning); times in days since start_date
OUTCOME_COLUMNS: dict[str, tuple[str, str]] = {
    "application_day": ("f8", "first restart application submitted"),
    "approval_day": ("f8", "restart approved"),
    "inspection_day": ("f8", "first passed epidemic-prevention inspection"),
    "restart_day": ("f8", "first restart (复工)"),
    "full_production_day": ("f8", "capacity first reached the full-production threshold (达产)"),
    "failure_day": ("f8", "cash plus credit line could not cover what was owed; closed for good"),
    "rework_rounds": ("i4", "applications returned for missing documents"),
    "inspections": ("i4", "inspection visits"),
    "incidents": ("i4", "outbreak incidents"),
    "problems": ("i4", "problems that arrived"),
    "problem_days": ("f8", "total days from a problem's arrival to its resolution"),
    "problems_resolved": ("i4", "problems resolved"),
    "loan_intention_day": ("f8", "first loan application"),
    "loan_disbursed_day": ("f8", "loan money on the account"),
    "loan_amount": ("f8", "loan disbursed, yuan"),
    "output_lost": ("f8", "revenue lost against full capacity over the horizon, yuan"),
    "cash_start": ("f8", "cash at day 0, yuan"),
    "cash_end": ("f8", "cash at the horizon (at failure for failed firms), yuan"),
    "income": ("f8", "contribution from production, yuan"),
    "relief": ("f8", "relief received: refunds, subsidies, power-bill cut, yuan"),
    "costs": ("f8", "fixed costs paid (wages or living allowance, rent, interest incl. loans', other, taxes due), yuan"),
    "loans_received": ("f8", "loans received (bank and targeted), yuan"),
    "repayments": ("f8", "loan principal paid back within the horizon, yuan"),
    "taxes_repaid": ("f8", "deferred taxes paid back when the deferral ended, yuan"),
    "taxes_deferred_end": ("f8", "taxes deferred and still unpaid at the end (at failure for failed firms), yuan"),
    "loan_principal_after": ("f8", "loan principal due after the horizon, yuan"),
    "loan_interest_after": ("f8", "loan interest due after the horizon until the end of the term, yuan"),
    "workers_at_post_end": ("i4", "workers at post at the horizon"),
    "hires": ("i4", "workers hired to fill vacancies"),
    "postings": ("i4", "online job postings"),
    "point_to_point_workers": ("i4", "non-local workers carried back point to point (点对点)"),
    "point_to_point_cost": ("f8", "cost of the point-to-point transport, yuan (NaN: none)"),
}


class Outcomes:
    """Per-enterprise results of one replication."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.columns: dict[str, np.ndarray] = {}
        for name, (dtype, _) in OUTCOME_COLUMNS.items():
            fill = np.nan if dtype == "f8" else 0
            self.columns[name] = np.full(n, fill, dtype=dtype)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]


class ChangeLog:
    """Changes of open state, workers at post and production, as they happen."""

    __slots__ = ("times", "ents", "d_open", "d_workers", "d_prod")

    def __init__(self) -> None:
        self.times: list[float] = []
        self.ents: list[int] = []
        self.d_open: list[int] = []
        self.d_workers: list[int] = []
        self.d_prod: list[float] = []

    def record(self, t: float, ent: int, d_open: int, d_workers: int, d_prod: float) -> None:
        self.times.append(t)
        self.ents.append(ent)
        self.d_open.append(d_open)
        self.d_workers.append(d_workers)
        self.d_prod.append(d_prod)


def level_at_days(times: np.ndarray, deltas: np.ndarray, days: int, start: float = 0.0) -> np.ndarray:
    """Value of a running sum at t = 0, 1, …, days (changes at t <= d count for day d)."""
    out = np.full(days + 1, start, dtype=float)
    if len(times):
        idx = np.ceil(times).astype(np.int64)
        idx = np.clip(idx, 0, days + 1)
        per_day = np.bincount(idx, weights=deltas, minlength=days + 2)[: days + 1]
        out += np.cumsum(per_day)
    return out


def daily_time_average(times: np.ndarray, deltas: np.ndarray, days: int) -> np.ndarray:
    """Time-average over day d (from d to d+1) of a level changed by ``deltas`` at ``times``."""
    out = np.zeros(days + 1)
    if not len(times):
        return out
    order = np.argsort(times, kind="stable")
    t = np.asarray(times, dtype=float)[order]
    level = np.cumsum(np.asarray(deltas, dtype=float)[order])
    # breakpoints: each change and each day boundary
    bounds = np.arange(days + 2, dtype=float)
    all_t = np.concatenate([t, bounds])
    all_level = np.concatenate([level, np.full(len(bounds), np.nan)])
    o = np.argsort(all_t, kind="stable")
    all_t, all_level = all_t[o], all_level[o]
    # carry the level forward over the day boundaries
    valid = ~np.isnan(all_level)
    idx = np.where(valid, np.arange(len(all_level)), 0)
    np.maximum.accumulate(idx, out=idx)
    filled = np.where(np.arange(len(all_level)) >= idx.min(), all_level[idx], 0.0)
    filled[: np.argmax(valid)] = 0.0 if valid.any() else 0.0
    widths = np.diff(all_t, append=all_t[-1])
    day_of = np.clip(np.floor(all_t).astype(np.int64), 0, days + 1)
    area = np.bincount(day_of, weights=filled * widths, minlength=days + 2)
    return area[: days + 1]
