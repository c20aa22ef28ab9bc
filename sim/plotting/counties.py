"""The county view: 复工率 per county as small multiples, and 1+1+1 coverage per county.

Counties come from the run's ``resumed_share_<county>`` columns of
timeseries.csv (in the order of the scenario when it is known); coverage from
``liaison_coverage_<county>`` and ``supervisor_coverage_<county>`` of
summary.csv, which model versions before cadre time did not write.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.firm_classes import SIZE_CLASSES
from sim.plotting.folder import bands
from sim.plotting.labels import Words
from sim.plotting.style import pyplot, tight_layout
from sim.plotting.timeaxis import TimeAxis

if TYPE_CHECKING:
    import pandas as pd

RESUMED = "resumed_share_"
COVERAGE = ("liaison_coverage_", "supervisor_coverage_")


def county_names(timeseries: pd.DataFrame, known: Sequence[str] = ()) -> list[str]:
    """Counties with a 复工率 series, in the scenario's order when ``known`` lists them."""
    found = [c[len(RESUMED):] for c in timeseries.columns
             if c.startswith(RESUMED) and c[len(RESUMED):] not in SIZE_CLASSES]
    ordered = [c for c in known if c in found]
    return ordered + [c for c in found if c not in ordered]


def coverage_columns(summary: pd.DataFrame, counties: Sequence[str]) -> list[str]:
    """The per-county coverage columns summary.csv has (none before cadre time was modelled)."""
    return [p + c for p in COVERAGE for c in counties if p + c in summary.columns]


def county_plot(timeseries: pd.DataFrame, counties: Sequence[str], words: Words, palette: dict[str, Any],
                axis: TimeAxis) -> Any | None:
    """One small panel of 复工率 per county, variants overlaid, same axes everywhere; None without counties."""
    from matplotlib.ticker import PercentFormatter

    from sim.plotting.runs import _draw_bands

    if not counties:
        return None
    plt = pyplot()
    ncols = min(4, len(counties))
    nrows = math.ceil(len(counties) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols + 0.8, 2.3 * nrows + 1.0), squeeze=False,
                             sharex=True, sharey=True)
    drawn: list[tuple[np.ndarray, np.ndarray]] = []
    for ax, county in zip(axes.flat, counties, strict=False):
        per_variant = bands(timeseries, RESUMED + county)
        _draw_bands(ax, per_variant, palette, words, axis)
        drawn += [(b.day, b.mean) for b in per_variant.values()]
        ax.set_title(words.county(county), fontsize=9)
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(counties):]:
        ax.set_visible(False)
    axis.trim(axes.flat[0], drawn)
    for ax in axes.flat[:len(counties)]:
        axis.format(ax, xlabel=False, max_ticks=4)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.suptitle(words.t("county_resumed"), fontsize=10)
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 3), fontsize=8, frameon=False)
    tight_layout(fig, rect=(0, 0.04 + 0.035 * math.ceil(len(labels) / 3), 1, 1))
    return fig


def coverage_plot(summary: pd.DataFrame, counties: Sequence[str], words: Words, palette: dict[str, Any]) -> Any | None:
    """Bars of the share of firms with a liaison and with a supervisor, per county and variant (mean over
    replications); None when summary.csv has no per-county coverage."""
    kinds = [p for p in COVERAGE if any(p + c in summary.columns for c in counties)]
    if not kinds:
        return None
    from matplotlib.ticker import PercentFormatter

    plt = pyplot()
    variants = list(palette)
    fig, axes = plt.subplots(len(kinds), 1, figsize=(9, 2.8 * len(kinds) + 0.8), squeeze=False, sharex=True)
    width = 0.8 / max(len(variants), 1)
    x = np.arange(len(counties))
    for ax, kind in zip(axes[:, 0], kinds, strict=True):
        for k, v in enumerate(variants):
            rows = summary[summary["variant"].astype(str) == v]
            means = [float(rows[kind + c].mean()) if kind + c in rows.columns else math.nan for c in counties]
            ax.bar(x + (k - (len(variants) - 1) / 2) * width, np.nan_to_num(means), width=width, color=palette[v],
                   label=words.variant(v), hatch=("", "//", "..", "xx", "\\\\")[k % 5], edgecolor="white", linewidth=0.3)
        ax.set_ylim(0, 1.05)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_title(words.t(kind.rstrip("_")), fontsize=9)
    axes[-1, 0].set_xticks(x, [words.county(c) for c in counties], rotation=30, ha="right", fontsize=8)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.suptitle(words.t("county_coverage"), fontsize=10)
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 3), fontsize=8, frameon=False)
    tight_layout(fig, rect=(0, 0.05 + 0.03 * math.ceil(len(labels) / 3), 1, 1))
    return fig
