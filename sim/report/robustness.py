"""The robustness section: does the ranking of the variants survive what nobody knows?

Written by ``run --robustness N`` into its results folder as ``report.html``
(self-contained) with ``robustness.png``: the uncertain parameters with their
ranges and provenance, per variant the share of points where it is best on the
primary metric, its regret (mean and worst), its ranks, whether the ranking
changes within the ranges, and a plot of each variant's regret at every point
against the most influential uncertain parameter.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import TYPE_CHECKING

from sim.plotting.style import pyplot
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
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def verdict_text(outcome: RobustnessOutcome) -> str:
    rob = outcome.robustness
    if not rob.reversals:
        return (f"The ranking holds within the ranges: no pair of variants swaps order on {rob.metric} by more than "
                f"{rob.mid:g} at any of the {len(outcome.values)} points.")
    a, b, pa, pb = rob.reversals[0]
    return (f"The ranking changes within the ranges: {len(rob.reversals)} pair(s) of variants swap order by more "
            f"than {rob.mid:g}, e.g. {a} is ahead of {b} at point {pa} and behind it at point {pb}.")


def write_robustness_report(out: Path, base: Scenario, outcome: RobustnessOutcome) -> Path:
    """robustness.png and report.html in ``out``; returns the report's path."""
    png = out / "robustness.png"
    write_file(png, lambda p: regret_plot(outcome, p))
    rob = outcome.robustness
    ranges = [[p.label, ", ".join(p.paths), p.how, f"{p.low:g} – {p.high:g}" + (" (whole)" if p.integer else ""),
               p.provenance] for p in base.uncertainty]
    rows = [[str(r.variant), f"{r.best_share:.0%}", str(r.wins), str(r.ties), f"{r.regret_mean:.2f}",
             f"{r.regret_worst:.2f}",
             str(r.rank_best) if r.rank_best == r.rank_worst else f"{r.rank_best}–{r.rank_worst}",
             f"{r.metric_mean:.2f} ({r.metric_low:.2f} – {r.metric_high:.2f})"] for r in rob.variants.itertuples()]
    influence_rows = [[k, f"{v:.2f}"] for k, v in outcome.influence.items()]
    image = base64.b64encode(png.read_bytes()).decode("ascii")
    title = f"Robustness — {base.name}"
    body = f"""<h1>{html.escape(title)}</h1>
<p>{html.escape(base.description.strip())}</p>
<section id="robustness"><h2>Does the ranking survive what nobody knows?</h2>
<p>Every variant was run at {len(outcome.values)} Latin-hypercube points of the uncertain parameters below
(seed {base.seed}), {base.replications} replication(s) each on common random numbers. At each point the variants
are compared on <b>{html.escape(rob.metric)}</b> ({'lower' if rob.direction < 0 else 'higher'} is better); variants
within the minimal important difference ({rob.mid:g}) of the best share that point, so a tie is never a win.
Regret is the distance from the best variant at that point.</p>
<p><b>{html.escape(verdict_text(outcome))}</b></p>
{_table(["variant", "best at (share of points)", "wins", "ties", "mean regret", "worst regret", "rank",
         f"{rob.metric}: mean (lowest – highest)"], rows)}
<img src="data:image/png;base64,{image}" alt="regret per point" style="max-width:100%">
<h3>Uncertain parameters</h3>
{_table(["parameter", "paths", "how", "range", "provenance"], ranges)}
<h3>Influence on regret (largest |Spearman| over variants)</h3>
{_table(["parameter", "|rho|"], influence_rows)}
<p>Tables: robustness.csv (per variant), robustness_points.csv (per point and variant),
robustness_runs.csv (per run). Command: <code>{html.escape(' '.join(outcome_command(out)))}</code></p>
</section>"""
    page = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
            ".scroll{overflow-x:auto}table{border-collapse:collapse;margin:1em 0}"
            "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#eef}</style></head>"
            f"<body>{body}</body></html>\n")
    target = out / "report.html"
    write_text(target, page)
    return target


def outcome_command(out: Path) -> list[str]:
    import json

    try:
        return [str(c) for c in json.loads((out / "manifest.json").read_text(encoding="utf-8")).get("command") or []]
    except (OSError, ValueError):
        return []
