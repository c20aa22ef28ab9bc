"""The workbench page: controls of the levers on the left, the run and its results on the right.

Every change of a control is checked at once by loading the what-if file it would save
(:meth:`sim.app.whatifs.Workspace.check`): a bad value shows the message of ``python -m sim
validate`` and "Run" waits until it is fixed. "Run" saves the what-if and queues it
(:class:`sim.app.runs.RunQueue`); the page looks at the queue twice a second and redraws only when
the run has news, so the server is never busy for long and the page stays responsive.
"""

from __future__ import annotations

import html
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource, NumeralTickFormatter, Range1d
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

from sim.app import live
from sim.app.levers import CHOSEN_BY_NAME, Group, Lever, lever_groups
from sim.app.runs import Run, RunQueue
from sim.app.whatifs import Saved, WhatIf, Workspace, results_folder, whatif_of
from sim.errors import InputError
from sim.scenario.loader import LoadedScenario
from sim.scenario.overrides import apply_overrides

TICK_MS = 500
# While a run goes on, the curves are redrawn at most once per this many times the last redraw took, so that a
# long run (many replications, each redraw longer) never keeps the server or the browser busy; progress and
# status follow every tick.
REDRAW_SPACING = 4.0
# ... and never twice within this many seconds: the browser redraws every curve shown for each update, and on a
# busy machine that takes longer than the server's part (measured: a page of 16 curves kept Chromium's page
# thread busy for over 120 s at a time while a run sent results twice a second, on 2 cores at load 6).
REDRAW_MIN_SECONDS = 2.0
STATIC = "whatifs"  # the URL path of the what-ifs folders (reports are opened from there)
CSS = """
.verdict-better { background: #e3f4e3; } .verdict-worse { background: #fbe3e3; }
.verdict-negligible { background: #f2f2f2; } .verdict-uncertain { background: #fff6db; }
table { border-collapse: collapse; font-size: 13px; } td, th { border: 1px solid #ddd; padding: 3px 6px; }
small.provenance { color: #666; }
"""


def slug(path: str) -> str:
    """A CSS class for a lever's path: ``cadres.liaisons.count`` → ``lever-cadres-liaisons-count``."""
    return "lever-" + re.sub(r"[^A-Za-z0-9_]+", "-", path).strip("-")


