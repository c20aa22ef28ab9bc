"""The robustness section: does the ranking of the variants survive what nobody knows?

Written by ``run --robustness N`` into its results folder as ``report.html``
(self-contained, in the layout of a run's report) with ``robustness.png``: the uncertain parameters with their
ranges and provenance, per variant the share of points where it is best on the
primary metric, its regret (mean and worst), its ranks, whether the ranking
changes within the ranges, and a plot of each variant's regret at every point
against the most influential uncertain parameter. A run's report merges the
same folder as "What this answer depends on" (:mod:`sim.report.depends`) and
links to this page.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.model import catalogue
from sim.plotting.labels import metric_label
from sim.plotting.style import pyplot, tight_layout
from sim.results.output import write_file, write_text

if TYPE_CHECKING:
    from sim.analysis.robustness import RobustnessOutcome
    from sim.scenario.schema import Scenario

MARKERS = "os^Dv<>PX*"


def regret_plot(outcome: RobustnessOutcome, path: Path) -> None:
    """Regret of each variant at every point against the most influential uncertain parameter."""
    plt = pyplot()
    rob = outcome.robustness
    param = next(iter(outcome.influence), None)
    table = outcome.values.merge(rob.points, on="point")
    x = param if param is not None else "point"
    fig, ax = plt.subplots(figsize=(8, 4.5))
    styles = ["-", "--", ":", "-."]
    for k, (name, group) in enumerate(table.groupby("variant", sort=False)):
        group = group.sort_values(x)
        ax.plot(group[x], group["regret"], marker=MARKERS[k % len(MARKERS)], linestyle=styles[k % len(styles)],
                linewidth=0.8, markersize=5, label=str(name), alpha=0.85)
    ax.axhline(rob.mid, color="grey", linewidth=0.8, linestyle=":")
    ax.annotate(f"minimal important difference ({rob.mid:g})", (0.99, rob.mid), xycoords=("axes fraction", "data"),
                fontsize=8, color="dimgrey", va="bottom", ha="right",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
    ax.set_xlabel(x + (f" (|Spearman| with regret {outcome.influence[param]:.2f})" if param else ""))
    ax.set_ylabel(f"regret on {rob.metric} (distance from the best)")
    ax.set_title("Regret of each variant at each point of the declared uncertainty")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    tight_layout(fig)
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def verdict_text(outcome: RobustnessOutcome) -> str:
    rob = outcome.robustness
    if not rob.reversals:
        return (f"The ranking holds within the ranges: no pair of variants swaps order on "
                f"{metric_label(rob.metric, 'en')} by more than "
                f"{rob.mid:g} at any of the {len(outcome.values)} points.")
    a, b, pa, pb = rob.reversals[0]
    return (f"The ranking changes within the ranges: {len(rob.reversals)} pair(s) of variants swap order by more "
            f"than {rob.mid:g}, e.g. {a} is ahead of {b} at point {pa} and behind it at point {pb}.")


def robustness_context(out: Path, base: Scenario, outcome: RobustnessOutcome, png: Path) -> dict[str, Any]:
    """What the robustness page shows, for templates/robustness.html.j2 (the run report's layout)."""
    from sim import __version__
    from sim.report.build import embed
    from sim.report.numbers import number
    from sim.report.tables import Table, digits_for, fmt
    from sim.report.text import vocabulary

    rob = outcome.robustness
    name = base.labels.variant
    metric = rob.metric

    def regret(value: float) -> str:  # a distance in the metric's unit (percentage points for a share)
        shown = value * 100 if catalogue.is_share(metric) else value
        return number(value, metric, digits_for(shown), signed=False) + (" pp" if catalogue.is_share(metric) else "")

    rows = [[name(str(r.variant), "en"), f"{r.best_share:.0%}", f"{r.wins:,}", f"{r.ties:,}", regret(r.regret_mean),
             regret(r.regret_worst), str(r.rank_best) if r.rank_best == r.rank_worst else f"{r.rank_best}–{r.rank_worst}",
             f"{fmt(r.metric_mean, metric, 'en')} ({fmt(r.metric_low, metric, 'en')} – {fmt(r.metric_high, metric, 'en')})"]
            for r in rob.variants.itertuples()]
    variants = Table(["variant", "best at (share of points)", "wins", "ties", "mean regret", "worst regret", "rank",
                      f"{metric_label(metric, 'en')}: mean (lowest – highest)"], rows, [False] * len(rows))
    ranges = [[p.label, ", ".join(p.paths), p.how, f"{p.low:g} – {p.high:g}" + (" (whole)" if p.integer else ""),
               p.provenance] for p in base.uncertainty]
    influence = [[k, f"{v:.2f}"] for k, v in outcome.influence.items()]
    command = " ".join(outcome_command(out))
    return {
        "w": vocabulary("en"), "lang": "en", "title": "Robustness", "name": base.name, "version": __version__,
        "subtitle": f"{out} · {len(outcome.values)} points · {base.replications} replication(s) · seed {base.seed}",
        "contents": [("robustness", "Ranking under uncertainty"), ("uncertain", "Uncertain parameters"),
                     ("influence", "Influence"), ("reproduce", "How to reproduce")],
        "description": base.description.strip(), "metric": metric_label(metric, "en"), "mid": f"{rob.mid:g}",
        "direction": "lower" if rob.direction < 0 else "higher", "points": len(outcome.values),
        "replications": base.replications, "seed": base.seed, "verdict": verdict_text(outcome),
        "variants": variants,
        "ranges": Table(["parameter", "paths", "how", "range", "provenance"], ranges, [False] * len(ranges),
                        text_columns=5),
        "influence": Table(["parameter", "|ρ|"], influence, [False] * len(influence)),
        "figure": embed("robustness", "Regret of each variant at each point of the declared uncertainty",
                        png.read_bytes()),
        "command": command, "folder": str(out.resolve()),
    }


def write_robustness_report(out: Path, base: Scenario, outcome: RobustnessOutcome) -> Path:
    """robustness.png and report.html in ``out`` (in the run report's layout); returns the report's path."""
    from sim.report.build import render

    png = out / "robustness.png"
    write_file(png, lambda p: regret_plot(outcome, p))
    target = out / "report.html"
    write_text(target, render(robustness_context(out, base, outcome, png), "robustness.html.j2"))
    return target


def outcome_command(out: Path) -> list[str]:
    import json

    try:
        return [str(c) for c in json.loads((out / "manifest.json").read_text(encoding="utf-8")).get("command") or []]
    except (OSError, ValueError):
        return []
