"""Plots of a run's daily series and restart times, one line and band per variant.

Every function draws one figure on the Agg backend and returns it; the
caller saves it (see :mod:`sim.plotting.files`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.plotting.folder import Band, bands
from sim.plotting.labels import Words
from sim.plotting.style import pyplot

if TYPE_CHECKING:
    import pandas as pd

QUEUES = ("approval_queue", "inspection_queue", "department_queue", "registration_queue")
UTILISATION = ("liaison_utilisation", "supervisor_utilisation")
SHARE_SERIES = ("resumed_share", "workers_back_share", "production_index")
BY_SIZE_CLASS = tuple(f"{series}_{size}" for size in ("above_scale", "sme", "micro")
                      for series in ("workers_back_share", "production_index"))


def colours(variants: Sequence[str]) -> dict[str, Any]:
    """One colour per variant, the same in every figure (base first)."""
    plt = pyplot()
    cycle = plt.get_cmap("tab10")
    return {v: cycle(i % 10) for i, v in enumerate(variants)}


def _percent(ax: Any) -> None:
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0))


def _draw_bands(ax: Any, per_variant: dict[str, Band], palette: dict[str, Any], words: Words) -> None:
    for name, b in per_variant.items():
        colour = palette.get(name)
        ax.plot(b.day, b.mean, color=colour, linewidth=1.6, label=f"{name} ({words.t('n_runs')}={b.replications})")
        if b.replications > 1:
            ax.fill_between(b.day, b.low, b.high, color=colour, alpha=0.18, linewidth=0)


def share_plot(timeseries: pd.DataFrame, column: str, words: Words, palette: dict[str, Any]) -> Any:
    """A share (0–1) over time per variant with its 95 % band: 复工率, 复岗率 or 达产率."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    _draw_bands(ax, bands(timeseries, column), palette, words)
    ax.set_xlabel(words.t("day"))
    ax.set_ylabel(words.t("share"))
    ax.set_ylim(0, 1.02)
    _percent(ax)
    ax.set_title(words.t(column))
    ax.legend(loc="lower right")
    ax.annotate(words.t("band_note"), xy=(0, -0.16), xycoords="axes fraction", fontsize=7, color="0.4")
    fig.tight_layout()
    return fig


def panels_plot(timeseries: pd.DataFrame, columns: Sequence[str], title: str, ylabel: str, words: Words,
                palette: dict[str, Any], share: bool = False) -> Any | None:
    """One small panel per series (queues, cadre utilisation), variants overlaid; None if none is present."""
    plt = pyplot()
    present = [c for c in columns if c in timeseries.columns]
    if not present:
        return None
    ncols = 2 if len(present) > 1 else 1
    nrows = math.ceil(len(present) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(9, 2.9 * nrows + 0.6), squeeze=False, sharex=True)
    for ax, column in zip(axes.flat, present, strict=False):
        _draw_bands(ax, bands(timeseries, column), palette, words)
        ax.set_title(words.t(column), fontsize=9)
        ax.set_ylabel(ylabel, fontsize=8)
        if share:
            ax.set_ylim(0, 1.02)
            _percent(ax)
        else:
            ax.set_ylim(bottom=0)
    for ax in axes.flat[len(present):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel(words.t("day"))
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.suptitle(title)
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 3), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.04 + 0.03 * math.ceil(len(labels) / 3), 1, 1))
    return fig


def km_from_enterprises(enterprises: pd.DataFrame, horizon: float) -> pd.DataFrame:
    """restart_km.csv's columns computed from enterprises.csv (restart_day, censored at the horizon)."""
    import pandas as pd

    from sim.analysis.survival import censored_restarts, kaplan_meier

    grid = np.arange(0, math.floor(horizon) + 1, dtype=float)
    frames = []
    for variant, group in enterprises.groupby("variant", sort=False):
        times, observed = censored_restarts(group["restart_day"].to_numpy(dtype=float), horizon)
        curve = kaplan_meier(times, observed, grid)
        frames.append(pd.DataFrame({"variant": variant, "day": grid, "survival": curve.survival,
                                    "ci_low": curve.ci_low, "ci_high": curve.ci_high}))
    return pd.concat(frames, ignore_index=True)


def km_plot(km: pd.DataFrame, words: Words, palette: dict[str, Any], horizon: float) -> Any:
    """Kaplan–Meier curves of the share still closed, with their 95 % bands; censoring marked at the horizon."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for variant, group in km.groupby("variant", sort=False):
        colour = palette.get(str(variant))
        day = group["day"].to_numpy(dtype=float)
        surv = group["survival"].to_numpy(dtype=float)
        ax.step(day, surv, where="post", color=colour, linewidth=1.6, label=str(variant))
        ax.fill_between(day, group["ci_low"].to_numpy(dtype=float), group["ci_high"].to_numpy(dtype=float),
                        step="post", color=colour, alpha=0.18, linewidth=0)
        if len(surv) and surv[-1] > 0:  # firms still closed at the horizon are censored there
            ax.plot([day[-1]], [surv[-1]], marker="|", markersize=12, color=colour)
    if math.isfinite(horizon):
        ax.axvline(horizon, color="0.5", linestyle=":", linewidth=1)
    ax.axhline(0.5, color="0.6", linestyle="--", linewidth=0.8)
    ax.set_xlabel(words.t("day"))
    ax.set_ylabel(words.t("still_closed"))
    ax.set_ylim(0, 1.02)
    _percent(ax)
    ax.set_title(words.t("restart_km"), fontsize=10)
    ax.legend(loc="upper right")
    fig.tight_layout()
    return fig
