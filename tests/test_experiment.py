"""The experiment layer: resume after a model or population change, the folder lock, the resume
command, one executor interface for run, sweep and calibrate, file permissions.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import sim.experiment.fingerprint
import sim.experiment.run_state
import sim.experiment.runner
import sim.population
from sim.cli import main
from sim.experiment.lock import FolderLock
from sim.experiment.run_state import PARTIAL
from tests.conftest import SMALL_SWEEP as SWEEP
from tests.conftest import SMALL_TWO_STRATA as SMALL
from tests.conftest import assert_workers_end_when_killed
from tests.conftest import interrupt_after as _interrupt_after

FIRMS = """id,county,size_class,priority,workers,cash_yuan,fixed_cost_per_day,revenue_per_day,margin
a,east,above_scale,essential,120,5000000,20000,300000,0.1
b,east,sme,normal,30,400000,3000,20000,0.15
c,west,micro,normal,5,30000,300,2000,0.2
d,west,sme,normal,40,500000,4000,30000,0.12
"""
WITH_CSV = """
name: firms
horizon_days: 40
replications: 2
counties:
  - {name: east, weight: 0.5, approval_reviewers: 1, inspectors: 1}
  - {name: west, weight: 0.5, approval_reviewers: 1, inspectors: 1}
population:
  csv: firms.csv
variants:
  fast:
    policies:
      approval: {name: fast_track}
