"""Forest plot of paired differences between variants (comparison.csv)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model import catalogue
from sim.plotting.labels import Words
from sim.plotting.style import pyplot, tight_layout

if TYPE_CHECKING:
    import pandas as pd

SIGNIFICANT = 0.05


def forest_plot(comparison: pd.DataFrame, words: Words, palette: dict[str, Any],
                metrics: Sequence[str] | None = None, mids: dict[str, float] | None = None) -> Any | None:
    """One panel per metric: each variant's mean difference from its reference with the 95 % CI.

    Filled markers: Holm-adjusted p < 0.05. Shares are shown in percentage points. A grey band marks
    ± the metric's minimal important difference (``mids``): an interval inside it is negligible.
    None when comparison.csv holds none of ``metrics``.
    """
    mids = mids or {}
    plt = pyplot()
    if metrics is None:
        metrics = catalogue.headline("forest")
    rows = comparison[comparison["metric"].isin(metrics)]
    chosen = [m for m in metrics if m in set(rows["metric"])]
    if not chosen:
        return None
    pairs = list(dict.fromkeys(zip(rows["variant"].astype(str), rows["reference"].astype(str), strict=True)))
    ncols = 2 if len(chosen) > 1 else 1
    nrows = math.ceil(len(chosen) / ncols)
    height = max(1.4, 0.32 * len(pairs) + 0.9)
    fig, axes = plt.subplots(nrows, ncols, figsize=(10, height * nrows + 0.8), squeeze=False)
    for ax, metric in zip(axes.flat, chosen, strict=False):
        sub = rows[rows["metric"] == metric]
        scale = 100.0 if catalogue.is_share(metric) else 1.0
        for y, (variant, reference) in enumerate(pairs):
            match = sub[(sub["variant"].astype(str) == variant) & (sub["reference"].astype(str) == reference)]
            if match.empty:
                continue
            r = match.iloc[0]
            mean, low, high = (float(r[c]) * scale for c in ("mean_difference", "ci_low", "ci_high"))
            p = float(r["p_holm"]) if "p_holm" in r else math.nan
            colour = palette.get(variant, "C0")
            if np.isfinite(low) and np.isfinite(high):
                ax.plot([low, high], [y, y], color=colour, linewidth=2)
            filled = np.isfinite(p) and p < SIGNIFICANT
            ax.plot([mean], [y], marker="o", markersize=6, color=colour,
                    markerfacecolor=colour if filled else "white")
        mid = mids.get(metric, 0.0) * scale
        if mid > 0:
            ax.axvspan(-mid, mid, color="0.85", alpha=0.6, linewidth=0, zorder=0)
        ax.axvline(0, color="0.3", linewidth=0.8)
        ax.set_yticks(range(len(pairs)))
        labels = [words.variant(v) if ref == "base" else f"{words.variant(v)} − {words.variant(ref)}"
                  for v, ref in pairs]
        if "n" in sub.columns and len(sub):  # pairs left out because a threshold was not reached: say so
            full = int(np.nanmax(rows["n"].to_numpy(dtype=float)))
            for y, (variant, reference) in enumerate(pairs):
                n = sub.loc[(sub["variant"].astype(str) == variant) & (sub["reference"].astype(str) == reference), "n"]
                if len(n) and np.isfinite(float(n.iloc[0])) and int(n.iloc[0]) < full:
                    labels[y] += f" ({words.t('pairs_of').format(n=int(n.iloc[0]), total=full)})"
        ax.set_yticklabels(labels, fontsize=8)
        ax.set_ylim(len(pairs) - 0.5, -0.5)
        unit = " (pp)" if scale == 100.0 and words.lang == "en" else (" (百分点)" if scale == 100.0 else "")
        ax.set_title(words.metric(metric) + unit, fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
    for ax in axes.flat[len(chosen):]:
        ax.set_visible(False)
    note = ("filled marker: Holm-adjusted p < 0.05; bars: 95 % CI of the paired mean difference; grey band: "
            "± the minimal important difference (an interval inside it is negligible); n/N pairs: the other "
            "replications did not reach the threshold"
            if words.lang == "en" else
            "实心点：Holm校正后 p < 0.05；横线：配对均值差的95%置信区间；灰色带：± 最小重要差异（区间落在其内即可忽略）；n/N对：其余重复运行未达到阈值")
    fig.suptitle(words.t("forest") + "\n" + words.t("difference"), fontsize=10)
    fig.text(0.01, 0.005, note, fontsize=7, color="0.4")
    tight_layout(fig, rect=(0, 0.03, 1, 1))
    return fig
