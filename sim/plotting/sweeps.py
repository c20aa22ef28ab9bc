"""Plots of a sweep folder: an outcome over two levers, and sensitivity indices.

Reads the sweep's summary.csv (one row per design point: the parameter values
and ``<outcome>_mean``), sensitivity.csv (Sobol' S1/ST or Morris mu*) and the
manifest's parameter list (which parameters are levers).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model import catalogue
from sim.plotting.labels import Words
from sim.plotting.style import pyplot, tight_layout

if TYPE_CHECKING:
    import pandas as pd

GRID_LEVELS = 12  # at most this many distinct values per axis are drawn as a grid of cells


def sweep_parameters(manifest: dict[str, Any], summary: pd.DataFrame) -> list[tuple[str, str]]:
    """(path, group) of the swept parameters, levers first; from the manifest, else summary.csv's columns."""
    listed = [(str(p.get("path")), str(p.get("group", "lever"))) for p in manifest.get("parameters", [])
              if isinstance(p, dict) and p.get("path") in summary.columns]
    if not listed:
        skip = {"point", "replications"}
        listed = [(c, "lever") for c in summary.columns
                  if c not in skip and not any(c.endswith(s) for s in ("_mean", "_ci_low", "_ci_high", "_n"))]
    return sorted(listed, key=lambda pg: pg[1] != "lever")


def sweep_outcomes(manifest: dict[str, Any], summary: pd.DataFrame) -> list[str]:
    listed = [str(o) for o in manifest.get("outcomes", []) if f"{o}_mean" in summary.columns]
    return listed or [c[: -len("_mean")] for c in summary.columns if c.endswith("_mean")]


def surface_plot(summary: pd.DataFrame, x: str, y: str, outcomes: Sequence[str], words: Words,
                 names: Callable[[str], str] = str) -> Any | None:
    """Each outcome's mean over the (x, y) plane: cells on a grid design, contours on a scattered one.

    Points that share (x, y) are averaged (over the other parameters). None if
    x and y do not both vary. ``names`` gives a parameter path in words.
    """
    plt = pyplot()
    if summary[x].nunique() < 2 or summary[y].nunique() < 2 or not outcomes:
        return None
    ncols = min(2, len(outcomes))
    nrows = math.ceil(len(outcomes) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 4.2 * nrows), squeeze=False)
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        cells = summary.groupby([x, y])[f"{outcome}_mean"].mean().reset_index()
        if catalogue.is_yuan(outcome):  # money in millions of yuan, as everywhere in the report
            cells[f"{outcome}_mean"] = cells[f"{outcome}_mean"] / 1e6
        xs, ys = np.sort(cells[x].unique()), np.sort(cells[y].unique())
        values = cells[f"{outcome}_mean"].to_numpy(dtype=float)
        finite = np.isfinite(values)
        if not finite.any():
            ax.text(0.5, 0.5, "—", ha="center", va="center", transform=ax.transAxes)
        elif len(xs) <= GRID_LEVELS and len(ys) <= GRID_LEVELS:
            grid = cells.pivot(index=y, columns=x, values=f"{outcome}_mean").reindex(index=ys, columns=xs)
            image = ax.imshow(grid.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis")
            ax.set_xticks(range(len(xs)), [f"{v:g}" for v in xs], fontsize=8)
            ax.set_yticks(range(len(ys)), [f"{v:g}" for v in ys], fontsize=8)
            for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
                if np.isfinite(v):  # dark text on the light (yellow) end of viridis, white on the dark end
                    r, g, b, _ = image.cmap(image.norm(v))
                    dark = 0.299 * r + 0.587 * g + 0.114 * b > 0.5
                    ax.text(j, i, _value(v, outcome), ha="center", va="center", fontsize=7,
                            color="black" if dark else "white")
            fig.colorbar(image, ax=ax, shrink=0.85)
        else:
            cx, cy = cells[x].to_numpy(dtype=float)[finite], cells[y].to_numpy(dtype=float)[finite]
            try:
                filled = ax.tricontourf(cx, cy, values[finite], levels=12, cmap="viridis")
                fig.colorbar(filled, ax=ax, shrink=0.85)
            except (ValueError, RuntimeError):  # too few or collinear points to triangulate
                dots = ax.scatter(cx, cy, c=values[finite], cmap="viridis")
                fig.colorbar(dots, ax=ax, shrink=0.85)
            ax.plot(cx, cy, "k.", markersize=2)
        ax.set_xlabel(words.fit(names(x)), fontsize=8)
        ax.set_ylabel(words.fit(names(y)), fontsize=8)
        title = words.metric(outcome)
        ax.set_title(title.replace(", yuan", ", million yuan").replace("（元）", "（百万元）")
                     if catalogue.is_yuan(outcome) else title, fontsize=9)
        ax.grid(False)
    for ax in axes.flat[len(outcomes):]:
        ax.set_visible(False)
    fig.suptitle(words.t("surface"), fontsize=10)
    tight_layout(fig)
    return fig


def _value(v: float, outcome: str) -> str:
    """A cell's mean: a share in percent, three significant digits otherwise (never an exponent)."""
    if catalogue.is_share(outcome):
        return f"{v * 100:.1f} %"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def sensitivity_plot(sensitivity: pd.DataFrame, words: Words, names: Callable[[str], str] = str) -> Any | None:
    """Bars of the sensitivity indices per outcome: S1 and ST (Sobol') or mu* (Morris), with their CIs."""
    plt = pyplot()
    if {"S1", "ST"} <= set(sensitivity.columns):
        indices = [("S1", "S1_conf"), ("ST", "ST_conf")]
    elif "mu_star" in sensitivity.columns:
        indices = [("mu_star", "mu_star_conf")]
    else:
        return None
    outcomes = list(dict.fromkeys(sensitivity["outcome"].astype(str)))
    if not outcomes:
        return None
    ncols = min(2, len(outcomes))
    nrows = math.ceil(len(outcomes) / ncols)
    params = list(dict.fromkeys(sensitivity["parameter"].astype(str)))
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.5 * ncols, 0.45 * len(params) * nrows + 1.6 * nrows),
                             squeeze=False)
    width = 0.8 / len(indices)
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        sub = sensitivity[sensitivity["outcome"].astype(str) == outcome].set_index("parameter")
        ypos = np.arange(len(params))
        for k, (col, conf) in enumerate(indices):
            vals = np.array([float(sub[col].get(p, math.nan)) for p in params])
            errs = (np.array([float(sub[conf].get(p, math.nan)) for p in params])
                    if conf in sub.columns else None)
            label = col.replace("mu_star", "μ*")
            ax.barh(ypos + (k - (len(indices) - 1) / 2) * width, np.nan_to_num(vals), height=width,
                    xerr=None if errs is None else np.nan_to_num(errs), label=label, color=f"C{k}",
                    error_kw={"elinewidth": 0.8, "capsize": 2})
        ax.set_yticks(ypos, [words.fit(names(p)) for p in params], fontsize=8)
        ax.invert_yaxis()
        ax.axvline(0, color="0.3", linewidth=0.8)
        ax.set_title(words.metric(outcome), fontsize=9)
        ax.legend(fontsize=7)
    for ax in axes.flat[len(outcomes):]:
        ax.set_visible(False)
    fig.suptitle(words.t("sensitivity"), fontsize=10)
    tight_layout(fig)
    return fig
