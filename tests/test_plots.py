"""Plots from a results folder: every figure written as PNG and SVG, bands computed right,
Kaplan–Meier fallback, sweep plots tolerant of missing files, and Chinese labels only with a CJK font."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim.plotting
from sim.cli import main as cli
from sim.model.world import run_replication
from sim.plotting import ResultsFolder, make_plots, resumption_plot
from sim.plotting import style as plot_style
from sim.plotting.folder import bands
from sim.plotting.labels import Words, without_cjk
from sim.plotting.runs import colours, km_from_enterprises, share_plot
from sim.plotting.style import NoCJKFontError, use_language
from tests.conftest import drawn_text, require_cjk_font, small_town, svg_tree, tiny

SCENARIO = small_town("plots-test", "Do more liaisons restart firms sooner?", horizon_days=40, seed=3, replications=3,
                      firms=30, workers=10, cadres=3) + """\
variants:
  more-liaisons:
    cadres: {liaisons: {count: 20}}
"""
RUN_PLOTS = {"resumed_share", "workers_back_share", "production_index", "restart_km", "queues", "utilisation",
             "by_size_class", "forest", "held_back"}  # held_back: the model reports what holds firms back
SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def assert_cjk_glyphs_drawn(svg: Path, at_least: int = 2) -> None:
    """Every Chinese character in the SVG's text is drawn with an outline of its own.

    Each string is drawn as one <use> of a glyph per character (the comment before it says which
    string); a font without the CJK ideographs draws every one of them with the same stand-in glyph (an
    empty box, or matplotlib's last-resort font's block symbol), so two different characters sharing a
    glyph means the Chinese text is not legible.
    """
    glyphs: dict[str, set[str]] = {}  # glyph → the Chinese characters drawn with it
    for group in svg_tree(svg).iter(f"{SVG}g"):
        children = list(group)
        for comment, drawn in zip(children, children[1:], strict=False):
            if comment.tag is not ET.Comment or drawn.tag != f"{SVG}g" or not comment.text:
                continue
            text = comment.text[1:-1]
            uses = [u.get(XLINK_HREF, "") for u in drawn.iter(f"{SVG}use")]
            if len(uses) != len(text):
                continue  # mathtext, or a comment matplotlib had to escape: not one glyph per character
            for char, glyph in zip(text, uses, strict=True):
                if "\u4e00" <= char <= "\u9fff":  # CJK Unified Ideographs
                    glyphs.setdefault(glyph, set()).add(char)
    chars = set().union(*glyphs.values()) if glyphs else set()
    assert len(chars) >= at_least, f"{svg.name}: only {len(chars)} Chinese characters drawn: {sorted(chars)}"
    shared = {glyph: "".join(sorted(c)) for glyph, c in glyphs.items() if len(c) > 1}
    assert not shared, f"{svg.name}: different Chinese characters drawn with one glyph (no CJK font): {shared}"


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plots")
    (root / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    out = root / "out"
    assert cli(["run", str(root / "s.yaml"), "--out", str(out), "--workers", "1", "--quiet", "--no-report"]) == 0
    assert not (out / "report.html").exists()  # --no-report
    return out


@pytest.mark.slow
def test_every_run_plot_is_written_as_png_and_svg(run_folder: Path) -> None:
    plots = make_plots(ResultsFolder.open(run_folder), "en")
    assert {f.key for f in plots.figures} == RUN_PLOTS, plots.notes
    for f in plots.figures:
        assert f.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f.png
        assert f.png.parent == run_folder / "plots"
        # what the figure shows: its title, the variants (legend or forest rows), and a labelled date axis
        text = drawn_text(f.svg)
        assert f.title in text, (f.key, text)
        for variant in ("base", "more-liaisons") if f.key != "forest" else ("more-liaisons",):
            assert any(t == variant or t.startswith(f"{variant} (n=") for t in text), (f.key, variant, text)
        if f.key != "forest":
            assert "date (day 0 = 2020-02-03)" in text and "15 Feb" in text, (f.key, text)
    forest = drawn_text(run_folder / "plots" / "forest.svg")
    assert {"mean restart day", "failed (pp)", "variant − reference"} <= set(forest), forest


@pytest.mark.slow
def test_variants_are_drawn_with_their_display_labels(run_folder: Path, tmp_path: Path) -> None:
    """labels: in the scenario names the variants in the legends and forest rows; a label given only in
    Chinese leaves an English figure with the name."""
    import shutil

    import yaml

    folder = tmp_path / "labelled"
    shutil.copytree(run_folder, folder, ignore=shutil.ignore_patterns("plots"))
    resolved = yaml.safe_load((folder / "scenario.resolved.yaml").read_text(encoding="utf-8"))
    resolved["labels"] = {"variants": {"more-liaisons": {"en": "more liaisons (20)"}, "base": {"zh": "基准"}}}
    (folder / "scenario.resolved.yaml").write_text(yaml.safe_dump(resolved, allow_unicode=True), encoding="utf-8")
    plots = make_plots(ResultsFolder.open(folder), "en")
    for f in plots.figures:
        text = drawn_text(f.svg)
        assert not any(t.startswith("more-liaisons") for t in text), (f.key, text)
        wanted = ("more liaisons (20)",) if f.key == "forest" else ("more liaisons (20) (n=3)", "base (n=3)")
        if f.key in ("restart_km", "held_back"):  # a curve per variant, or a panel titled by the variant
            wanted = ("more liaisons (20)", "base")
        assert set(wanted) <= set(text), (f.key, text)


def test_resumption_plot_has_a_line_and_a_band_per_variant(run_folder: Path) -> None:
    words = use_language("en")
    ts = pd.read_csv(run_folder / "timeseries.csv")
    fig = share_plot(ts, "resumed_share", words, colours(["base", "more-liaisons"]))
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["base (n=3)", "more-liaisons (n=3)"]
    assert len(ax.collections) == 2  # one 95 % band per variant


def test_a_laid_out_figure_is_drawn_once_per_file_and_saved_as_matplotlib_saves_it(tmp_path: Path) -> None:
    """plot_style.tight_layout leaves no layout engine (after fig.tight_layout(), savefig draws the figure
    twice) and the file is the one fig.tight_layout() then savefig writes."""
    plt = plot_style.pyplot()
    files, draws_per_save = [], []
    for k, lay_out in enumerate((lambda f: f.tight_layout(), plot_style.tight_layout)):
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.plot([0, 1, 2], [0, 1, 4], label="a line")
        ax.set_title("a title")
        ax.legend()
        lay_out(fig)
        draws: list[Any] = []
        fig.canvas.mpl_connect("draw_event", draws.append)
        files.append(tmp_path / f"{k}.png")
        fig.savefig(files[-1], format="png")
        plt.close(fig)
        draws_per_save.append(len(draws))
    assert draws_per_save[1] == 1  # the helper's figure (matplotlib 3.11 draws the other one twice)
    assert files[0].read_bytes() == files[1].read_bytes()


def test_band_is_the_t_interval_of_the_mean_over_replications() -> None:
    frame = pd.DataFrame({"variant": "a", "replication": [0, 0, 1, 1, 2, 2], "day": [0, 1] * 3,
                          "x": [0.0, 0.1, 0.0, 0.2, 0.0, 0.3]})
    b = bands(frame, "x")["a"]
    half = stats.t.ppf(0.975, 2) * 0.1 / math.sqrt(3)  # sd of (0.1, 0.2, 0.3) is 0.1
    assert b.replications == 3
    np.testing.assert_allclose(b.mean, [0.0, 0.2])
    np.testing.assert_allclose(b.low, [0.0, 0.2 - half])
    np.testing.assert_allclose(b.high, [0.0, 0.2 + half])


def test_kaplan_meier_from_enterprises_censors_at_the_horizon() -> None:
    ents = pd.DataFrame({"variant": "a", "restart_day": [1.0, 2.0, np.nan, np.nan]})
    km = km_from_enterprises(ents, horizon=10.0)
    s = dict(zip(km["day"], km["survival"], strict=True))
    # two of four restart (days 1, 2); the others stay in the risk set to day 10
    assert (s[0.0], s[1.0], s[2.0], s[10.0]) == (1.0, 0.75, 0.5, 0.5)
    assert (km["ci_low"] <= km["survival"] + 1e-12).all() and (km["survival"] <= km["ci_high"] + 1e-12).all()


@pytest.mark.slow
def test_restart_curves_fall_back_to_enterprises_csv(run_folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("summary.csv", "timeseries.csv", "enterprises.csv", "manifest.json"):
        (copy / name).write_bytes((run_folder / name).read_bytes())
    plots = make_plots(ResultsFolder.open(copy), "en")
    keys = {f.key for f in plots.figures}
    assert "restart_km" in keys and "forest" not in keys
    assert any("comparison.csv" in n for n in plots.notes)


def test_chinese_needs_a_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plot_style, "find_cjk_font", lambda: None)
    with pytest.raises(NoCJKFontError, match="fonts-noto-cjk"):
        use_language("zh")
    assert use_language("en") == Words("en", cjk=False)  # English still works, without Chinese glosses
    assert without_cjk("Resumption rate (复工率): share open") == "Resumption rate: share open"


@pytest.mark.slow
def test_chinese_labels_when_a_font_is_installed(run_folder: Path, tmp_path: Path) -> None:
    require_cjk_font()
    plots = make_plots(ResultsFolder.open(run_folder), "zh", out=tmp_path)
    titles = {f.key: f.title for f in plots.figures}
    assert "复工率" in titles["resumed_share"] and "复岗率" in titles["workers_back_share"]
    assert "达产率" in titles["production_index"] and "1+1+1" in titles["utilisation"]
    assert titles["resumed_share"] in drawn_text(tmp_path / "resumed_share.svg")
    for f in plots.figures:
        assert_cjk_glyphs_drawn(f.svg)


def test_the_glyph_check_fails_on_an_svg_drawn_without_a_cjk_font(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The same Chinese title drawn with DejaVu Sans alone (no CJK font): the check rejects it."""
    monkeypatch.setattr(plot_style, "find_cjk_font", lambda: None)
    plt = plot_style.pyplot()
    with matplotlib.rc_context():
        use_language("en")  # DejaVu Sans only, the SVG's text as glyph outlines
        fig, ax = plt.subplots()
        ax.set_title("复工率 (resumption rate)")
        ax.set_xlabel("日期")
        with pytest.warns(UserWarning, match="missing from font"):
            fig.savefig(tmp_path / "no_cjk.svg", format="svg")
        plt.close(fig)
    assert "复工率 (resumption rate)" in drawn_text(tmp_path / "no_cjk.svg")
    with pytest.raises(AssertionError, match="different Chinese characters drawn with one glyph"):
        assert_cjk_glyphs_drawn(tmp_path / "no_cjk.svg")


