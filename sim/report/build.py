"""Gathering the report's content from a results folder, and rendering it with Jinja2."""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sim import __version__
from sim.model import catalogue
from sim.plotting import ResultsFolder, make_plots
from sim.plotting.counties import county_names
from sim.plotting.labels import Lang
from sim.report.counties import county_table
from sim.report.decisions import discovery_section, optimization_section
from sim.report.decisions import title as section_title
from sim.report.depends import depends_section, find_robustness
from sim.report.held_back import held_back_section
from sim.report.parameters import load_resolved, parameter_rows, variant_differences
from sim.report.scorecard import build_scorecard
from sim.report.scorecard_view import scorecard_view
from sim.report.secondary import (
    Source,
    design_sentence,
    design_table,
    outcome_table,
    sensitivity_table,
    sweep_source,
)
from sim.report.tables import blocks, comparison_table, headline_table, renamed
from sim.report.text import vocabulary, word
from sim.scenario.loader import LoadedScenario

COUNTY_FIGURES = ("county_resumed", "county_coverage")  # shown in the county section, not with the plots
HELD_FIGURE = "held_back"  # shown in the section on what holds firms back


@dataclass(frozen=True)
class EmbeddedFigure:
    key: str
    title: str
    uri: str  # data:image/png;base64,…
    width: int
    height: int


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return 0, 0
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def embed(key: str, title: str, png: bytes) -> EmbeddedFigure:
    width, height = png_size(png)
    return EmbeddedFigure(key, title, "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
                          width, height)


def build_context(folder: ResultsFolder, lang: Lang, robustness: Path | None = None) -> dict[str, Any]:
    """Everything the template shows, as plain values (``robustness``: a robustness run's folder to merge
    into a run's report; by default the latest one beside it made from the same scenario)."""
    manifest = folder.manifest
    loaded = load_resolved(folder.path)
    source = sweep_source(folder.path, manifest) if folder.is_sweep else None
    plots = make_plots(folder, lang, names=(lambda path: source.name_of(path, lang)) if source else str)
    name = ((loaded.base.name if loaded else None) or manifest.get("scenario")
            or (source.name if source else None) or folder.path.name)
    description = loaded.base.description.strip() if loaded else (source.description if source else "")
    variants = folder.variants() if folder.is_run else []
    ctx: dict[str, Any] = {
        "lang": lang, "w": vocabulary(lang), "title": word("title", lang), "variant_names": {},
        "depends": None, "held_back": None, "base_file": None, "name": name, "description": description, "variants": variants,
        "is_run": folder.is_run, "is_sweep": folder.is_sweep, "version": __version__,
        "figures": [embed(f.key, f.title, f.png.read_bytes()) for f in plots.figures
                    if f.key not in (*COUNTY_FIGURES, HELD_FIGURE)],
        "held_figure": next((embed(f.key, f.title, f.png.read_bytes()) for f in plots.figures
                             if f.key == HELD_FIGURE), None),
        "county_figures": [embed(f.key, f.title, f.png.read_bytes()) for f in plots.figures
                           if f.key in COUNTY_FIGURES],
        "plot_notes": [n for n in plots.notes if "county" not in n],
        "county_notes": [n for n in plots.notes if "county" in n],
        "parameters": parameter_rows(loaded) if loaded else [],
        "differences": variant_differences(loaded) if loaded else None,
        "reproduce": _reproduce(folder, lang),
        "subtitle": _subtitle(folder, lang),
    }
    if folder.is_run:
        ctx.update(_run_context(folder, loaded, variants, lang, robustness))
    if source is not None:
        ctx.update(_sweep_context(folder, source, lang))
    ids = (["scorecard", *(["depends"] if ctx.get("depends") else []), *(["held-back"] if ctx.get("held_back") else []),
            "headline", "comparison", "counties"] if folder.is_run else ["question", "sweep-design"])
    ids += ["plots"] + (["sweep-summary"] if folder.is_sweep else [])
    ids += (["sensitivity"] if folder.is_sweep and ctx.get("sensitivity") else [])
    ids += (["variants"] if folder.is_run else []) + ["parameters", "reproduce"]
    labels = {"question": "question", "scorecard": "scorecard", "depends": "depends", "held-back": "held_back",
              "counties": "counties", "headline": "headline", "comparison": "comparison",
              "sweep-design": "sweep_design", "plots": "plots", "sweep-summary": "sweep_summary",
              "sensitivity": "sensitivity", "variants": "variants", "parameters": "parameters",
              "reproduce": "reproduce"}
    ctx["contents"] = [(i, word(labels[i], lang)) for i in ids]
    ctx["optimization"] = optimization_section(folder.path, source, lang) if source is not None else None
    ctx["discovery"] = discovery_section(folder.path, source, lang)
    for key in ("optimization", "discovery"):
        if ctx[key] is not None:
            ctx["contents"].insert(1, (key, section_title(key, lang)))
            ctx[key]["title"] = section_title(key, lang)
            figure = ctx[key]["figure"]
            ctx[key]["figure"] = embed(figure[0], figure[1], figure[2].read_bytes()) if figure else None
    return ctx