class Workbench:
    """One browser session's page for one base scenario's what-ifs."""

    def __init__(self, workspace: Workspace, queue: RunQueue, run_words: list[str]) -> None:
        self.workspace = workspace
        self.queue = queue
        self.run_words = run_words  # options added to the command line shown (executor, workers)
        self.base = workspace.base
        self.start = self.base.base.start_date
        self.groups = lever_groups(self.base)
        self.controls: dict[str, tuple[Lever, Any]] = {}
        self.reference: dict[str, Any] = {}  # lever path -> the value a change is measured against
        self.switched: dict[str, str] = {}  # section -> procedure or policy chosen instead of the base's
        self.quiet = False  # while the page sets controls itself
        self.run_id: int | None = None
        self.seen = -1
        self.drawn_at = 0.0  # time.monotonic() of the last redraw of a running what-if's results
        self.draw_seconds = 0.0  # how long it took
        self.checked: LoadedScenario | None = None
        self.shown: LoadedScenario | None = None  # the scenario whose results are shown
        self.sources: dict[tuple[str, str], ColumnDataSource] = {}
        self.figures: dict[str, Any] = {}
        self.snapshot: live.Snapshot | None = None  # the results shown (drawn again when More series opens)
        self._build()

    # -- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.name = pn.widgets.TextInput(name="What-if name", value=self.workspace.next_name(),
                                         css_classes=["whatif-name"])
        self.note = pn.widgets.TextAreaInput(name="Note (the question it answers)", height=70,
                                             css_classes=["whatif-note"])
        self.replications = pn.widgets.IntInput(name="Replications (per variant)",
                                                value=self.base.base.replications, css_classes=["whatif-replications"])
        for w in (self.name, self.note, self.replications):
            w.param.watch(lambda event: self._changed(), "value")
        self.cards = pn.Column(*[self._card(g) for g in self.groups], sizing_mode="stretch_width")
        self.errors = pn.pane.Alert("", alert_type="danger", visible=False, css_classes=["input-errors"],
                                    sizing_mode="stretch_width")
        self.run_button = pn.widgets.Button(name="Run", button_type="primary", css_classes=["run-button"])
        self.cancel_button = pn.widgets.Button(name="Cancel", button_type="warning", disabled=True,
                                               css_classes=["cancel-button"])
        self.run_button.on_click(lambda event: self._run())
        self.cancel_button.on_click(lambda event: self._cancel())
        self.progress = pn.indicators.Progress(value=0, max=1, sizing_mode="stretch_width", css_classes=["progress"])
        self.status = pn.pane.HTML("<p class='status'>Change a lever, then Run: the what-if is compared with the "
                                   "base on common random numbers.</p>", sizing_mode="stretch_width")
        self.command = pn.widgets.TextInput(name="Command that reproduces it", value="", css_classes=["command"],
                                            sizing_mode="stretch_width")
        copy = pn.widgets.Button(name="Copy command", css_classes=["copy-command"])
        copy.js_on_click(args={"source": self.command}, code="navigator.clipboard.writeText(source.value);")
        self.report = pn.pane.HTML("", css_classes=["report-link"])
        self.saved = pn.widgets.Select(name="Saved what-ifs", options=self._saved_options(), css_classes=["saved"])
        reopen = pn.widgets.Button(name="Open", css_classes=["open-saved"])
        reopen.on_click(lambda event: self._open(self.saved.value))
        self.main = pn.Column(sizing_mode="stretch_width", css_classes=["curves"])
        # drawn only while open: each curve costs the browser a redraw on every update
        self.more = pn.Card(pn.Column(), title="More series", collapsed=True, sizing_mode="stretch_width")
        self.more.param.watch(lambda event: self._show(self.snapshot), "collapsed")
        self.curves_note = pn.pane.HTML("<p class='curves-status'>No results yet.</p>")
        self.scorecard = pn.pane.HTML(live.scorecard_html(live.Snapshot([], {}, 0)), sizing_mode="stretch_width",
                                      css_classes=["scorecard-pane"])
        self.counties = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["county-pane"])
        results = pn.Tabs(("Curves", pn.Column(self.curves_note, self.main, self.more, sizing_mode="stretch_width")),
                          ("Scorecard", self.scorecard), ("Counties", self.counties), dynamic=False,
                          sizing_mode="stretch_width")
        self.sidebar = pn.Column(
            pn.pane.Markdown(f"**Base:** `{self.workspace.base_file}`  \n{html.escape(self.base.base.description)}"),
            self.name, self.note, self.replications, self.cards, width=380)
        self.body = pn.Column(
            pn.Row(self.run_button, self.cancel_button, self.progress, sizing_mode="stretch_width"),
            self.errors, self.status, pn.Row(self.command, copy, self.report, sizing_mode="stretch_width"),
            pn.Row(self.saved, reopen), results, sizing_mode="stretch_width")
        self.ticks = pn.state.add_periodic_callback(self._tick, period=TICK_MS)
        self._changed()

    def close(self) -> None:
        """Stop looking at the queue (another scenario file was picked); runs go on."""
        self.ticks.stop()

    def view(self) -> Any:
        return pn.Row(self.sidebar, self.body, sizing_mode="stretch_width", stylesheets=[CSS])

    def _card(self, group: Group) -> Any:
        widgets = [self._control(lever) for lever in group.levers]
        if not widgets:
            widgets = [pn.pane.HTML("<small>This scenario declares none.</small>")]
        return pn.Card(pn.pane.HTML(f"<i>{html.escape(group.question)}</i>"), *widgets, title=group.title,
                       collapsed=group.title != self.groups[0].title, sizing_mode="stretch_width",
                       css_classes=["group"])

    def _control(self, lever: Lever) -> Any:
        label = f"{lever.label} ({lever.unit})" if lever.unit else lever.label
        common: dict[str, Any] = {"name": label, "css_classes": ["lever", slug(lever.path)],
                                  "description": f"{lever.meaning} — {lever.provenance}", "sizing_mode": "stretch_width"}
        widget: Any
        if lever.kind == "bool":
            common.pop("description")  # a check box has no tooltip; its provenance line is below it
            widget = pn.widgets.Checkbox(value=bool(lever.value), **common)
        elif lever.kind == "int":
            widget = pn.widgets.IntInput(value=lever.value, **common)
        elif lever.kind == "float":
            widget = pn.widgets.FloatInput(value=lever.value, **common)
        elif lever.kind == "date":
            widget = pn.widgets.DatePicker(value=lever.value, **common)
        elif lever.kind == "choice":
            widget = pn.widgets.Select(options=list(lever.choices), value=lever.value, **common)
        else:
            widget = pn.widgets.MultiChoice(options=list(lever.choices), value=list(lever.value), **common)
        self.controls[lever.path] = (lever, widget)
        self.reference.setdefault(lever.path, lever.value)
        widget.param.watch(lambda event, path=lever.path: self._lever_changed(path), "value")
        provenance = pn.pane.HTML(f"<small class='provenance'>{html.escape(lever.unit or 'unit: –')} · "
                                  f"{html.escape(lever.provenance)}</small>", margin=(0, 10, 6, 10))
        return pn.Column(widget, provenance, sizing_mode="stretch_width")

    # -- the what-if ------------------------------------------------------------------------

    def _lever_changed(self, path: str) -> None:
        section = path.rsplit(".", 1)[0]
        if path.endswith(".name") and section in CHOSEN_BY_NAME and not self.quiet:
            self._switch(section, self.controls[path][1].value)
        self._changed()

    def _switch(self, section: str, chosen: str) -> None:
        """Another procedure or coverage policy: its own parts, at their defaults, replace the card's."""
        name_path = f"{section}.name"
        base_name = self.reference[name_path]
        if chosen == base_name:
            self.switched.pop(section, None)
            groups = lever_groups(self.base)
        else:
            self.switched[section] = chosen
            try:
                groups = lever_groups(apply_overrides(self.base, {name_path: chosen}))
            except InputError:
                return
        for i, group in enumerate(groups):
            if any(lv.path == name_path for lv in group.levers):
                for lever in group.levers:
                    if lever.path != name_path:
                        self.reference[lever.path] = lever.value
                        self.controls.pop(lever.path, None)
                self.quiet = True
                try:
                    card = self._card(Group(group.title, group.question, group.levers))
                    card.collapsed = False
                    self.cards[i] = card
                finally:
                    self.quiet = False

    def whatif(self) -> WhatIf:
        """The what-if the controls describe: only the values that differ from the base."""
        changes: dict[str, Any] = {}
        for section, chosen in self.switched.items():
            changes[f"{section}.name"] = chosen
        data = self.workspace.data
        for path, (lever, widget) in self.controls.items():
            value = widget.value
            if path in changes or _same(value, self.reference.get(path)):
                continue
            changes.update(lever.changes(value, data))
        reps = self.replications.value
        return WhatIf((self.name.value or "").strip(), self.note.value or "", changes,
                      reps if reps != self.base.base.replications else None)

    def _changed(self) -> None:
        """Check the what-if as its file would be checked; show every problem, or none."""
        if self.quiet:
            return
        whatif = self.whatif()
        path = self.workspace.path_of(whatif.name) if whatif.name else None
        if path is not None and path.exists() and path.read_text(encoding="utf-8") != self._text(whatif):
            self.quiet = True  # a saved what-if is never changed: the edit becomes a new one
            self.name.value = self.workspace.next_name()
            self.quiet = False
            whatif = self.whatif()
        try:
            self.checked = self.workspace.check(whatif)
        except InputError as exc:
            self.checked = None
            self.errors.object = f"<pre class='input-error'>{html.escape(exc.render())}</pre>"
            self.errors.visible = True
            self.run_button.disabled = True
            return
        self.errors.visible = False
        self.errors.object = ""
        self.run_button.disabled = False

    def _text(self, whatif: WhatIf) -> str:
        try:
            return self.workspace.text(whatif)
        except InputError:
            return ""

    # -- running ----------------------------------------------------------------------------

    def _run(self) -> None:
        whatif = self.whatif()
        try:
            loaded = self.workspace.check(whatif)
            path = self.workspace.save(whatif)
        except InputError as exc:
            self.errors.object = f"<pre class='input-error'>{html.escape(exc.render())}</pre>"
            self.errors.visible = True
            return
        out = results_folder(path)
        self.command.value = self.workspace.command(path, self.run_words)
        self.shown = loaded
        self._clear_results()
        if (out / "manifest.json").is_file():  # run before: its results are there
            self.run_id = None
            self._show_folder(out, loaded, f"'{whatif.name}' was run before; its results are shown.")
            return
        run = self.queue.submit(whatif.name, path, out, len(loaded.all_variants()) * loaded.base.replications)
        self.run_id, self.seen = run.id, -1
        self.drawn_at, self.draw_seconds = 0.0, 0.0
        self.cancel_button.disabled = False
        self._refresh_saved()

    def _cancel(self) -> None:
        if self.run_id is not None:
            self.queue.cancel(self.run_id)
            self.status.object = "<p class='status'>Cancelling: the replications that finished are kept…</p>"

    def _tick(self) -> None:
        if self.run_id is None:
            return
        version = self.queue.version(self.run_id)
        if version == self.seen:
            return
        run = self.queue.get(self.run_id)
        if run is None or self.shown is None:
            return
        self.progress.max = max(run.total, 1)
        self.progress.value = min(len(run.results), self.progress.max)
        self.status.object = f"<p class='status status-{run.state}'>{html.escape(self._status(run))}</p>"
        if run.state == "finished":
            self._show_folder(run.out, self.shown, run.message)
        elif run.done or time.monotonic() - self.drawn_at >= max(REDRAW_SPACING * self.draw_seconds,
                                                                 REDRAW_MIN_SECONDS):
            began = time.monotonic()
            self._show(live.from_results(run.results, self.shown))
            self.drawn_at = time.monotonic()
            self.draw_seconds = self.drawn_at - began
        else:
            return  # drawn too recently: a later tick draws what has arrived by then
        self.seen = version
        if run.done:
            self.cancel_button.disabled = True
            self._refresh_saved()

    def _status(self, run: Run) -> str:
        if run.state == "queued":
            return f"'{run.name}' is queued: {self.queue.queued_before(run.id)} run(s) before it."
        if run.state == "running":
            return f"Running '{run.name}': {len(run.results)} of {run.total} replications arrived."
        return f"'{run.name}': {run.message}"

    def _show_folder(self, out: Path, loaded: LoadedScenario, message: str) -> None:
        self._show(live.from_folder(out, loaded))
        self.status.object = f"<p class='status status-finished'>{html.escape(message)}</p>"
        self.progress.max = 1
        self.progress.value = 1
        if (out / "report.html").is_file():
            rel = out.relative_to(self.workspace.folder.parent)
            self.report.object = (f"<a class='open-report' href='/{STATIC}/{rel.as_posix()}/report.html' "
                                  "target='_blank'>Open in report</a>")

    # -- results ----------------------------------------------------------------------------

    def _clear_results(self) -> None:
        self.snapshot = None
        self.sources.clear()
        self.figures.clear()
        self.main.objects = []
        self.more.objects = [pn.Column()]
        self.report.object = ""
        self.progress.value = 0
        self.curves_note.object = "<p class='curves-status'>Waiting for the first pair of replications…</p>"
        self.scorecard.object = live.scorecard_html(live.Snapshot([], {}, 0))
        self.counties.object = ""

    def _show(self, snap: live.Snapshot | None) -> None:
        """Draw the results: the headline curves, the other series only while "More series" is open."""
        self.snapshot = snap
        if snap is None:
            return
        counts = ", ".join(f"{v}: {n}" for v, n in snap.replications.items())
        self.curves_note.object = (f"<p class='curves-status'>Replications so far — {html.escape(counts)}; bands are "
                                   "95 % intervals of the mean over replications.</p>")
        # a variant keeps its colour whichever arrives first: its place among the scenario's variants (base: blue)
        palette = {v: Category10_10[snap.order.get(v, i) % 10] for i, v in enumerate(snap.variants)}
        headlines: list[Any] = []
        more: list[Any] = []
        for key, per_variant in snap.curves.items():
            headline = live.is_headline(key)
            if not headline and self.more.collapsed:
                continue
            new = key not in self.figures
            if new:
                self.figures[key] = self._figure(key)
            for variant, band in per_variant.items():
                data = {"x": np.datetime64(self.start.isoformat()) + np.asarray(band.day, dtype="timedelta64[D]"),
                        "mean": band.mean, "low": np.where(np.isfinite(band.low), band.low, band.mean),
                        "high": np.where(np.isfinite(band.high), band.high, band.mean)}
                source = self.sources.get((key, variant))
                if source is None:
                    source = ColumnDataSource(data)
                    self.sources[(key, variant)] = source
                    fig = self.figures[key]
                    fig.varea("x", "low", "high", source=source, fill_color=palette[variant], fill_alpha=0.2)
                    fig.line("x", "mean", source=source, line_color=palette[variant], line_width=2,
                             legend_label=variant)
                    fig.legend.location = "bottom_right"
                else:
                    source.data = data
            if new:  # shown once drawn: each glyph added to a figure already on the page makes Bokeh walk
                # every model of the page again (a few seconds for a page of curves)
                pane = pn.pane.Bokeh(self.figures[key], sizing_mode="stretch_width")
                (headlines if headline else more).append(pane)
        if headlines:  # added to the page at once: each addition is a walk of the page's models too
            self.main.extend(headlines)
        if more:
            self.more.objects = [pn.Column(*self.more.objects[0].objects, *more, sizing_mode="stretch_width")]
        self.scorecard.object = live.scorecard_html(snap)
        self.counties.object = live.counties_html(snap)

    def _figure(self, key: str) -> Any:
        unit = live.series_unit(key)
        fig = figure(height=260, sizing_mode="stretch_width", x_axis_type="datetime", title=live.series_label(key),
                     tools="pan,wheel_zoom,box_zoom,reset,save")
        fig.yaxis.axis_label = unit
        if unit == "share":
            fig.yaxis.formatter = NumeralTickFormatter(format="0%")
            fig.y_range = Range1d(start=0, end=1.02)  # a band of a share is cut at the possible values
        return fig

    # -- saved what-ifs ---------------------------------------------------------------------

    def _saved_options(self) -> dict[str, str]:
        return {f"{s.name} — {s.status}" + (f" — {s.note[:50]}" if s.note else ""): s.name
                for s in self.workspace.saved()}

    def _refresh_saved(self) -> None:
        self.saved.options = self._saved_options()

    def _open(self, name: str | None) -> None:
        """Set the controls to a saved what-if and show its results (a finished run's, from its folder)."""
        saved = next((s for s in self.workspace.saved() if s.name == name), None)
        if saved is None:
            return
        try:
            whatif, variant = whatif_of(saved, self.workspace)
        except InputError as exc:
            self.errors.object = f"<pre class='input-error'>{html.escape(exc.render())}</pre>"
            self.errors.visible = True
            return
        self._set_controls(whatif, variant)
        self._changed()
        self._show_saved(saved)

    def _set_controls(self, whatif: WhatIf, variant: dict[str, Any]) -> None:
        base = self.workspace.data
        self.quiet = True
        try:
            for section in CHOSEN_BY_NAME:
                chosen = variant_value(variant, f"{section}.name")
                if f"{section}.name" in self.controls and chosen is not None:
                    self.quiet = False
                    self.controls[f"{section}.name"][1].value = chosen
                    self.quiet = True
            self.name.value = whatif.name
            self.note.value = whatif.note
            self.replications.value = whatif.replications or self.base.base.replications
            for lever, widget in list(self.controls.values()):
                try:
                    widget.value = lever.read(variant, base, self.start)
                except (KeyError, IndexError, TypeError, ValueError):
                    continue
        finally:
            self.quiet = False

    def _show_saved(self, saved: Saved) -> None:
        self.command.value = self.workspace.command(saved.path, self.run_words)
        self._clear_results()
        self.run_id = None
        try:
            self.shown = self.workspace.check(self.whatif())
        except InputError:
            return
        if saved.status == "finished":
            self._show_folder(saved.results, self.shown, f"'{saved.name}': finished earlier; its results are shown.")
        else:
            word = "interrupted: Run resumes it" if saved.status == "interrupted" else "not run yet"
            self.status.object = f"<p class='status'>'{html.escape(saved.name)}' is {word}.</p>"


def variant_value(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _same(value: Any, reference: Any) -> bool:
    if isinstance(value, float) and isinstance(reference, int | float):
        return abs(value - float(reference)) < 1e-12
    if isinstance(value, list) and isinstance(reference, list):
        return list(value) == list(reference)
    return bool(value == reference)
