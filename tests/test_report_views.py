"""Plots a planner reads and the county view: dates on the x axis, trimmed; identical variants visible;
readable labels on the sweep grid; 复工率 and coverage per county, with censoring counted."""

from __future__ import annotations

import datetime as dt
import math

import matplotlib.dates as mdates
import numpy as np
import pandas as pd

from sim.plotting.counties import county_names, county_plot, coverage_columns, coverage_plot
from sim.plotting.labels import Words
from sim.plotting.runs import colours, share_plot
from sim.plotting.style import pyplot
from sim.plotting.sweeps import surface_plot
from sim.plotting.timeaxis import TimeAxis, line_styles
from sim.report.counties import county_table, first_days

WORDS = Words("en", cjk=False)
START = dt.date(2020, 2, 3)


def _timeseries(curves: dict[tuple[str, int], dict[str, np.ndarray]], days: np.ndarray) -> pd.DataFrame:
    frames = [pd.DataFrame({"variant": v, "replication": r, "day": days, **cols}) for (v, r), cols in curves.items()]
    return pd.concat(frames, ignore_index=True)


def _ramp(days: np.ndarray, done_by: float) -> np.ndarray:
    return np.clip(days / done_by, 0, 1)


def test_dates_on_the_x_axis_trimmed_to_where_things_happen() -> None:
    days = np.arange(0, 121, dtype=float)
    ts = _timeseries({(v, r): {"resumed_share": _ramp(days, 30)} for v in ("base", "b") for r in (0, 1)}, days)
    fig = share_plot(ts, "resumed_share", WORDS, colours(["base", "b"]), TimeAxis(START, WORDS))
    ax = fig.axes[0]
    low, high = (mdates.num2date(x).date() for x in ax.get_xlim())
    assert low == START
    assert START + dt.timedelta(days=30) < high < START + dt.timedelta(days=60)  # settles on day 30, not 120
    assert "2020-02-03" in ax.get_xlabel()
    assert any("Feb" in t.get_text() or "Mar" in t.get_text() for t in ax.get_xticklabels())
    pyplot().close(fig)
    # a series that never settles keeps the whole horizon
    ts2 = _timeseries({("base", 0): {"resumed_share": _ramp(days, 200)}}, days)
    fig = share_plot(ts2, "resumed_share", WORDS, colours(["base"]), TimeAxis(START, WORDS))
    assert mdates.num2date(fig.axes[0].get_xlim()[1]).date() == START + dt.timedelta(days=120)
    pyplot().close(fig)


def test_identical_variants_stay_visible() -> None:
    days = np.arange(0, 41, dtype=float)
    same = _ramp(days, 20)
    ts = _timeseries({(v, 0): {"resumed_share": same} for v in ("base", "control")}, days)
    fig = share_plot(ts, "resumed_share", WORDS, colours(["base", "control"]))
    lines = [ln for ln in fig.axes[0].get_lines() if ln.get_label().startswith(("base", "control"))]
    assert len(lines) == 2
    assert lines[0].get_linestyle() != lines[1].get_linestyle() or lines[0].get_marker() != lines[1].get_marker()
    assert lines[0].get_markevery() != lines[1].get_markevery()  # markers of one do not hide the other's
    styles = line_styles(["a", "b", "c", "d", "e"])
    assert len({str(s["linestyle"]) for s in styles.values()}) == 5
    pyplot().close(fig)


def test_sweep_grid_labels_are_dark_on_light_cells() -> None:
    xs, ys = np.meshgrid([1.0, 2.0, 3.0], [10.0, 20.0])
    summary = pd.DataFrame({"a": xs.ravel(), "b": ys.ravel(), "out_mean": np.arange(6, dtype=float)})
    fig = surface_plot(summary, "a", "b", ["out"], WORDS)
    texts = {t.get_text(): t.get_color() for t in fig.axes[0].texts}
    assert texts["5"] == "black"  # the top of viridis is yellow
    assert texts["0"] == "white"  # the bottom is dark purple
    pyplot().close(fig)


