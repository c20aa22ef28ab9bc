"""Plots of a run's daily series and restart times, one line and band per variant.

Every function draws one figure on the Agg backend and returns it; the
caller saves it (see :mod:`sim.plotting.files`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.firm_classes import SIZE_CLASSES
from sim.model.offices import OFFICE_KINDS
from sim.plotting.folder import Band, bands
from sim.plotting.labels import Words
from sim.plotting.style import pyplot, tight_layout
from sim.plotting.timeaxis import TimeAxis, line_styles, mark_every

if TYPE_CHECKING:
    import pandas as pd

QUEUES = tuple(f"{kind}_queue" for kind in OFFICE_KINDS)
UTILISATION = ("liaison_utilisation", "supervisor_utilisation")
SHARE_SERIES = ("resumed_share", "workers_back_share", "production_index")
BY_SIZE_CLASS = tuple(f"{series}_{size}" for size in SIZE_CLASSES
                      for series in ("workers_back_share", "production_index"))


def colours(variants: Sequence[str]) -> dict[str, Any]:
    """One colour per variant, the same in every figure (base first)."""
    plt = pyplot()
    cycle = plt.get_cmap("tab10")
    return {v: cycle(i % 10) for i, v in enumerate(variants)}


def _percent(ax: Any) -> None:
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0))


def _draw_bands(ax: Any, per_variant: dict[str, Band], palette: dict[str, Any], words: Words,
                axis: TimeAxis | None = None) -> None:
    """Mean line and 95 % band per variant; each variant its own dash pattern and markers, so that a variant
    identical to another (a control, a policy that changes nothing) is still seen under or over it."""
    axis = axis or TimeAxis(None, words)
    styles = line_styles(list(palette) or list(per_variant))
    for k, (name, b) in enumerate(per_variant.items()):
        colour = palette.get(name)
        index = list(palette).index(name) if name in palette else k
        style = styles.get(name, {"linestyle": "-", "marker": None})
        x = axis.x(b.day)
        ax.plot(x, b.mean, color=colour, linewidth=1.6, linestyle=style["linestyle"], marker=style["marker"],
                markersize=3.5, markevery=mark_every(len(x), index, len(styles)),
                label=f"{words.variant(name)} ({words.t('n_runs')}={b.replications})")
        if b.replications > 1:
            ax.fill_between(x, b.low, b.high, color=colour, alpha=0.15, linewidth=0)


def share_plot(timeseries: pd.DataFrame, column: str, words: Words, palette: dict[str, Any],
               axis: TimeAxis | None = None) -> Any:
    """A share (0–1) over time per variant with its 95 % band: 复工率, 复岗率 or 达产率."""
    plt = pyplot()
    axis = axis or TimeAxis(None, words)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    per_variant = bands(timeseries, column)
    _draw_bands(ax, per_variant, palette, words, axis)
    axis.trim(ax, [(b.day, b.mean) for b in per_variant.values()])
    axis.format(ax)
    ax.set_ylabel(words.t("share"))
    ax.set_ylim(0, 1.02)
    _percent(ax)
    ax.set_title(words.t(column))
    ax.legend(loc="lower right")
    ax.annotate(words.t("band_note"), xy=(0, -0.16), xycoords="axes fraction", fontsize=7, color="0.4")
    tight_layout(fig)
    return fig


def panels_plot(timeseries: pd.DataFrame, columns: Sequence[str], title: str, ylabel: str, words: Words,
                palette: dict[str, Any], share: bool = False, axis: TimeAxis | None = None) -> Any | None:
    """One small panel per series (queues, cadre utilisation), variants overlaid; None if none is present."""
    plt = pyplot()
    axis = axis or TimeAxis(None, words)
    drawn: list[tuple[np.ndarray, np.ndarray]] = []
    present = [c for c in columns if c in timeseries.columns]
    if not present:
        return None
    ncols = 2 if len(present) > 1 else 1
    nrows = math.ceil(len(present) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(9, 2.9 * nrows + 0.6), squeeze=False, sharex=True)
    for ax, column in zip(axes.flat, present, strict=False):
        per_variant = bands(timeseries, column)
        _draw_bands(ax, per_variant, palette, words, axis)
        drawn += [(b.day, b.mean) for b in per_variant.values()]
        ax.set_title(words.t(column), fontsize=9)
        ax.set_ylabel(ylabel, fontsize=8)
        if share:
            ax.set_ylim(0, 1.02)
            _percent(ax)
        else:
            ax.set_ylim(bottom=0)
    for ax in axes.flat[len(present):]:
        ax.set_visible(False)
    axis.trim(axes.flat[0], drawn)  # the panels share their x axis
    for ax in axes.flat[:len(present)]:
        axis.format(ax, xlabel=False, max_ticks=5)
    for ax in axes[-1]:
        axis.format(ax, max_ticks=5)
        ax.tick_params(axis="x", labelbottom=True)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.suptitle(title)
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 3), fontsize=8, frameon=False)
    tight_layout(fig, rect=(0, 0.04 + 0.03 * math.ceil(len(labels) / 3), 1, 1))
    return fig


def km_from_enterprises(enterprises: pd.DataFrame, horizon: float) -> pd.DataFrame:
    """restart_km.csv's columns computed from enterprises.csv (restart_day, censored at the horizon)."""
    import pandas as pd

    from sim.analysis.survival import censored_restarts, kaplan_meier

    grid = np.arange(0, math.floor(horizon) + 1, dtype=float)
    frames = []
    for variant, group in enterprises.groupby("variant", sort=False):
        times, observed = censored_restarts(group["restart_day"].to_numpy(dtype=float), horizon)
        units = None  # a cohort's firms are one observation for the band (see sim.analysis.survival)
        if "cohort" in group.columns:
            keys = group[["replication", "cohort"]] if "replication" in group.columns else group[["cohort"]]
            units = pd.MultiIndex.from_frame(keys).factorize()[0]
        curve = kaplan_meier(times, observed, grid, units=units)
        frames.append(pd.DataFrame({"variant": variant, "day": grid, "survival": curve.survival,
                                    "ci_low": curve.ci_low, "ci_high": curve.ci_high}))
    return pd.concat(frames, ignore_index=True)


