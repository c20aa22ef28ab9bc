"""Stopping a run (Ctrl-C, kill) loses no finished replication, and --resume finishes it identically."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.experiment.run_state import PARTIAL, STATE
from sim.experiment.store import STORE_NAME, ResultStore
from tests.conftest import BIGGER
from tests.conftest import SMALL_TWO_STRATA as SMALL
from tests.conftest import interrupt_after as _interrupt_after
from tests.conftest import run_quietly as _run

ROOT = Path(__file__).parent.parent
FINAL = ("scenario.resolved.yaml", "summary.csv", "timeseries.csv", "enterprises.csv", "comparison.csv",
         "restart_km.csv", "restart_survival.csv")


def _stored(out: Path) -> list[tuple[str, int]]:
    """(variant, replication) of the replications kept in a results folder's store."""
    with ResultStore(out) as store:
        runs = store.tables()["runs"]
    return sorted(zip(runs["label"], runs["replication"], strict=True)) if len(runs) else []


@pytest.mark.slow
def test_interrupted_run_keeps_finished_replications_and_resumes_identically(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    scen = tmp_path / "small.yaml"
    scen.write_text(SMALL)
    assert _run(scen, tmp_path / "whole") == 0
    capsys.readouterr()

    out = tmp_path / "stopped"
    _interrupt_after(monkeypatch, finished=2)
    assert _run(scen, out) == 130
    err = capsys.readouterr().err
    assert "Interrupted: 2 of 6 replication(s) finished" in err
    assert f"python -m sim run {scen} --out {out} --resume --workers 1 --quiet --no-report" in err
    assert "Traceback" not in err
    # replication r of every variant runs before r + 1: the two kept are a pair on common random numbers
    assert _stored(out) == [("base", 0), ("fast", 0)]
    partial = pd.read_csv(out / PARTIAL)
    assert list(zip(partial["variant"], partial["replication"], strict=True)) == [("base", 0), ("fast", 0)]
    assert not (out / "summary.csv").exists()

    # a plain rerun into the same folder is refused: it would mix two runs
    monkeypatch.undo()
    assert _run(scen, out) == 2
    assert "--resume" in capsys.readouterr().err

    calls = _interrupt_after(monkeypatch, finished=99)
    assert _run(scen, out, "--resume") == 0
    assert calls == [("base", 1), ("fast", 1), ("base", 2), ("fast", 2)]  # finished ones are not rerun
    assert "Resumed: 2 replication(s) reused" in capsys.readouterr().err
    for name in FINAL:
        assert (out / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
    # a finished run leaves only its results
    assert not (out / STORE_NAME).exists() and not (out / PARTIAL).exists() and not (out / STATE).exists()
    capsys.readouterr()
    assert _run(scen, out, "--resume") == 2
    assert "has finished: there is nothing to resume" in capsys.readouterr().err


@pytest.mark.slow
def test_resume_refuses_a_different_experiment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    scen = tmp_path / "small.yaml"
    scen.write_text(SMALL)
    out = tmp_path / "stopped"
    _interrupt_after(monkeypatch, finished=1)
    assert _run(scen, out) == 130
    monkeypatch.undo()
    capsys.readouterr()
    assert _run(scen, out, "--resume", "--seed", "5") == 2
    err = capsys.readouterr().err
    assert "different scenario or seed" in err and "Traceback" not in err
    # more replications is the same experiment, continued
    assert _run(scen, out, "--resume", "--replications", "4") == 0
    assert len(pd.read_csv(out / "summary.csv")) == 8


def test_resume_needs_a_folder_with_an_unfinished_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scen = tmp_path / "small.yaml"
    scen.write_text(SMALL)
    assert main(["run", str(scen), "--resume", "-q"]) == 2
    assert "--resume needs --out" in capsys.readouterr().err
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    assert _run(scen, tmp_path / "other", "--resume") == 2
    assert "no interrupted run to resume" in capsys.readouterr().err
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"



@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_real_signal_stops_workers_cleanly_and_resume_completes(tmp_path: Path, signum: int) -> None:
    scen = tmp_path / "bigger.yaml"
    scen.write_text(BIGGER)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sim", "run", str(scen), "--out", str(out), "--workers", "2", "-q", "--no-report"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not (out / PARTIAL).exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    os.kill(proc.pid, signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Interrupted:" in err and "--resume" in err
    assert "Traceback" not in err  # neither the main process nor a worker prints one
    kept = _stored(out)
    assert 1 <= len(kept) < 10
    assert not list(out.glob(".*.tmp"))  # no half-written file left behind
    assert len(pd.read_csv(out / PARTIAL)) == len(kept)
    if signum != signal.SIGINT:
        return  # the resume after SIGINT covers the rest

    res = subprocess.run([*cmd, "--resume"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    assert f"Resumed: {len(kept)} replication(s) reused" in res.stderr
    summary = pd.read_csv(out / "summary.csv")
    assert sorted(zip(summary["variant"], summary["replication"], strict=True)) == sorted(
        (v, r) for v in ("base", "fast") for r in range(5))
