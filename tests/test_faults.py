"""Faults during a run: a failing replication, an unwritable folder, a full disk.

A replication that raises is logged with its seed and traceback while the
others go on; a folder that cannot be written is a clear error (exit 2), never
a traceback; what finished before a fault is kept for --resume.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import sim.experiment.runner
from sim.cli import main
from sim.experiment.failures import Failure
from sim.experiment.run_state import LOG
from sim.experiment.runner import ReplicationFailed, Task, execute
from sim.experiment.store import STORE_NAME
from tests.conftest import SMALL_ONE_STRATUM as SMALL
from tests.conftest import disk_full_for as _disk_full_for
from tests.conftest import run_quietly as _run
from tests.conftest import tiny, write_small


@pytest.fixture
def scen(tmp_path: Path) -> Path:
    return write_small(tmp_path, SMALL)


def _fail(monkeypatch: pytest.MonkeyPatch, variant: str, replication: int) -> list[tuple[str, int]]:
    real = sim.experiment.runner.run_task
    calls: list[tuple[str, int]] = []

    def run_task(task: Task) -> Any:
        calls.append((task.variant, task.replication))
        if (task.variant, task.replication) == (variant, replication):
            raise RuntimeError("cash book out of balance")
        return real(task)

    monkeypatch.setattr(sim.experiment.runner, "run_task", run_task)
    return calls


@pytest.mark.slow
def test_failed_replication_is_logged_and_the_others_are_written(
        scen: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    _fail(monkeypatch, "fast", 1)
    assert _run(scen, out) == 1
    err = capsys.readouterr().err
    assert "1 of 6 replication(s) failed (fast#1)" in err and str(out / LOG) in err
    assert "Traceback" not in err
    log = (out / LOG).read_text()
    assert "variant 'fast', replication 1, seed 20200203" in log
    assert "Traceback (most recent call last)" in log and "RuntimeError: cash book out of balance" in log
    summary = pd.read_csv(out / "summary.csv")
    assert sorted(zip(summary["variant"], summary["replication"], strict=True)) == [
        ("base", 0), ("base", 1), ("base", 2), ("fast", 0), ("fast", 2)]
    assert (out / STORE_NAME).is_file()  # kept so that --resume reruns only the failure

    monkeypatch.undo()  # "the bug is fixed"
    calls = _fail(monkeypatch, "none", -1)
    assert _run(scen, out, "--resume") == 0
    assert calls == [("fast", 1)]
    assert len(pd.read_csv(out / "summary.csv")) == 6


def test_every_replication_failing_exits_1_without_tables(
        scen: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def broken(task: Task) -> Any:
        raise ValueError("no enterprises")

    monkeypatch.setattr(sim.experiment.runner, "run_task", broken)
    assert _run(scen, tmp_path / "out") == 1
    assert "6 of 6 replication(s) failed" in capsys.readouterr().err
    assert not (tmp_path / "out" / "summary.csv").exists()
    assert (tmp_path / "out" / LOG).read_text().count("replication failed") == 6


def test_worker_failure_carries_the_worker_traceback() -> None:
    good = tiny()
    broken = good.model_copy(update={"counties": []})  # bypasses validation: the model itself fails
    failures: list[Failure] = []
    results = execute([Task("base", 0, good), Task("broken", 0, broken), Task("base", 1, good)], workers=2,
                      on_error=failures.append, progress=False)
    assert [(r.variant, r.replication) for r in results] == [("base", 0), ("base", 1)]
    (failure,) = failures
    assert (failure.task.variant, failure.task.replication, failure.seed) == ("broken", 0, good.seed)
    assert "IndexError" in failure.error
    assert "sim/model" in failure.traceback  # the frames inside the worker process, not only the pool's


def test_without_on_error_a_failure_still_raises() -> None:
    broken = tiny().model_copy(update={"counties": []})
    with pytest.raises(ReplicationFailed, match="IndexError"):
        execute([Task("broken", 0, broken)], workers=1, progress=False)


def test_results_folder_under_a_file_is_a_clear_error(scen: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # tests run as root, for whom chmod does not stop writes; a path through a regular file always fails
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    assert _run(scen, blocker / "sub") == 2
    err = capsys.readouterr().err
    assert f"cannot write to the results folder {blocker / 'sub'}" in err
    assert "Traceback" not in err and "internal error" not in err


@pytest.mark.slow
@pytest.mark.parametrize("suffix", ["run_state.json", "summary.partial.csv", "summary.csv"])
def test_full_disk_is_a_clear_error_and_keeps_finished_work(
        scen: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        suffix: str) -> None:
    out = tmp_path / "out"
    _disk_full_for(monkeypatch, suffix)
    assert _run(scen, out) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and str(out) in err
    assert "Traceback" not in err and "internal error" not in err
    assert not list(out.rglob("*.tmp"))  # no temporary file left behind
    monkeypatch.undo()
    if suffix == "summary.csv":  # every replication had finished: space freed, --resume only writes the tables
        calls = _fail(monkeypatch, "none", -1)
        assert _run(scen, out, "--resume") == 0
        assert calls == [] and len(pd.read_csv(out / "summary.csv")) == 6


def test_full_disk_in_the_result_store_is_a_clear_error(
        scen: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import sqlite3

    import sim.experiment.store

    def full(summary: Any) -> str:  # called inside the write transaction, where SQLite reports a full disk
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(sim.experiment.store, "_dumps_summary", full)
    assert _run(scen, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "cannot write to the result store" in err and "database or disk is full" in err
    assert "Traceback" not in err and "internal error" not in err


def test_disk_full_outside_the_output_helpers_is_exit_2(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import sim.cli.validate

    def full(args: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/results/x.csv")

    monkeypatch.setattr(sim.cli.validate, "main", full)
    assert main(["validate", "whatever.yaml"]) == 2
    err = capsys.readouterr().err
    assert "cannot write (/results/x.csv): No space left on device" in err
