"""What the page shows of a run, from the replications that have arrived or from a finished results folder.

The same layers as the report: bands of every declared daily series (:func:`sim.plotting.folder.bands`;
the series, their labels and units come from the metric catalogue, so a module's new series appears
here by itself), the decision scorecard with verdicts and costs (:mod:`sim.report.scorecard`), and
the county view (:mod:`sim.report.counties`). A replication of the what-if is compared with the
base's replication of the same number only (common random numbers): the scorecard pairs them.
"""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sim.api import scorecard_frame
from sim.model import catalogue
from sim.plotting.folder import Band, bands
from sim.plotting.held_back import PREFIX as HELD_PREFIX
from sim.report.counties import county_table
from sim.report.scorecard import build_scorecard
from sim.report.scorecard_view import ScorecardView, scorecard_view
from sim.report.tables import Table
from sim.results.output import summary_frame, timeseries_frame
from sim.results.run_result import RunResult
from sim.scenario.loader import BASE, LoadedScenario

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Snapshot:
    """The curves, scorecard and county view of the replications so far."""

    variants: list[str]
    replications: dict[str, int]  # per variant
    pairs: int  # replications that every variant has (the scorecard's)
    order: dict[str, int] = field(default_factory=dict)  # every variant of the scenario -> its place (base: 0)
    curves: dict[str, dict[str, Band]] = field(default_factory=dict)  # series -> variant -> band
    scorecard: pd.DataFrame | None = None
    view: ScorecardView | None = None
    counties: Table | None = None


def series_shown(timeseries: pd.DataFrame) -> list[str]:
    """The declared daily series the results hold (a size class's or county's column is not one of them)."""
    return [key for key in catalogue.series() if key in timeseries.columns]


def from_results(results: list[RunResult], loaded: LoadedScenario) -> Snapshot | None:
    """A snapshot of the replications that have arrived (None before the first)."""
    if not results:
        return None
    return snapshot(summary_frame(results), timeseries_frame(results, loaded.base.start_date), loaded)


def from_folder(out: Path, loaded: LoadedScenario) -> Snapshot | None:
    """A finished run's snapshot, read from its results folder's tables."""
    import pandas as pd

    if not (out / "summary.csv").is_file() or not (out / "timeseries.csv").is_file():
        return None
    return snapshot(pd.read_csv(out / "summary.csv"), pd.read_csv(out / "timeseries.csv"), loaded)


def snapshot(summary: pd.DataFrame, timeseries: pd.DataFrame, loaded: LoadedScenario) -> Snapshot:
    variants = [name for name, _ in loaded.all_variants() if name in set(summary["variant"].astype(str))]
    counts = {v: int((summary["variant"].astype(str) == v).sum()) for v in variants}
    sets = [set(summary.loc[summary["variant"].astype(str) == v, "replication"]) for v in variants]
    pairs = len(set.intersection(*sets)) if sets else 0
    snap = Snapshot(variants, counts, pairs, {name: i for i, (name, _) in enumerate(loaded.all_variants())})
    for key in series_shown(timeseries):
        snap.curves[key] = bands(timeseries, key)
    base = loaded.base
    if BASE in variants and len(variants) > 1:
        card = build_scorecard(summary, variants, base.decision, BASE, float(base.horizon_days))
        snap.scorecard = scorecard_frame(card)
        snap.view = scorecard_view(card, "en") if card is not None else None
    counties = [c.name for c in base.counties]
    if all(f"resumed_share_{c}" in timeseries.columns for c in counties):
        with warnings.catch_warnings():  # a county with no firm has no share: shown as such, not warned about
            warnings.simplefilter("ignore", RuntimeWarning)
            snap.counties = county_table(timeseries, summary, counties, variants, base.start_date, "en")
    return snap


# -- as HTML -----------------------------------------------------------------------------------

def scorecard_html(snap: Snapshot) -> str:
    """The scorecard: each variant against the base with its verdict, then the costs."""
    view = snap.view
    if view is None:
        return "<p class='scorecard-empty'>The scorecard appears once the base and the what-if have a replication each.</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in view.header)
    rows = []
    for label, mid, cells in view.rows:
        tds = "".join(f"<td class='verdict-{c.verdict}'>{html.escape(c.text)}<br><b>{html.escape(c.label)}</b>"
                      + (f"<br><small>{html.escape(c.note)}</small>" if c.note else "") + "</td>" for c in cells)
        rows.append(f"<tr><td>{html.escape(label)}</td><td>{html.escape(mid)}</td>{tds}</tr>")
    answer = "".join(f"<p>{html.escape(line)}</p>" for line in view.answer)
    note = (f"<p><small>{snap.pairs} pair(s) of replications on common random numbers. "
            f"{html.escape(view.mids_note)}</small></p>")
    costs = cost_table_html(snap)
    return (f"<div class='scorecard'>{answer}<table class='scorecard-table'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>{note}{costs}</div>")


def cost_table_html(snap: Snapshot) -> str:
    view = snap.view
    if view is None or not view.costs:
        return ""
    tables = "".join(table_html(table, "cost-table") for table in view.costs)  # in blocks of a few variants
    return f"<h4>Costs</h4>{tables}<p><small>{html.escape(view.cost_note)}</small></p>"


def table_html(table: Table, css: str) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table.rows)
    return f"<table class='{css}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def counties_html(snap: Snapshot) -> str:
    if snap.counties is None:
        return "<p>No county series in these results.</p>"
    return table_html(snap.counties, "county-table")


def series_label(key: str) -> str:
    declared = catalogue.series().get(key)
    return declared.label[0] if declared is not None else key


def series_unit(key: str) -> str:
    declared = catalogue.series().get(key)
    return declared.unit if declared is not None else ""


def is_headline(key: str) -> bool:
    """A share of firms or workers at each day (复工率, 复岗率, 达产率 …): the curves shown first. Not a flow,
    an average or a count, nor the share held back by each constraint (those are under "More series")."""
    declared = catalogue.series().get(key)
    return (declared is not None and declared.unit == "share" and declared.kind == "level"
            and not key.startswith(HELD_PREFIX))
