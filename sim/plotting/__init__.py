"""Plots of a results folder, as PNG and SVG under ``plots/``, in English or Chinese.

:func:`make_plots` draws every figure the folder's files allow and says which
it could not draw and why; the report embeds them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sim.errors import OutputError
from sim.plotting.counties import county_names, county_plot, coverage_columns, coverage_plot
from sim.plotting.folder import ResultsFolder
from sim.plotting.forest import forest_plot
from sim.plotting.held_back import held_back_plot
from sim.plotting.labels import Lang, Words
from sim.plotting.runs import (
    BY_SIZE_CLASS,
    QUEUES,
    SHARE_SERIES,
    UTILISATION,
    colours,
    km_from_enterprises,
    km_plot,
    panels_plot,
    share_plot,
)
from sim.plotting.style import pyplot, use_language
from sim.plotting.sweeps import sensitivity_plot, surface_plot, sweep_outcomes, sweep_parameters
from sim.plotting.timeaxis import TimeAxis
from sim.scenario.decision import Decision

__all__ = ["Figure", "Lang", "ResultsFolder", "make_plots", "resumption_plot"]


@dataclass(frozen=True)
class Figure:
    """A saved figure: its key (also the file stem), title and files."""

    key: str
    title: str
    png: Path
    svg: Path


@dataclass
class Plots:
    """What :func:`make_plots` drew, and notes on what it could not draw."""

    figures: list[Figure]
    notes: list[str]
    words: Words


def save(fig: Any, folder: Path, key: str, title: str) -> Figure:
    """Write ``fig`` as <key>.png and <key>.svg (atomically) and close it."""
    from sim.results.output import atomic_write

    plt = pyplot()
    png, svg = folder / f"{key}.png", folder / f"{key}.svg"
    try:
        atomic_write(png, lambda p: fig.savefig(p, format="png"))
        atomic_write(svg, lambda p: fig.savefig(p, format="svg"))
    except OSError as exc:
        raise OutputError(f"cannot write the plot {png}: {exc.strerror or exc}.") from None
    finally:
        plt.close(fig)
    return Figure(key, title, png, svg)


def make_plots(folder: ResultsFolder, lang: Lang = "en", out: Path | None = None,
               names: Callable[[str], str] = str) -> Plots:
    """Draw every plot the folder's files allow into ``out`` (default ``<folder>/plots``); ``names`` gives a
    swept parameter's path in words (sim.plotting.names.readable)."""
    words = replace(use_language(lang), names=folder.labels)
    target = out or folder.path / "plots"
    figures: list[Figure] = []
    notes: list[str] = []

    def keep(fig: Any, key: str, title: str) -> None:
        if fig is not None:
            figures.append(save(fig, target, key, title))

    if folder.is_run:
        _run_plots(folder, words, keep, notes)
    if folder.is_sweep or folder.has("sensitivity.csv"):
        _sweep_plots(folder, words, keep, notes, names)
    return Plots(figures, notes, words)


