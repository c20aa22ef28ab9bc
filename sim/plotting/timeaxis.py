"""The x axis of a daily series as a planner reads it: calendar dates, trimmed to where things happen,
and one line style per variant so that identical variants stay visible."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.plotting.labels import Words

LINESTYLES = ("-", (0, (5, 2)), (0, (5, 1.5, 1, 1.5)), (0, (1.2, 1.2)), (0, (8, 2, 2, 2)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
MARKS_PER_LINE = 10


@dataclass(frozen=True)
class TimeAxis:
    """Days since ``start`` drawn as dates (as day numbers when the start date is unknown)."""

    start: dt.date | None
    words: Words

    def x(self, day: np.ndarray) -> np.ndarray:
        day = np.asarray(day, dtype=float)
        if self.start is None:
            return day
        return np.datetime64(self.start, "D") + np.round(day * 24 * 3600).astype("timedelta64[s]")

    def format(self, ax: Any, xlabel: bool = True, max_ticks: int = 8) -> None:
        """Date ticks ('3 Feb', or '2月3日' in Chinese) and the axis label."""
        if self.start is None:
            if xlabel:
                ax.set_xlabel(self.words.t("day"))
            return
        import matplotlib.dates as mdates
        from matplotlib.ticker import FuncFormatter

        zh = self.words.lang == "zh"

        def label(value: float, _pos: int | None = None) -> str:
            d = mdates.num2date(value)
            return f"{d.month}月{d.day}日" if zh else f"{d.day} {d:%b}"

        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=max_ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(label))
        if xlabel:
            ax.set_xlabel(self.words.t("date").format(start=self.start.isoformat()))

    def trim(self, ax: Any, series: Iterable[tuple[np.ndarray, np.ndarray]], horizon: float | None = None) -> None:
        """Limit the x axis to where the series still change: from day 0 to a little after the last day any
        of them moves by more than 1 % of their range (the whole horizon when they never settle)."""
        days, last = [], 0.0
        pairs = [(np.asarray(d, dtype=float), np.asarray(v, dtype=float)) for d, v in series]
        finite = [v[np.isfinite(v)] for _, v in pairs]
        values = np.concatenate(finite) if finite else np.array([])
        if not len(values):
            return
        tol = 0.01 * max(float(values.max() - values.min()), 1e-12)
        for day, value in pairs:
            if not len(day):
                continue
            days.append(float(day.max()))
            ok = np.isfinite(value)
            if not ok.any():
                continue
            final = value[ok][-1]
            moving = np.nonzero(ok & (np.abs(value - final) > tol))[0]
            if len(moving):
                last = max(last, float(day[min(moving[-1] + 1, len(day) - 1)]))
        end = max(days) if days else horizon
        if end is None or not np.isfinite(end):
            return
        stop = min(end, max(last * 1.15 + 3.0, min(end, 14.0)))
        ax.set_xlim(self.x(np.array([0.0]))[0], self.x(np.array([stop]))[0])


def line_styles(variants: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per variant: a line style and a marker, so that a variant drawn over an identical one stays visible."""
    return {v: {"linestyle": LINESTYLES[i % len(LINESTYLES)], "marker": MARKERS[i % len(MARKERS)]}
            for i, v in enumerate(variants)}


def mark_every(n_points: int, index: int, count: int) -> slice:
    """Marker positions along a line, offset per variant so that markers of identical lines do not overlap."""
    step = max(1, n_points // MARKS_PER_LINE)
    return slice(int(step * (index + 0.5) / max(count, 1)) % step, None, step)
