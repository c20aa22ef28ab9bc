"""What holds firms back, day by day: the held_<constraint> series of a run and their stacked areas.

A model that counts every firm, each day, under the one constraint that binds
it (a restart ban, the approval queue, inspection, orders, inputs, workers,
cash, ... or none: at full production) writes one ``held_<constraint>`` column
per constraint to ``timeseries.csv``: shares of firms that add up to 1 every
day. The same series per group of firms (``held_<constraint>_<group>``: a size
class, a sector) are not drawn here. Nothing below knows the constraints'
names: any run with such columns gets the figure, labelled by the catalogue's
declarations where the model declares them, by the column's name otherwise.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model import catalogue
from sim.plotting.labels import Lang, Words
from sim.plotting.style import pyplot, tight_layout
from sim.plotting.timeaxis import TimeAxis

if TYPE_CHECKING:
    import pandas as pd

PREFIX = "held_"
NOT_HELD = "held_full"  # firms at full production: nothing holds them back (drawn in grey, on top)
PANEL_COLUMNS = 3


def held_columns(timeseries: pd.DataFrame) -> list[str]:
    """The held_<constraint> columns over all firms, in the file's order: a column that extends another
    one's name (``held_orders_small`` beside ``held_orders``) is that series for a group of firms."""
    found = [str(c) for c in timeseries.columns if str(c).startswith(PREFIX)]
    return [c for c in found if not any(c.startswith(other + "_") for other in found if other != c)]


def held_label(column: str, lang: Lang) -> str:
    """A constraint's short name: the one its module declares, else the column's name in words."""
    declared = catalogue.series_of(column)
    k = 0 if lang == "en" else 1
    if declared is not None and declared.key == column:
        return (declared.short or declared.label)[k]
    return column[len(PREFIX):].replace("_", " ")


def mean_shares(timeseries: pd.DataFrame, columns: list[str]) -> dict[str, pd.DataFrame]:
    """Per variant (in the file's order), the mean over replications of each column by day (index: day)."""
    out = {}
    for variant, group in timeseries.groupby("variant", sort=False):
        out[str(variant)] = group.groupby("day", sort=True)[columns].mean()
    return out


def constraint_colours(columns: list[str]) -> dict[str, Any]:
    """One colour per constraint, the same in every panel; firms held by nothing in light grey."""
    plt = pyplot()
    cycle = plt.get_cmap("tab20" if len(columns) > 10 else "tab10")
    held = [c for c in columns if c != NOT_HELD]
    colours: dict[str, Any] = {c: cycle(i % cycle.N) for i, c in enumerate(held)}
    if NOT_HELD in columns:
        colours[NOT_HELD] = (0.86, 0.86, 0.86, 1.0)
    return colours


def stack_order(columns: list[str]) -> list[str]:
    """The columns bottom to top: the constraints in the model's order, firms held by nothing on top."""
    return [c for c in columns if c != NOT_HELD] + ([NOT_HELD] if NOT_HELD in columns else [])


def held_back_plot(timeseries: pd.DataFrame, words: Words, axis: TimeAxis | None = None,
                   variants: list[str] | None = None) -> Any | None:
    """A panel per variant: the shares of firms held back by each constraint, stacked, day by day (mean over
    replications); None when the run has no held_* series."""
    columns = held_columns(timeseries)
    if not columns:
        return None
    plt = pyplot()
    axis = axis or TimeAxis(None, words)
    shares = mean_shares(timeseries, columns)
    order = [v for v in (variants or list(shares)) if v in shares]
    ncols = min(PANEL_COLUMNS, len(order))
    nrows = math.ceil(len(order) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols + 0.8, 2.4 * nrows + 0.8), squeeze=False,
                             sharex=True, sharey=True)
    stacked = stack_order(columns)
    colours = constraint_colours(columns)
    labels = [words.fit(held_label(c, words.lang)) for c in stacked]
    changing: list[tuple[np.ndarray, np.ndarray]] = []
    for ax, variant in zip(axes.flat, order, strict=False):
        frame = shares[variant]
        day = frame.index.to_numpy(dtype=float)
        values = [frame[c].to_numpy(dtype=float) for c in stacked]
        ax.stackplot(axis.x(day), values, colors=[colours[c] for c in stacked], labels=labels, linewidth=0)
        changing += [(day, v) for v in values]
        ax.set_title(words.variant(variant), fontsize=9)
        ax.set_ylim(0, 1)
        from matplotlib.ticker import PercentFormatter

        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    for ax in axes.flat[len(order):]:
        ax.set_visible(False)
    axis.trim(axes.flat[0], changing)  # the panels share their x axis
    for i, ax in enumerate(axes.flat[:len(order)]):
        lowest = i + ncols >= len(order)  # no panel under it: its dates are shown
        axis.format(ax, xlabel=lowest, max_ticks=4)
        ax.tick_params(axis="x", labelbottom=lowest)
    for row in axes:
        row[0].set_ylabel(words.t("constraints_share"), fontsize=8)
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.suptitle(words.t("constraints_title"), fontsize=10)
    # on the right, top to bottom as the areas are stacked
    legend = fig.legend(handles[::-1], names[::-1], loc="center right", fontsize=8, frameon=False)
    fig.canvas.draw()
    width = legend.get_window_extent().width / fig.dpi + 0.2
    fig.set_figwidth(fig.get_figwidth() + width)
    tight_layout(fig, rect=(0, 0, 1 - width / fig.get_figwidth(), 1))
    return fig
