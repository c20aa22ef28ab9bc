"""What a run records: one row of outcomes per enterprise, and logs of changes.

Outcomes are numpy arrays, one per column (NaN where a thing did not happen).
State changes (open/closed, workers at post, production) are appended to a
:class:`ChangeLog` as they happen and turned into daily series after the run,
so that recording costs one append per event, not one per enterprise per day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class Outcome:
    """One per-firm column of ``enterprises.csv``, declared by the module that fills it
    (times in days since the start date; NaN: did not happen)."""

    key: str
    dtype: Literal["f8", "i4"]
    meaning: str


class Outcomes:
    """Per-enterprise results of one replication: the columns the modules declared (see ``Module.OUTCOMES``)."""

    def __init__(self, n: int, columns: Iterable[Outcome]) -> None:
        self.n = n
        self.columns: dict[str, np.ndarray] = {}
        for col in columns:
            if col.key in self.columns:
                raise ValueError(f"outcome column '{col.key}' is declared twice")
            fill = np.nan if col.dtype == "f8" else 0
            self.columns[col.key] = np.full(n, fill, dtype=col.dtype)

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