"""
TABLES = ("summary.csv", "timeseries.csv", "enterprises.csv", "comparison.csv", "restart_km.csv")


def _run(scen: Path, out: Path, *extra: str) -> int:
    return main(["run", str(scen), "--out", str(out), "-q", "--no-report", *extra])


def _same_tables(a: Path, b: Path) -> None:
    for name in TABLES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path


@pytest.mark.slow
def test_resume_after_a_model_change_reruns_what_the_old_model_made(
        small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(small, tmp_path / "clean", "--workers", "1") == 0
    out = tmp_path / "stopped"
    _interrupt_after(monkeypatch, finished=2)
    assert _run(small, out, "--workers", "1") == 130
    monkeypatch.undo()
    capsys.readouterr()
    # the model's source "changes" (its fingerprint differs): the 2 kept replications are stale
    for module in (sim.experiment.fingerprint, sim.experiment.run_state):
        monkeypatch.setattr(module, "model_fingerprint", lambda: "a-changed-model")
    calls = _interrupt_after(monkeypatch, finished=99)
    assert _run(small, out, "--workers", "1", "--resume") == 0
    err = capsys.readouterr().err
    assert "2 replication(s) finished before were made with another version of the model's source code" in err
    assert "Resumed: 0 replication(s) reused" in err and "had not finished (4) or were run again (2" in err
    assert sorted(calls) == [(v, r) for v in ("base", "fast") for r in range(3)]
    _same_tables(out, tmp_path / "clean")


@pytest.mark.slow
def test_resume_after_the_population_csv_changed_reruns_and_a_csv_is_read_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    scen = tmp_path / "firms.yaml"
    scen.write_text(WITH_CSV)
    firms = tmp_path / "firms.csv"
    firms.write_text(FIRMS)
    reads: list[str] = []
    real_read = sim.population.read_population_csv

    def counting_read(path: Path, scenario: Any) -> Any:
        reads.append(str(path))
        return real_read(path, scenario)

    # (validating the scenario reads the file too, to report bad rows before anything runs)
    monkeypatch.setattr(sim.experiment.fingerprint, "read_population_csv", counting_read)
    out = tmp_path / "stopped"
    _interrupt_after(monkeypatch, finished=2)
    assert _run(scen, out, "--workers", "1") == 130
    assert len(reads) == 1  # 2 variants × 2 replications: the run reads the file once
    # the planner edits the file (a firm's workforce), then resumes
    firms.write_text(FIRMS.replace("b,east,sme,normal,30,", "b,east,sme,normal,60,"))
    calls = _interrupt_after(monkeypatch, finished=99)
    capsys.readouterr()
    assert _run(scen, out, "--workers", "1", "--resume") == 0
    err = capsys.readouterr().err
    assert "2 replication(s) finished before were made with another content of the population CSV" in err
    assert sorted(calls) == [(v, r) for v in ("base", "fast") for r in range(2)]
    monkeypatch.undo()
    assert _run(scen, tmp_path / "clean", "--workers", "1") == 0
    _same_tables(out, tmp_path / "clean")
    firms_out = pd.read_csv(out / "enterprises.csv")
    assert set(firms_out.loc[firms_out["id"] == "b", "workers"]) == {60}  # every replication has the new file


@pytest.mark.slow
def test_a_second_run_into_a_locked_folder_is_refused_naming_the_first(
        small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "busy"
    with FolderLock(out, ["python", "-m", "sim", "run", "first.yaml", "--seed", "7"]):
        assert _run(small, out, "--seed", "8", "--force") == 2
        err = capsys.readouterr().err
        assert f"is in use by another run (PID {os.getpid()}: python -m sim run first.yaml --seed 7)" in err
        assert not (out / "summary.csv").exists()
        assert main(["sweep", str(small), "--out", str(out), "-q"]) == 2  # every command respects it
    assert _run(small, out, "--seed", "8", "--workers", "1") == 0  # released when the holder ends
    assert not (out / ".sim.lock").exists()


@pytest.mark.slow
def test_the_printed_resume_command_repeats_every_option_quoted_and_finishes_the_run(
        small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "with space" / "out"
    _interrupt_after(monkeypatch, finished=1)
    assert _run(small, out, "--seed", "7", "-r", "2", "--workers", "1", "--all-pairs") == 130
    err = capsys.readouterr().err
    assert "Interrupted: 1 of 4 replication(s) finished" in err
    line = next(x.strip() for x in err.splitlines() if x.strip().startswith("python -m sim run"))
    words = shlex.split(line)
    assert words[words.index("--out") + 1] == str(out)  # quoted: the space survives the shell
    for option in (["--seed", "7"], ["--replications", "2"], ["--workers", "1"], ["--all-pairs"], ["--resume"]):
        assert " ".join(option) in " ".join(words), option
    monkeypatch.undo()
    assert main(words[3:]) == 0
    assert _run(small, tmp_path / "clean", "--seed", "7", "-r", "2", "--workers", "1", "--all-pairs") == 0
    _same_tables(out, tmp_path / "clean")


@pytest.mark.slow
def test_results_are_written_with_the_users_umask(small: Path, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        import importlib

        import sim.results.output
        importlib.reload(sim.results.output)  # the mode is read from the umask at import
        assert _run(small, tmp_path / "out", "--workers", "1") == 0
    finally:
        os.umask(old)
    for name in ("summary.csv", "manifest.json", "resumption.png"):
        assert stat.S_IMODE((tmp_path / "out" / name).stat().st_mode) == 0o644, name


# -- one executor interface: run, sweep and calibrate on every executor kind ---------------

EXECUTORS = [["--workers", "1"], ["--workers", "2"], ["--executor", "dask", "--workers", "2"]]


@pytest.mark.slow
@pytest.mark.parametrize("executor", EXECUTORS, ids=["in-process", "local-pool", "dask-localcluster"])
def test_run_gives_identical_tables_on_every_executor(small: Path, tmp_path: Path, executor: list[str]) -> None:
    assert _run(small, tmp_path / "ref", "--workers", "1") == 0
    assert _run(small, tmp_path / "out", *executor) == 0
    _same_tables(tmp_path / "out", tmp_path / "ref")


@pytest.mark.slow
@pytest.mark.parametrize("executor", EXECUTORS, ids=["in-process", "local-pool", "dask-localcluster"])
def test_sweep_gives_identical_tables_on_every_executor(small: Path, tmp_path: Path, executor: list[str]) -> None:
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(SWEEP)
    assert main(["sweep", str(sweep), "--out", str(tmp_path / "ref"), "-q", "--no-report", "--workers", "1"]) == 0
    assert main(["sweep", str(sweep), "--out", str(tmp_path / "out"), "-q", "--no-report", *executor]) == 0
    for name in ("points.csv", "results.csv", "summary.csv"):
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "ref" / name).read_bytes(), name


@pytest.mark.slow
@pytest.mark.parametrize("executor", EXECUTORS, ids=["in-process", "local-pool", "dask-localcluster"])
def test_calibrate_gives_the_same_fit_on_every_executor(small: Path, tmp_path: Path, executor: list[str]) -> None:
    targets = tmp_path / "targets.csv"
    targets.write_text("region,date,share_of_firms_resumed\nx,2020-02-10,0.4\nx,2020-02-14,0.8\n")

    def fit(out: Path, *extra: str) -> pd.DataFrame:
        argv = ["calibrate", str(small), "--targets", str(targets), "--fit", "approval.preparation_days.mean=1:8",
                "--series", "resumed_share", "-r", "2", "--maxiter", "1", "--popsize", "3", "--out", str(out),
                "-q", *extra]
        assert main(argv) == 0
        return pd.read_csv(out / "fit.csv")

    pd.testing.assert_frame_equal(fit(tmp_path / "out", *executor), fit(tmp_path / "ref", "--workers", "1"))


def test_partial_summary_lists_the_kept_replications(small: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _interrupt_after(monkeypatch, finished=3)
    assert _run(small, tmp_path / "out", "--workers", "1") == 130
    partial = pd.read_csv(tmp_path / "out" / PARTIAL)
    # replication r of every variant runs before r + 1 (the kept ones are pairs on common random numbers)
    assert list(zip(partial["variant"], partial["replication"], strict=True)) == [("base", 0), ("fast", 0), ("base", 1)]


@pytest.mark.slow
def test_compare_recomputes_a_finished_runs_comparison_without_rerunning(
        small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert _run(small, out, "--workers", "1") == 0
    written = (out / "comparison.csv").read_bytes()
    calls = _interrupt_after(monkeypatch, finished=0)  # any replication run now would be an interrupt
    (out / "comparison.csv").unlink()
    assert main(["compare", str(out)]) == 0
    assert (out / "comparison.csv").read_bytes() == written  # the same table as the run's, from summary.csv
    assert main(["compare", str(out), "--reference", "fast"]) == 0
    flipped = pd.read_csv(out / "comparison.csv")
    original = pd.read_csv(pd.io.common.BytesIO(written))
    assert set(flipped["reference"]) == {"fast"} and set(flipped["variant"]) == {"base"}
    both = original.merge(flipped, on="metric", suffixes=("", "_flipped"))
    finite = both["mean_difference"].notna()
    assert finite.sum() >= 10, f"only {finite.sum()} metrics with a difference to compare"
    assert (both.loc[finite, "mean_difference"] == -both.loc[finite, "mean_difference_flipped"]).all()
    assert calls == []
    capsys.readouterr()
    assert main(["compare", str(out), "--reference", "slow"]) == 2
    assert "no such variant; the run has base, fast" in capsys.readouterr().err


@pytest.mark.slow
def test_ctrl_c_while_the_tables_are_written_prints_the_resume_command(
        small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import sim.experiment.experiment

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.experiment.experiment, "write_results", interrupted)
    out = tmp_path / "out"
    assert _run(small, out, "--workers", "1") == 130
    assert "Interrupted: 6 of 6 replication(s) finished" in capsys.readouterr().err
    monkeypatch.undo()
    calls = _interrupt_after(monkeypatch, finished=0)  # nothing may run again
    assert _run(small, out, "--workers", "1", "--resume") == 0
    assert calls == []
    monkeypatch.undo()
    assert _run(small, tmp_path / "clean", "--workers", "1") == 0
    _same_tables(out, tmp_path / "clean")


@pytest.mark.slow
def test_run_on_a_remote_dask_scheduler_gives_identical_tables(small: Path, tmp_path: Path) -> None:
    import logging

    from distributed import LocalCluster

    # a cluster started apart from the run stands for a remote one: the run only gets its address
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster:
        assert _run(small, tmp_path / "out", "--scheduler", cluster.scheduler_address) == 0
    assert _run(small, tmp_path / "ref", "--workers", "1") == 0
    _same_tables(tmp_path / "out", tmp_path / "ref")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert (manifest["executor"], manifest["workers"]) == ("dask", 2)  # the scheduler's two workers ran it


@pytest.mark.slow
def test_the_local_dask_cluster_runs_its_workers_without_the_profiler_and_the_fast_tick() -> None:
    """Both take the GIL from a running replication dozens of times a second; this process's settings stay."""
    import distributed  # noqa: F401  (loads Dask's distributed settings)

    from sim.experiment.dask_executor import DaskExecutor
    from tests.worker_jobs import worker_settings

    before = worker_settings()
    with DaskExecutor(1) as executor:
        on_workers = set(executor._client.run(worker_settings).values())
    assert on_workers == {(False, "1s")}
    assert worker_settings() == before


