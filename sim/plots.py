"""Plots of a run (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.model.world import RunResult


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def resumption_plot(results: list[RunResult], path: Path, series: str = "resumed_share",
                    title: str = "Resumption rate: share of enterprises open") -> None:
    """Mean curve per variant with a 95% band over replications (normal approximation)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    variants = list(dict.fromkeys(r.variant for r in results))
    for name in variants:
        runs = np.array([r.series[series] for r in results if r.variant == name])
        day = next(r.series["day"] for r in results if r.variant == name)
        mean = runs.mean(axis=0)
        line, = ax.plot(day, mean, label=f"{name} (n={len(runs)})")
        if len(runs) > 1:
            half = 1.96 * runs.std(axis=0, ddof=1) / np.sqrt(len(runs))
            ax.fill_between(day, mean - half, mean + half, color=line.get_color(), alpha=0.2, linewidth=0)
    ax.set_xlabel("day since start")
    ax.set_ylabel("share")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