def test_resumption_plot_from_results_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One line per variant, labelled with its replications, at the mean of their 复工率 series."""
    drawn: list[Any] = []

    def keep(*args: Any, **kwargs: Any) -> Any:
        drawn.append(share_plot(*args, **kwargs))
        return drawn[-1]

    monkeypatch.setattr(sim.plotting, "share_plot", keep)
    results = [run_replication(tiny(horizon_days=10), name, r) for name in ("base", "other") for r in range(2)]
    path = tmp_path / "resumption.png"
    resumption_plot(results, path)
    assert path.read_bytes()[:4] == b"\x89PNG"
    (ax,) = drawn[0].axes
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["base (n=2)", "other (n=2)"]
    mean = np.mean([r.series["resumed_share"] for r in results[:2]], axis=0)
    assert mean[-1] == 1.0 and mean[0] == 0.0  # tiny(): both firms restart within the 10 days
    np.testing.assert_allclose(lines[0].get_ydata(), mean)
    np.testing.assert_allclose(lines[0].get_xdata(), results[0].series["day"])
    assert "share" in ax.get_ylabel()


def _sweep_folder(root: Path, sensitivity: pd.DataFrame | None) -> Path:
    rng = np.random.default_rng(1)  # values only need to vary; the plots are checked, not the numbers
    x, y, z = np.meshgrid([1, 2, 3], [5, 10], [0, 1])
    points = pd.DataFrame({"point": range(x.size), "cadres.liaisons.count": x.ravel(),
                           "policies.loans.window_opens_day": y.ravel(), "counties[*].inspectors": z.ravel()})
    summary = points.assign(replications=2, mean_restart_day_mean=rng.uniform(5, 20, x.size),
                            mean_restart_day_ci_low=0.0, mean_restart_day_ci_high=1.0, mean_restart_day_n=2)
    root.mkdir()
    points.to_csv(root / "points.csv", index=False)
    summary.to_csv(root / "summary.csv", index=False)
    if sensitivity is not None:
        sensitivity.to_csv(root / "sensitivity.csv", index=False)
    return root


def test_sweep_plots_and_their_absence(tmp_path: Path) -> None:
    sobol = pd.DataFrame({"outcome": "mean_restart_day", "parameter": ["cadres.liaisons.count", "x"],
                          "group": "lever", "S1": [0.6, 0.1], "S1_conf": [0.1, 0.05], "ST": [0.7, 0.2],
                          "ST_conf": [0.1, 0.05]})
    with_indices = make_plots(ResultsFolder.open(_sweep_folder(tmp_path / "a", sobol)), "en")
    assert {f.key for f in with_indices.figures} == {"sweep_surface", "sensitivity"}
    # the surface: the two levers on its axes, each of its 3 × 2 cells labelled with the outcome's mean
    # over the replications and the third parameter
    surface = drawn_text(tmp_path / "a" / "plots" / "sweep_surface.svg")
    assert {"cadres.liaisons.count", "policies.loans.window_opens_day", "mean restart day"} <= set(surface)
    summary = pd.read_csv(tmp_path / "a" / "summary.csv")
    cells = summary.groupby(["cadres.liaisons.count", "policies.loans.window_opens_day"])["mean_restart_day_mean"].mean()
    assert len(cells) == 6 and {f"{v:.3g}" for v in cells} <= set(surface), (cells, surface)
    # the sensitivity bars: one per parameter and index
    sensitivity = drawn_text(tmp_path / "a" / "plots" / "sensitivity.svg")
    assert {"cadres.liaisons.count", "x", "S1", "ST", "mean restart day"} <= set(sensitivity), sensitivity
    without = make_plots(ResultsFolder.open(_sweep_folder(tmp_path / "b", None)), "en")
    assert {f.key for f in without.figures} == {"sweep_surface"}
    assert any("sensitivity.csv" in n for n in without.notes)
