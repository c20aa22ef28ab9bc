"""The command line as a planner uses it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).parent.parent
SMALL = """
name: small
horizon_days: 40
replications: 2
population:
  strata:
    - {name: firms, count: 80}
    - {name: big, count: 20, size_class: above_scale, priority: essential, already_running_share: 0.5}
variants:
  fast:
    policies:
      approval: {name: fast_track}
"""


def sim(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


@pytest.mark.slow
def test_run_writes_every_output_and_is_reproducible(tmp_path: Path) -> None:
    scen = tmp_path / "small.yaml"
    scen.write_text(SMALL)
    out1, out2 = tmp_path / "r1", tmp_path / "r2"
    first = sim("run", str(scen), "--out", str(out1), "--workers", "2", "-q")
    assert first.returncode == 0, first.stderr
    assert "restarted" in first.stdout and "fast" in first.stdout
    for name in ("scenario.resolved.yaml", "manifest.json", "enterprises.csv", "timeseries.csv",
                 "summary.csv", "resumption.png", "report.html", "plots/resumed_share.svg"):
        assert (out1 / name).stat().st_size > 0, name
    summary = pd.read_csv(out1 / "summary.csv")
    assert {"variant", "replication", "mean_restart_day", "median_restart_day", "p90_restart_day",
            "restarted_share"} <= set(summary.columns)
    assert len(summary) == 4
    ts = pd.read_csv(out1 / "timeseries.csv")
    assert {"variant", "replication", "day", "resumed_share"} <= set(ts.columns)
    manifest = json.loads((out1 / "manifest.json").read_text())
    assert manifest["seed"] == 20200203 and manifest["events_simulated"] > 0
    # the same run on one worker, without the report (its plots take most of a small run's time; the
    # report is tested in tests/test_report.py): the same tables
    second = sim("run", str(scen), "--out", str(out2), "--workers", "1", "-q", "--no-report")
    assert second.returncode == 0, second.stderr
    for name in ("summary.csv", "timeseries.csv", "enterprises.csv", "scenario.resolved.yaml"):
        assert (out1 / name).read_bytes() == (out2 / name).read_bytes(), name
    # the resolved scenario is itself a valid scenario file
    assert sim("validate", str(out1 / "scenario.resolved.yaml")).returncode == 0


def test_run_refuses_non_empty_folder(tmp_path: Path) -> None:
    scen = tmp_path / "small.yaml"
    scen.write_text(SMALL)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    res = sim("run", str(scen), "--out", str(tmp_path / "out"), "-q")
    assert res.returncode == 2 and "not empty" in res.stderr and "Traceback" not in res.stderr


def test_validate_reports_bad_files_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncadres:\n  liasons: {count: 3}\npopulation:\n  strata:\n"
                   "    - {name: a, count: -1}\nhorizon_days: ten\n")
    res = sim("validate", str(bad))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert f"{bad}:3:3: key 'cadres.liasons'" in res.stderr
    assert "population.strata[0].count" in res.stderr
    assert f"{bad}:7:15: key 'horizon_days'" in res.stderr


@pytest.mark.slow
def test_missing_file_and_schema() -> None:
    res = sim("validate", "no-such-file.yaml")
    assert res.returncode == 2 and "does not exist" in res.stderr
    schema = sim("schema")
    assert schema.returncode == 0
    assert "provenance" in json.loads(schema.stdout)["properties"]["horizon_days"]


@pytest.mark.slow
def test_help_on_every_command() -> None:
    for cmd in ("run", "validate", "schema"):
        res = sim(cmd, "--help")
        assert res.returncode == 0 and "usage" in res.stdout


def test_every_command_has_one_summary() -> None:
    """The summary `python -m sim --help` lists without importing the commands is the one each command's own
    parser has (two copies of it once said different things)."""
    import argparse

    from sim.cli import COMMANDS, build_parser

    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    summaries = {action.dest: action.help for action in subparsers._choices_actions}
    assert summaries == COMMANDS


def test_help_texts_print_percent_signs_once() -> None:
    """argparse %-formats help strings but not descriptions: '95%%' in a description prints as is."""
    import argparse

    from sim.cli import build_parser

    parser = build_parser()
    texts = {"python -m sim": parser.format_help()}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            texts.update({name: sub.format_help() for name, sub in action.choices.items()})
    assert len(texts) > 10  # every command's own help, not the stand-ins
    doubled = {name: text for name, text in texts.items() if "%%" in text}
    assert not doubled, f"'%%' printed in the help of {sorted(doubled)}"
    assert "95% CI" in texts["run"]  # the sign itself is still there