def _run_plots(folder: ResultsFolder, words: Words, keep: Any, notes: list[str]) -> None:
    palette = colours(folder.variants())
    axis = TimeAxis(folder.start_date(), words)
    ts = folder.csv("timeseries.csv")
    if ts is not None:
        for column in SHARE_SERIES:
            if column in ts.columns:
                keep(share_plot(ts, column, words, palette, axis), column, words.t(column))
        keep(held_back_plot(ts, words, axis, folder.variants()), "held_back", words.t("constraints_title"))
    km = folder.csv("restart_km.csv")
    horizon = folder.horizon()
    if km is None and folder.has("enterprises.csv"):
        enterprises = folder.csv("enterprises.csv", usecols=["variant", "restart_day"])
        if enterprises is not None:
            km = km_from_enterprises(enterprises, horizon)
    if km is not None and len(km):
        keep(km_plot(km, words, palette, horizon, axis), "restart_km", words.t("restart_km"))
    else:
        notes.append("no restart_km.csv or enterprises.csv: no Kaplan–Meier restart curves.")
    if ts is not None:
        keep(panels_plot(ts, QUEUES, words.t("queues"), words.t("waiting"), words, palette, axis=axis), "queues",
             words.t("queues"))
        keep(panels_plot(ts, UTILISATION, words.t("utilisation"), words.t("busy_share"), words, palette,
                         share=True, axis=axis), "utilisation", words.t("utilisation"))
        # 复岗率 and 达产率 by size class side by side: the figures reported week by week in 2020
        keep(panels_plot(ts, BY_SIZE_CLASS, words.t("by_size_class"), words.t("share"), words, palette,
                         share=True, axis=axis), "by_size_class", words.t("by_size_class"))
    _county_plots(folder, ts, words, palette, axis, keep, notes)
    comparison = folder.csv("comparison.csv")
    if comparison is not None and len(comparison):
        keep(forest_plot(comparison, words, palette, mids=_decision(folder).minimal_differences), "forest",
             words.t("forest"))
    elif len(folder.variants()) > 1:
        notes.append("no comparison.csv: no forest plot of paired differences.")


def _decision(folder: ResultsFolder) -> Decision:
    """The run's decision settings (minimal important differences), the defaults when it has none."""
    from pydantic import ValidationError

    try:
        return Decision.model_validate(folder.resolved.get("decision") or {})
    except ValidationError:
        return Decision()


def _county_plots(folder: ResultsFolder, ts: Any, words: Words, palette: dict[str, Any], axis: TimeAxis,
                  keep: Any, notes: list[str]) -> None:
    counties = county_names(ts, folder.county_order()) if ts is not None else []
    if len(counties) < 2:
        return  # one county: the city-wide curve says it all
    keep(county_plot(ts, counties, words, palette, axis), "county_resumed", words.t("county_resumed"))
    summary = folder.csv("summary.csv")
    if summary is not None and coverage_columns(summary, counties):
        keep(coverage_plot(summary, counties, words, palette), "county_coverage", words.t("county_coverage"))
    else:
        notes.append("no liaison_coverage_<county> or supervisor_coverage_<county> in summary.csv: no coverage "
                     "by county (the model version that wrote this run did not record it).")


def _sweep_plots(folder: ResultsFolder, words: Words, keep: Any, notes: list[str],
                 names: Callable[[str], str] = str) -> None:
    summary = folder.csv("summary.csv")
    if summary is not None and folder.is_sweep:
        params = sweep_parameters(folder.manifest, summary)
        outcomes = sweep_outcomes(folder.manifest, summary)
        varying = [p for p, _ in params if summary[p].nunique() > 1]
        if len(varying) >= 2:
            keep(surface_plot(summary, varying[0], varying[1], outcomes, words, names), "sweep_surface",
                 words.t("surface"))
        else:
            notes.append("fewer than two swept parameters vary: no outcome surface.")
    sensitivity = folder.csv("sensitivity.csv")
    if sensitivity is not None and len(sensitivity):
        keep(sensitivity_plot(sensitivity, words, names), "sensitivity", words.t("sensitivity"))
    elif folder.is_sweep:
        notes.append("no sensitivity.csv (the design has no sensitivity indices): no sensitivity bars.")


def resumption_plot(results: list[Any], path: Path, series: str = "resumed_share") -> None:
    """复工率 per variant with 95 % bands, from results in memory (used by sim.results.output)."""
    import pandas as pd

    words = use_language("en")
    frame = pd.concat([pd.DataFrame({"variant": r.variant, "replication": r.replication,
                                     "day": r.series["day"], series: r.series[series]}) for r in results],
                      ignore_index=True)
    palette = colours(list(dict.fromkeys(r.variant for r in results)))
    fig = share_plot(frame, series, words, palette)
    plt = pyplot()
    try:
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
