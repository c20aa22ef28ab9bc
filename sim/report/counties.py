"""The county table: when each county's 复工率 reaches 90 %, where it ends, and its 1+1+1 coverage.

A county that does not reach the threshold in a replication is censored at
the horizon and counted ("not reached in 2 of 8"), never dropped.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

import numpy as np

from sim.plotting.counties import COVERAGE, RESUMED
from sim.plotting.labels import Lang
from sim.report.tables import Table, not_reached
from sim.report.text import word

if TYPE_CHECKING:
    import pandas as pd

THRESHOLD = 0.9


def first_days(timeseries: pd.DataFrame, column: str, variant: str, threshold: float = THRESHOLD) -> np.ndarray:
    """Per replication, the first day the series is at or above ``threshold`` (NaN: never by the horizon)."""
    rows = timeseries.loc[timeseries["variant"].astype(str) == variant, ["replication", "day", column]]
    return _first_days(rows, column, threshold)


def _first_days(rows: pd.DataFrame, column: str, threshold: float = THRESHOLD) -> np.ndarray:
    """:func:`first_days` of one variant's rows (``replication``, ``day`` and ``column``)."""
    out = []
    for _, group in rows.groupby("replication", sort=True):
        ordered = group.sort_values("day")
        hit = np.nonzero(ordered[column].to_numpy(dtype=float) >= threshold)[0]
        out.append(float(ordered["day"].to_numpy(dtype=float)[hit[0]]) if len(hit) else math.nan)
    return np.array(out)


def day_text(day: float, start: dt.date | None, lang: Lang) -> str:
    """A day of the run as a date and its number ('4 Mar (day 23)'; the number alone without a start date)."""
    number = f"第{day:.0f}天" if lang == "zh" else f"day {day:.0f}"
    if start is None:
        return number
    d = start + dt.timedelta(days=round(day))
    when = f"{d.month}月{d.day}日" if lang == "zh" else f"{d.day} {d:%b}"
    return f"{when} ({number})"


def county_table(timeseries: pd.DataFrame, summary: pd.DataFrame | None, counties: list[str], variants: list[str],
                 start: dt.date | None, lang: Lang) -> Table:
    """A row per county; per variant the (mean) day 复工率 reaches 90 % with its censoring, the share at the
    horizon, and the coverage by liaisons and supervisors where summary.csv has it."""
    # each variant's rows and horizon found once, not again for every county
    names = timeseries["variant"].astype(str)
    of_variant = {v: (names == v).to_numpy() for v in variants}
    horizon = {v: timeseries.loc[of_variant[v], "day"].max() for v in variants}
    in_summary = {v: (summary["variant"].astype(str) == v).to_numpy() for v in variants} if summary is not None else {}
    rows = []
    for county in counties:
        column = RESUMED + county
        row = [county]
        for v in variants:
            of_v = timeseries.loc[of_variant[v], ["replication", "day", column]]
            days = _first_days(of_v, column)
            finite = days[np.isfinite(days)]
            parts = []
            if len(finite):
                parts.append(f"≥ 90 %: {day_text(float(finite.mean()), start, lang)}")
            if len(finite) < len(days):
                missed = not_reached(len(days) - len(finite), len(days), lang)
                parts.append(missed if len(finite) else f"≥ 90 %: {missed}")  # alone, it says what was not reached
            last = of_v.loc[of_v["day"] == horizon[v], column].to_numpy(dtype=float)
            if len(last):
                parts.append(f"{word('at_horizon', lang)} {float(np.nanmean(last)) * 100:.1f} %")
            if summary is not None:
                cover = []
                for prefix, key in zip(COVERAGE, ("liaison_short", "supervisor_short"), strict=True):
                    if prefix + county in summary.columns:
                        values = summary.loc[in_summary[v], prefix + county]
                        cover.append(f"{word(key, lang)} {float(values.mean()) * 100:.0f} %")
                if cover:
                    parts.append(" · ".join(cover))
            row.append("; ".join(parts) if parts else "–")
        rows.append(row)
    return Table([word("county", lang), *variants], rows, [False] * len(rows), text_columns=1 + len(variants))