def km_plot(km: pd.DataFrame, words: Words, palette: dict[str, Any], horizon: float,
            axis: TimeAxis | None = None) -> Any:
    """Kaplan–Meier curves of the share still closed, with their 95 % bands; censoring marked at the horizon."""
    plt = pyplot()
    axis = axis or TimeAxis(None, words)
    styles = line_styles(list(palette))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    drawn = []
    for k, (variant, group) in enumerate(km.groupby("variant", sort=False)):
        name = str(variant)
        colour = palette.get(name)
        style = styles.get(name, {"linestyle": "-", "marker": None})
        day = group["day"].to_numpy(dtype=float)
        surv = group["survival"].to_numpy(dtype=float)
        x = axis.x(day)
        index = list(palette).index(name) if name in palette else k
        ax.plot(x, surv, drawstyle="steps-post", color=colour, linewidth=1.6, linestyle=style["linestyle"],
                marker=style["marker"], markersize=3.5, markevery=mark_every(len(x), index, len(styles) or 1),
                label=words.variant(name))
        ax.fill_between(x, group["ci_low"].to_numpy(dtype=float), group["ci_high"].to_numpy(dtype=float),
                        step="post", color=colour, alpha=0.15, linewidth=0)
        drawn.append((day, surv))
        if len(surv) and surv[-1] > 0:  # firms still closed at the horizon are censored there
            ax.plot([x[-1]], [surv[-1]], marker="|", markersize=12, color=colour)
    ax.axhline(0.5, color="0.6", linestyle="--", linewidth=0.8)
    axis.trim(ax, drawn, horizon)
    axis.format(ax)
    ax.set_ylabel(words.t("still_closed"))
    ax.set_ylim(0, 1.02)
    _percent(ax)
    ax.set_title(words.t("restart_km"), fontsize=10)
    ax.legend(loc="upper right")
    tight_layout(fig)
    return fig