def _county_frame(days: np.ndarray) -> pd.DataFrame:
    curves = {}
    for v in ("base", "fast"):
        for r in (0, 1):
            north = _ramp(days, 20 if v == "fast" else 30)
            south = _ramp(days, 25) * (0.85 if (v, r) == ("base", 1) else 1.0)  # never reaches 90 % there
            curves[(v, r)] = {"resumed_share": (north + south) / 2, "resumed_share_north": north,
                              "resumed_share_south": south, "resumed_share_sme": north}
    return _timeseries(curves, days)


def test_county_names_skip_size_classes_and_follow_the_scenario() -> None:
    ts = _county_frame(np.arange(0, 5, dtype=float))
    assert county_names(ts) == ["north", "south"]
    assert county_names(ts, ["south", "north", "west"]) == ["south", "north"]


def test_county_table_counts_a_threshold_not_reached() -> None:
    days = np.arange(0, 61, dtype=float)
    ts = _county_frame(days)
    assert first_days(ts, "resumed_share_south", "base").tolist()[0] == 23.0  # 23/25 = 0.92
    assert math.isnan(first_days(ts, "resumed_share_south", "base")[1])
    table = county_table(ts, None, ["north", "south"], ["base", "fast"], START, "en")
    south = next(r for r in table.rows if r[0] == "south")
    assert "not reached in 1 of 2 replications" in south[1]
    assert "not reached" not in south[2]
    north = next(r for r in table.rows if r[0] == "north")
    assert "(day 27)" in north[1] and "1 Mar" in north[1]  # 27/30 = 0.9 on day 27 = 1 March 2020
    summary = pd.DataFrame({"variant": ["base", "base", "fast", "fast"], "replication": [0, 1, 0, 1],
                            "liaison_coverage_north": [0.5, 0.6, 0.5, 0.6]})
    with_cover = county_table(ts, summary, ["north", "south"], ["base", "fast"], START, "en")
    assert "liaison 55 %" in with_cover.rows[0][1]
    assert "liaison" not in with_cover.rows[1][1]  # no column for south


def test_county_plots_and_missing_coverage() -> None:
    days = np.arange(0, 61, dtype=float)
    ts = _county_frame(days)
    palette = colours(["base", "fast"])
    fig = county_plot(ts, ["north", "south"], WORDS, palette, TimeAxis(START, WORDS))
    assert [ax.get_title() for ax in fig.axes if ax.get_visible() and ax.get_title()] == ["north", "south"]
    pyplot().close(fig)
    summary = pd.DataFrame({"variant": ["base", "fast"], "replication": [0, 0]})
    assert coverage_columns(summary, ["north", "south"]) == []
    assert coverage_plot(summary, ["north", "south"], WORDS, palette) is None
    summary["supervisor_coverage_south"] = [0.3, 0.4]
    fig = coverage_plot(summary, ["north", "south"], WORDS, palette)
    assert fig is not None
    pyplot().close(fig)


def test_forest_plot_marks_the_minimal_important_difference() -> None:
    from sim.plotting.forest import forest_plot

    comparison = pd.DataFrame({"variant": ["a"], "reference": ["base"], "metric": ["mean_restart_day"],
                               "mean_difference": [-0.2], "ci_low": [-0.4], "ci_high": [0.0], "p_holm": [0.2]})
    palette = colours(["base", "a"])
    with_band = forest_plot(comparison, WORDS, palette, mids={"mean_restart_day": 1.0})
    without = forest_plot(comparison, WORDS, palette)
    assert len(with_band.axes[0].patches) == 1 and len(without.axes[0].patches) == 0
    low, high = with_band.axes[0].get_xlim()
    assert low <= -1.0 and high >= 1.0  # the whole band is in view
    pyplot().close(with_band)
    pyplot().close(without)


def test_forest_plot_says_when_pairs_were_left_out() -> None:
    from sim.plotting.forest import forest_plot

    comparison = pd.DataFrame({"variant": ["a", "b"], "reference": ["base", "base"],
                               "metric": ["day_resumed_90"] * 2, "n": [2, 3], "mean_difference": [30.0, -5.0],
                               "ci_low": [-10.0, -7.0], "ci_high": [70.0, -3.0], "p_holm": [1.0, 0.01]})
    fig = forest_plot(comparison, WORDS, colours(["base", "a", "b"]))
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["a (2/3 pairs)", "b"]
    pyplot().close(fig)
