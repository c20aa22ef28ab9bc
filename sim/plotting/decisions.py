"""Plots of an optimisation (the Pareto front) and of a scenario discovery (PRIM's peeling trajectory).

Drawn from the files the commands write (candidates.csv, pareto.csv,
recommendation.json; discovery/trajectory.csv and boxes.csv), in the look of
the other plots, as PNG and SVG under ``plots/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sim.plotting.labels import Lang
from sim.plotting.style import pyplot, tight_layout, use_language

PARETO_KEY = "pareto_front"
PEELING_KEY = "peeling_trajectory"


def pareto_plot(candidates: Any, pareto: Any, rec: dict[str, Any]) -> Any | None:
    """Primary objective against each other objective: every feasible candidate, the front, the choice."""
    plt = pyplot()
    objectives = list(rec["objectives"])
    primary = rec["primary"]
    others = [o for o in objectives if o != primary]
    if not others:
        return None
    feasible = candidates[candidates["feasible"].astype(bool)]
    fig, axes = plt.subplots(1, len(others), figsize=(5.4 * len(others), 4.3), squeeze=False)
    for ax, other in zip(axes[0], others, strict=True):
        ax.scatter(feasible[f"{other}_mean"], feasible[f"{primary}_mean"], s=14, color="0.7",
                   label="candidates (search)")
        front = feasible[feasible["pareto"].astype(bool)].sort_values(f"{other}_mean")
        # with three or more objectives the front is not a curve in any one projection: points, no line
        ax.plot(front[f"{other}_mean"], front[f"{primary}_mean"], "o" if len(objectives) > 2 else "o-",
                color="#1f77b4", ms=5, label="Pareto front (search)")
        if f"{primary}_ci_low" in pareto.columns:
            ax.errorbar(pareto[f"{other}_mean"], pareto[f"{primary}_mean"],
                        yerr=[pareto[f"{primary}_mean"] - pareto[f"{primary}_ci_low"],
                              pareto[f"{primary}_ci_high"] - pareto[f"{primary}_mean"]],
                        fmt="none", ecolor="#1f77b4", alpha=0.6, label="re-run: 95% CI")
        best = pareto[pareto["selected"].astype(bool)]
        ax.scatter(best[f"{other}_mean"], best[f"{primary}_mean"], marker="*", s=220, color="#d62728",
                   zorder=5, label="selected")
        base = rec.get("base")
        if base:
            ax.scatter([base["objectives"][other]["mean"]], [base["objectives"][primary]["mean"]], marker="D",
                       s=60, color="black", zorder=5, label="base scenario")
        ax.set_xlabel(f"{other} ({rec['objectives'][other]['direction']})")
        ax.set_ylabel(f"{primary} ({rec['objectives'][primary]['direction']})")
        ax.legend(loc="best")
    fig.suptitle("Optimisation: objectives of the candidates within the budget")
    tight_layout(fig)
    return fig


def write_pareto_plot(folder: Path, lang: Lang = "en") -> Path | None:
    """plots/pareto_front.png (and .svg) of an optimisation folder; None if it cannot be drawn."""
    import pandas as pd

    from sim.plotting import save

    if not (folder / "recommendation.json").is_file():
        return None
    use_language(lang)
    rec = json.loads((folder / "recommendation.json").read_text(encoding="utf-8"))
    fig = pareto_plot(pd.read_csv(folder / "candidates.csv"), pd.read_csv(folder / "pareto.csv"), rec)
    if fig is None:
        return None
    return save(fig, folder / "plots", PARETO_KEY, "Pareto front").png


def peeling_plot(trajectory: Any, boxes: Any) -> Any:
    """PRIM's peeling trajectory: density against coverage, coloured by the restricted dimensions."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.2, 4.6))
    for box, part in trajectory.groupby("box"):
        sc = ax.scatter(part["coverage"], part["density"], c=part["restricted"], cmap="viridis", s=16,
                        label=f"box {box} trajectory")
    chosen = boxes.drop_duplicates("box")
    ax.scatter(chosen["coverage"], chosen["density"], marker="*", s=220, color="#d62728", zorder=5,
               label="box chosen")
    for _, row in chosen.iterrows():
        ax.annotate(f"box {int(row['box'])}", (row["coverage"], row["density"]), textcoords="offset points",
                    xytext=(6, 6), fontsize=8)
    fig.colorbar(sc, ax=ax, label="parameters restricted")
    ax.set_xlabel("coverage (share of the cases of interest inside the box)")
    ax.set_ylabel("density (share of the box's points that are cases)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower left")
    fig.suptitle("Scenario discovery: PRIM peeling trajectory")
    tight_layout(fig)
    return fig


def write_peeling_plot(folder: Path, lang: Lang = "en") -> Path | None:
    """plots/peeling_trajectory.png (and .svg) of a sweep folder with a discovery; None if none."""
    import pandas as pd

    from sim.plotting import save

    trajectory, boxes = folder / "discovery" / "trajectory.csv", folder / "discovery" / "boxes.csv"
    if not trajectory.is_file() or not boxes.is_file():
        return None
    use_language(lang)
    fig = peeling_plot(pd.read_csv(trajectory), pd.read_csv(boxes))
    return save(fig, folder / "plots", PEELING_KEY, "PRIM peeling trajectory").png