def _run_context(folder: ResultsFolder, loaded: LoadedScenario | None, variants: list[str], lang: Lang,
                 robustness: Path | None) -> dict[str, Any]:
    """The sections of a run's report: scorecard, what the answer depends on, headline, comparison, counties."""
    summary = folder.csv("summary.csv")
    comparison = folder.csv("comparison.csv")
    assert summary is not None  # is_run guarantees it
    ctx: dict[str, Any] = {}
    names = {v: folder.labels.variant(v, lang) for v in variants}
    ctx["variant_names"] = names
    ctx["headline"] = blocks(renamed(headline_table(summary, folder.csv("restart_survival.csv"), variants, lang),
                                     names))
    has_comparison = comparison is not None and len(comparison) > 0
    decision = loaded.base.decision if loaded else None
    ctx["comparison"] = (renamed(comparison_table(comparison, lang, catalogue.headline("comparison"), decision),
                                 names, (0, 1)) if has_comparison else None)
    ctx["comparison_all"] = (renamed(comparison_table(comparison, lang, decision=decision), names, (0, 1))
                             if has_comparison else None)
    card = build_scorecard(summary, variants, decision, horizon=folder.horizon())
    ctx["scorecard"] = scorecard_view(card, lang, folder.labels) if card is not None else None
    found, notes = find_robustness(folder.path, robustness)
    ctx["depends"] = depends_section(folder.path, card, loaded.base.uncertainty if loaded else [], lang,
                                     folder.labels, str(folder.manifest.get("scenario_file") or "FILE"), found,
                                     notes)
    timeseries = folder.csv("timeseries.csv")
    ctx["held_back"] = (held_back_section(timeseries, card, variants, lang, folder.labels, folder.start_date())
                        if timeseries is not None else None)
    counties = county_names(timeseries, folder.county_order()) if timeseries is not None else []
    county_labels = {c: folder.labels.county(c, lang) for c in counties}
    ctx["county_table"] = (blocks(renamed(county_table(timeseries, summary, counties, variants, folder.start_date(),
                                                       lang), {**names, **county_labels}, (0,)))
                           if timeseries is not None and len(counties) > 1 else None)
    return ctx


def _subtitle(folder: ResultsFolder, lang: Lang) -> str:
    m = folder.manifest
    parts = [str(folder.path)]
    if m.get("finished_at"):
        parts.append(str(m["finished_at"]))
    if m.get("replications"):
        parts.append(f"{word('replications', lang)}: {m['replications']}")
    return " · ".join(parts)


def _reproduce(folder: ResultsFolder, lang: Lang) -> list[tuple[str, str]]:
    m = folder.manifest
    rows: list[tuple[str, str]] = []
    command = m.get("command")
    if command:
        rows.append((word("command", lang), " ".join(str(c) for c in command)))
    if folder.has("scenario.resolved.yaml"):
        rows.append((word("rerun", lang), f"python -m sim run {folder.path / 'scenario.resolved.yaml'}"))
    for key, label in (("seed", "seed"), ("replications", "replications"), ("package_version", "version"),
                       ("git_commit", "commit"), ("wall_seconds", "wall"), ("events_simulated", "events"),
                       ("finished_at", "finished")):
        if key in m:
            value = m[key]
            rows.append((word(label, lang), f"{value:,}" if isinstance(value, int) and key != "seed" else str(value)))
    rows.append((word("folder", lang), str(folder.path.resolve())))
    return rows


def _sweep_context(folder: ResultsFolder, source: Source, lang: Lang) -> dict[str, Any]:
    """The design, outcomes and sensitivity of a sweep (or of an optimisation's search), in words."""
    m = folder.manifest
    params = [p for p in m.get("parameters", []) if isinstance(p, dict)]
    paths = [str(p.get("path")) for p in params]
    outcomes = [str(o) for o in m.get("outcomes") or []]
    summary = folder.csv("summary.csv")
    sensitivity = folder.csv("sensitivity.csv")
    return {
        "sweep_design": design_table(params, source, lang),
        "design_text": design_sentence(m.get("design") or {}, outcomes, lang),
        "base_file": source.base_file,
        "sweep_summary": outcome_table(summary, paths, outcomes, source, lang) if summary is not None else None,
        "sensitivity": (sensitivity_table(sensitivity, source, lang)
                        if sensitivity is not None and len(sensitivity) else None),
    }


def render(context: dict[str, Any], template: str = "report.html.j2") -> str:
    """A report page's HTML from its template (autoescaped; every page extends templates/base.html.j2)."""
    import jinja2

    def source(name: str) -> str:
        return resources.files("sim.report").joinpath("templates", name).read_text(encoding="utf-8")

    env = jinja2.Environment(loader=jinja2.FunctionLoader(source), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.get_template(template).render(**context)
