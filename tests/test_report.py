"""report.html: self-contained, every section there, the right numbers, both languages, clear errors."""

from __future__ import annotations

import base64
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

from sim.cli import main as cli
from sim.model import catalogue
from sim.plotting import style as plot_style
from sim.report import write_report
from sim.report.parameters import load_resolved, parameter_rows, variant_differences
from sim.report.tables import headline_table
from tests.conftest import require_cjk_font, small_town

SCENARIO = small_town("report-test", "Does fast-track approval restart a small town's firms sooner?", horizon_days=40,
                      seed=9, replications=3, firms=30, workers=10, cadres=4) + """\
variants:
  fast-track:
    policies:
      approval: {name: fast_track}
  control:          # overrides nothing: a control run, identical to the base
    calendar: {}
provenance:
  cadres.liaisons.count: "assumption: a small test town"
"""
SECTIONS = ("scorecard", "headline", "comparison", "plots", "variants", "parameters", "reproduce")


def _scenario(root: Path) -> Path:
    path = root / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report")
    out = root / "out"
    assert cli(["run", str(_scenario(root)), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def html(folder: Path) -> str:
    return (folder / "report.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_report_is_self_contained(html: str) -> None:
    assert not re.search(r'(src|href)="(https?:)?//', html), "the report must not load anything from the network"
    assert "<link" not in html and "@import" not in html and "url(" not in html
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert len(sources) >= 7
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_report_has_every_section_and_the_question(html: str) -> None:
    for section in SECTIONS:
        assert f'<section id="{section}">' in html, section
    assert "Does fast-track approval restart a small town&#39;s firms sooner?" in html  # escaped
    assert 'id="fig-resumed_share"' in html and 'id="fig-forest"' in html


@pytest.mark.slow
def test_comparison_table_shows_holm_p_values(folder: Path, html: str) -> None:
    comparison = pd.read_csv(folder / "comparison.csv")
    table = html.split('id="comparison-table"', 1)[1].split("</table>", 1)[0]
    shown = comparison[comparison["metric"].isin(catalogue.headline("comparison"))]
    assert table.count("<tr") - 1 == len(shown)  # header row + one per variant and metric
    assert "p (Holm)" in table


@pytest.mark.slow
def test_variant_differences_and_provenance(folder: Path, html: str) -> None:
    loaded = load_resolved(folder)
    assert loaded is not None
    diffs = variant_differences(loaded)
    keys = {d.key for d in diffs["fast-track"]}
    assert "policies.approval.name" in keys and diffs["control"] == []
    assert "identical to the base" in html and "policies.approval.name" in html
    rows = {r.key: r for r in parameter_rows(loaded)}
    assert rows["cadres.liaisons.count"].provenance == "assumption: a small test town"
    assert rows["cadres.liaisons.count"].from_file and rows["cadres.liaisons.count"].value == "4"
    schema_row = rows["approval.rework_probability"]
    assert not schema_row.from_file and schema_row.provenance.startswith("assumption")
    assert schema_row.unit == "probability"
    assert "assumption: a small test town" in html


@pytest.mark.slow
def test_reproduce_section_names_seed_version_and_commit(folder: Path, html: str) -> None:
    import json

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    section = html.split('id="reproduce"', 1)[1]
    assert str(manifest["seed"]) in section and manifest["package_version"] in section
    if manifest.get("git_commit"):
        assert manifest["git_commit"] in section
    assert "scenario.resolved.yaml" in section


def test_headline_mean_and_half_width() -> None:
    summary = pd.DataFrame({"variant": ["base"] * 3, "mean_restart_day": [10.0, 11.0, 12.0]})
    table = headline_table(summary, None, ["base"], "en")
    half = stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)  # sd of (10, 11, 12) is 1
    assert table.rows == [["mean restart day", f"11.0 ± {half:.1f}"]]


@pytest.mark.slow
def test_chinese_report(folder: Path, tmp_path: Path) -> None:
    require_cjk_font()
    path = write_report(folder, "zh", out=tmp_path / "report.zh.html")
    text = path.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text and "复工复产政策仿真报告" in text
    assert "复工率" in text and "帮扶联络员" in text


def test_report_command_errors_are_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["report", str(tmp_path / "nowhere")]) == 2
    (tmp_path / "empty").mkdir()
    assert cli(["report", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert "is not a folder" in err and "not a finished results folder" in err and "Traceback" not in err
    folder = tmp_path / "finished"  # a finished run, without the report its plots would take seconds to draw
    assert cli(["run", str(_scenario(tmp_path)), "--out", str(folder), "-r", "1", "--quiet", "--no-report"]) == 0
    monkeypatch.setattr(plot_style, "find_cjk_font", lambda: None)
    assert cli(["report", str(folder), "--lang", "zh", "--output", str(tmp_path / "r.html")]) == 2
    assert "CJK font" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_run_in_chinese_without_a_font_stops_before_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(plot_style, "find_cjk_font", lambda: None)
    out = tmp_path / "out"
    assert cli(["run", str(_scenario(tmp_path)), "--out", str(out), "--lang", "zh", "--quiet"]) == 2
    assert "CJK font" in capsys.readouterr().err
    assert not out.exists()  # nothing was run or written


@pytest.mark.slow
def test_report_of_a_folder_with_only_the_core_tables(folder: Path, tmp_path: Path) -> None:
    """Parts whose files are missing are left out with a note, not an error."""
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("summary.csv", "timeseries.csv"):
        (bare / name).write_bytes((folder / name).read_bytes())
    text = write_report(bare, "en").read_text(encoding="utf-8")
    assert "No comparison.csv in this folder." in text and "No scenario.resolved.yaml in this folder." in text
    assert 'id="fig-resumed_share"' in text and 'id="fig-forest"' not in text
    for section in SECTIONS:
        assert f'<section id="{section}">' in text, section
