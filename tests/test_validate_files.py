"""`validate` checks every kind of file the planner writes (issue break 4).

Scenario, sweep and optimisation files are each recognised and checked as their own command would
check them; a scenario's ``decision:`` section against the metrics the scorecard knows, and its
``uncertainty:`` section against the parameters that exist, their types and their bounds: each problem
with file:line:column, the dotted key and a "did you mean" for a near miss, before anything runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main
from tests.conftest import SMALL_ONE_STRATUM as SMALL
from tests.conftest import SMALL_OPTIMIZE as OPTIMIZE

ROOT = Path(__file__).parent.parent


def _at(path: Path, text: str) -> str:
    """'line:column' (1-based) of where ``text`` starts in the file (past a leading 'paths: [')."""
    content = path.read_text()
    start = content.index(text) + (len("paths: [") if text.startswith("paths: [") else 0)
    line = content.count("\n", 0, start) + 1
    return f"{line}:{start - content.rfind(chr(10), 0, start)}"


def _validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["validate", str(path)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "internal error" not in captured.err, captured.err
    return code, captured.out + captured.err


# -- optimisation files -----------------------------------------------------------------------------------

def test_the_bundled_optimisation_file_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = _validate(ROOT / "scenarios" / "optimize-cadres.yaml", capsys)
    assert code == 0, text
    assert "valid optimisation file" in text and "tieling-2020.yaml" in text


@pytest.mark.parametrize(("edit", "where", "words"), [
    (("failed_share: minimize", "failed_shar: minimize"), "opt.yaml:11:", ["unknown objective 'failed_shar'",
                                                                         "Did you mean 'failed_share'"]),
    (("  counties[*].approval_reviewers: {low: 1, high: 3}\n",
      "  counties[*].approval_reviewers: {low: 1, high: 3}\n  counties[*].inspector: {low: 1, high: 3}\n"),
     "opt.yaml:5:", ["Did you mean 'inspectors'"]),
    (("limit: 40", "limit: 3"), "opt.yaml:7:", ["budget 'staff' cannot be met"]),
    (("selection: {delta: 1.0}", "selection: {delta: 1.0, alpah: 0.1}"), "opt.yaml:12:",
     ["unknown key 'alpah'", "Did you mean 'alpha'"]),
])
def test_a_bad_optimisation_file_is_refused_with_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 edit: tuple[str, str], where: str,
                                                                 words: list[str]) -> None:
    (tmp_path / "small.yaml").write_text(SMALL)
    path = tmp_path / "opt.yaml"
    assert edit[0] in OPTIMIZE
    path.write_text(OPTIMIZE.replace(*edit))
    code, text = _validate(path, capsys)
    assert code == 2
    assert where in text, text
    for word in words:
        assert word in text, text
    assert "levers" not in text  # not judged as a sweep file


def test_a_sweep_file_is_still_validated_as_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = _validate(ROOT / "scenarios" / "sweep-cadres.yaml", capsys)
    assert code == 0 and "valid sweep file" in text


# -- decision: --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_misspelt_metric_under_minimal_differences_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                command: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SMALL + "decision:\n  minimal_differences:\n    jobs_lots: 200\n")
    words = ["validate", str(path)] if command == "validate" else \
        ["run", str(path), "--out", str(tmp_path / "out"), "-q", "--no-report"]
    assert main(words) == 2
    err = capsys.readouterr().err
    assert f"s.yaml:{_at(path, 'jobs_lots')}: key 'decision.minimal_differences.jobs_lots'" in err, err
    assert "unknown metric 'jobs_lots'" in err and "Did you mean 'jobs_lost'?" in err
    assert not (tmp_path / "out").exists()


def test_a_misspelt_primary_metric_gets_a_did_you_mean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SMALL + "decision:\n  primary_metric: mean_restart_dya\n")
    code, text = _validate(path, capsys)
    assert code == 2 and f"s.yaml:{_at(path, 'mean_restart_dya')}:" in text
    assert "Did you mean 'mean_restart_day'?" in text


# -- uncertainty: -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("entry", "where", "words"), [
    ('{paths: ["counties[*].inspector"], low: 1, high: 2, integer: true, provenance: "assumption: x"}',
     '"counties[*].inspector"', ["uncertainty[0].paths[0]", "Did you mean 'inspectors'?"]),
    ('{paths: ["population.strata[0].count", "policies.approval.name"], low: 1, high: 2, integer: true, '
     'provenance: "assumption: x"}', '"policies.approval.name"',
     ["uncertainty[0].paths[1]", "not a number ('standard')"]),
    ('{paths: ["counties[*].approval_reviewers"], low: 1, high: 8, provenance: "assumption: x"}',
     '"counties[*].approval_reviewers"', ["whole number", "integer: true"]),
    ('{paths: ["population.strata[*].readiness"], low: 0.5, high: 1.5, provenance: "assumption: x"}',
     "1.5", ["uncertainty[0].high", "at its high end (1.5)", "at most 1"]),
    ('{paths: ["cadres.liaisons.count"], how: scale, low: 0.5, high: 2, provenance: "assumption: x"}\n'
     '  - {paths: ["counties[*].inspectors"], low: 1, high: 9, integer: true, provenance: "assumption: x"}\n'
     '  - {paths: ["cadres.liaisons.count"], low: 1, high: 9, integer: true, provenance: "assumption: x"}',
     'paths: ["cadres.liaisons.count"], low', ["uncertainty[2].paths[0]", "already sets"]),
])
def test_a_bad_uncertainty_section_is_refused_where_it_is_written(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  entry: str, where: str, words: list[str]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SMALL + f"uncertainty:\n  - {entry}\n")
    code, text = _validate(path, capsys)
    assert code == 2, text
    assert f"s.yaml:{_at(path, where)}:" in text, text
    for word in words:
        assert word in text, text


def test_the_bundled_uncertainty_sections_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("fast-track", "coverage-111", "loan-timing"):
        code, text = _validate(ROOT / "scenarios" / f"{name}.yaml", capsys)
        assert code == 0, text