@pytest.mark.slow
def test_a_local_clusters_workers_are_forked_with_the_model_imported_and_the_environment_of_their_start(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Forked by a server that imported Dask and the model once, not each a fresh interpreter importing them
    (about 1.5 s of CPU per worker and per restart); ignoring SIGINT, as this process's Ctrl-C is for it to
    handle; and a variable set after that server started reaches the next cluster's workers, as it would
    reach a worker started afresh."""
    from sim.experiment.dask_executor import DaskExecutor
    from tests.worker_jobs import worker_state

    with DaskExecutor(1):
        pass  # the server runs from here on
    monkeypatch.setenv("SIM_TEST_SETTING", "set later")
    with DaskExecutor(2) as executor:
        states = list(executor._client.run(worker_state).values())
    assert len(states) == 2
    for parent, model_imported, ignores_sigint, setting in states:
        assert parent != os.getpid()  # spawned by this process's nannies it would be this process
        assert model_imported and ignores_sigint
        assert setting == "set later"


@pytest.mark.slow
def test_a_scheduler_without_workers_is_a_clear_error_not_a_hang(
        small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from distributed import LocalCluster

    monkeypatch.setenv("SIM_WORKER_START_TIMEOUT", "2")
    with LocalCluster(n_workers=0, dashboard_address=":0", silence_logs=logging.ERROR) as cluster:
        assert _run(small, tmp_path / "out", "--scheduler", cluster.scheduler_address) == 2
    err = capsys.readouterr().err
    assert "has no worker" in err and "dask worker" in err and "Traceback" not in err


BIGGER = """
name: bigger
horizon_days: 60
replications: 6
population:
  strata:
    - {name: firms, count: 400}
"""


def _children(pid: int) -> list[int]:
    import psutil

    return [c.pid for c in psutil.Process(pid).children(recursive=True)]


@pytest.mark.slow
def test_workers_end_when_their_run_is_killed_with_sigkill(tmp_path: Path) -> None:
    import sys

    scen = tmp_path / "bigger.yaml"
    scen.write_text(BIGGER)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sim", "run", str(scen), "--out", str(out), "--workers", "2", "-q", "--no-report"]
    assert_workers_end_when_killed(cmd, "run", settle=0.5)  # let the workers start their replications


@pytest.mark.slow
def test_ctrl_c_on_a_sweep_prints_no_worker_traceback(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    (tmp_path / "bigger.yaml").write_text(BIGGER)
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(SWEEP.replace("small.yaml", "bigger.yaml").replace("replications: 2", "replications: 6"))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sim", "sweep", str(sweep), "--out", str(out), "--workers", "2", "--no-report"]
    proc = subprocess.Popen(cmd, cwd=Path(__file__).parent.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 120
    while len(_children(proc.pid)) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    assert proc.poll() is None, "the sweep ended before it could be interrupted"
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err


@pytest.mark.slow
def test_force_and_resume_remove_only_what_the_tool_wrote(small: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    (out / "runs").mkdir(parents=True)
    (out / "runs" / "important-notes.txt").write_text("mine")
    (out / ".notes.tmp").write_text("mine too")
    _interrupt_after(monkeypatch, finished=1)
    assert _run(small, out, "--workers", "1", "--force") == 130
    left = out / ".summary.partial.csv.ab12cd_9.tmp"  # as a kill in the middle of atomic_write leaves it
    left.write_text("half a row")
    monkeypatch.undo()
    assert _run(small, out, "--workers", "1", "--resume") == 0
    assert not left.exists()
    assert (out / "runs" / "important-notes.txt").read_text() == "mine"
    assert (out / ".notes.tmp").read_text() == "mine too"
