"""Runs that cannot mix, hang or leave orphans (misuse and failures): the cases of docs/troubleshooting.md ("When things go wrong").

Each test reproduces one way a careless or hostile user (or the machine) can break a run and checks the
promise: a one-paragraph message naming the file, line or key and what is allowed, exit 2 for bad input
or an unusable environment, never a traceback, and no finished work lost. (The folder lock, the resume
command, fingerprints, the watchdog and --force are tested in tests/test_experiment.py; interruptions in
tests/test_interrupt.py; disk-full while writing a run's files in tests/test_faults.py; workers lost while
sending a result, and Ctrl-C with stopped workers, in tests/test_worker_loss.py; frozen Dask workers, a lost
scheduler and the waits for workers in tests/test_dask_faults.py.)
"""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import sim.experiment.experiment
import sim.experiment.runner
from sim.cli import main
from sim.experiment.store import STORE_NAME
from sim.population import build_population
from sim.results.output import resolved_scenario
from sim.scenario import yaml_source
from sim.scenario.loader import load_scenario
from tests.conftest import SMALL_ONE_STRATUM as SMALL
from tests.conftest import SMALL_SWEEP as SWEEP
from tests.conftest import (
    assert_workers_end_when_killed,
    batches_of,
    disk_full_for,
    tiny,
    write_small,
)
from tests.conftest import run_quietly as _run
from tests.worker_jobs import always_dies, dies_once, kills_its_worker

TABLES = ("summary.csv", "timeseries.csv", "enterprises.csv", "comparison.csv")


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return write_small(tmp_path, SMALL)


def _clean(err: str) -> None:
    assert "Traceback" not in err and "internal error" not in err, err


# -- bad input ------------------------------------------------------------------------------------------

def test_huge_county_weights_are_normalised_without_overflow() -> None:
    # two weights of 1e308 sum to inf; normalising by the largest first keeps the split an even one
    sc = tiny(counties=[{"name": "a", "weight": 1e308}, {"name": "b", "weight": 1e308}],
              population={"strata": [{"name": "s", "count": 2000}]})
    pop = build_population(sc, sc.seed, 0)
    share_a = float((pop.county == 0).mean())
    # binomial(2000, 1/2): 3 standard errors = 3 * sqrt(0.25 / 2000) = 0.034
    assert abs(share_a - 0.5) < 0.034


def test_a_symlink_loop_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    assert main(["validate", str(loop)]) == 2
    err = capsys.readouterr().err
    _clean(err)
    assert f"{loop}: the scenario file cannot be opened: it is a symbolic link that leads" in err


def test_a_population_csv_in_a_symlink_loop_is_a_clear_error(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "firms.csv").symlink_to(tmp_path / "firms.csv")
    scen = tmp_path / "s.yaml"
    scen.write_text("name: s\npopulation:\n  csv: firms.csv\n")
    assert main(["validate", str(scen)]) == 2
    err = capsys.readouterr().err
    _clean(err)
    assert "key 'population.csv'" in err and "does not exist" in err


def test_thousands_of_bad_provenance_keys_print_a_bounded_message(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    scen = tmp_path / "prov.yaml"
    keys = ", ".join(f"k{i}: x" for i in range(5000))
    scen.write_text(f"name: p\nprovenance: {{{keys}}}\n")
    assert main(["validate", str(scen)]) == 2
    err = capsys.readouterr().err
    _clean(err)
    assert "5,000 errors in input" in err
    assert "... and 4,900 more problems (only the first 100 are shown)" in err
    assert err.count("is not a parameter of the scenario") == 100
    assert len(err) < 40_000


@pytest.mark.slow
def test_the_resolved_scenario_of_a_large_input_loads_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the real case: a 951 KB file with 14,500 counties resolves to 1.7 MB; the same at a smaller limit
    monkeypatch.setattr(yaml_source, "MAX_FILE_BYTES", 40_000)
    counties = "\n".join(f"  - {{name: c{i}}}" for i in range(2000))
    scen = tmp_path / "many.yaml"
    scen.write_text(f"name: many\ncounties:\n{counties}\n")
    assert scen.stat().st_size < 40_000
    loaded = load_scenario(scen)
    resolved = tmp_path / "scenario.resolved.yaml"
    resolved.write_text(yaml.safe_dump(resolved_scenario(loaded), allow_unicode=True, sort_keys=False))
    assert resolved.stat().st_size > 40_000  # above the input limit: the resolved file has its own
    again = load_scenario(resolved)
    assert again.base == loaded.base
    other = tmp_path / "other.yaml"  # an input of that size is still refused
    other.write_bytes(resolved.read_bytes())
    with pytest.raises(Exception, match="the limit is 40,000 bytes"):
        load_scenario(other)


# -- output that cannot be written ---------------------------------------------------------------------

def _sweep(tmp_path: Path, small: Path) -> Path:
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(SWEEP)
    out = tmp_path / "sweep"
    assert main(["sweep", str(sweep), "--out", str(out), "-q", "--no-report", "--workers", "1"]) == 0
    return out


def test_export_to_a_file_is_a_clear_error(small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _sweep(tmp_path, small)
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    capsys.readouterr()
    assert main(["export", str(out), "--out", str(target)]) == 2
    err = capsys.readouterr().err
    _clean(err)
    assert f"--out {target} is a file" in err
    assert target.read_text() == "mine"
    assert main(["export", str(out), "--out", str(target / "sub")]) == 2  # a path through a file
    _clean(capsys.readouterr().err)


def test_disk_full_during_a_sweep_is_exit_2_and_keeps_the_finished_runs(
        small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import sim.experiment.store

    real = sim.experiment.store._dumps_summary
    calls = [0]

    def full_after_two(summary: Any) -> str:  # called inside the write transaction, as SQLite reports ENOSPC
        calls[0] += 1
        if calls[0] > 2:
            raise sqlite3.OperationalError("database or disk is full")
        return real(summary)

    monkeypatch.setattr(sim.experiment.store, "_dumps_summary", full_after_two)
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(SWEEP)
    out = tmp_path / "out"
    assert main(["sweep", str(sweep), "--out", str(out), "-q", "--no-report", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    _clean(err)
    assert "cannot write to the result store" in err and "database or disk is full" in err
    with sqlite3.connect(out / STORE_NAME) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2
    monkeypatch.undo()  # space freed: the same command finishes, running only the 2 runs missing
    assert main(["sweep", str(sweep), "--out", str(out), "--no-report", "--workers", "1"]) == 0
    assert "2 already in the store (skipped), 2 to run" in capsys.readouterr().err
    assert pd.read_csv(out / "results.csv")["mean_restart_day"].notna().all()


def test_disk_full_in_a_sweeps_tables_is_exit_2(small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    disk_full_for(monkeypatch, "results.csv")
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(SWEEP)
    assert main(["sweep", str(sweep), "--out", str(tmp_path / "out"), "-q", "--no-report", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    _clean(err)
    assert "No space left on device" in err


# -- a damaged result store -----------------------------------------------------------------------------

@pytest.mark.slow
def test_a_damaged_entry_in_a_runs_store_is_run_again(small: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    real = sim.experiment.runner.run_task
    calls: list[tuple[str, int]] = []

    def stop_after_three(task: Any) -> Any:
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append((task.variant, task.replication))
        return real(task)

    monkeypatch.setattr(sim.experiment.runner, "run_task", stop_after_three)
    out = tmp_path / "out"
    assert _run(small, out) == 130
    with sqlite3.connect(out / STORE_NAME) as conn:  # as a crash of the disk or a hand edit leaves it
        conn.execute("UPDATE runs SET result = substr(result, 1, 40) WHERE replication = 1")
    monkeypatch.undo()
    calls.clear()
    monkeypatch.setattr(sim.experiment.runner, "run_task", lambda task: calls.append((task.variant, task.replication)) or real(task))
    capsys.readouterr()
    assert _run(small, out, "--resume") == 0
    err = capsys.readouterr().err
    _clean(err)
    assert "1 replication(s) in" in err and "could not be read back (a damaged entry); they are run again" in err
    # kept: (base, 0), (fast, 0) and the damaged (base, 1) (replication r of every variant before r + 1)
    assert sorted(calls) == [("base", 1), ("base", 2), ("fast", 1), ("fast", 2)]
    monkeypatch.undo()
    assert _run(small, tmp_path / "clean") == 0
    for name in TABLES:
        assert (out / name).read_bytes() == (tmp_path / "clean" / name).read_bytes(), name


def test_a_damaged_entry_in_a_sweeps_store_is_run_again(small: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = _sweep(tmp_path, small)
    before = pd.read_csv(out / "results.csv")
    with sqlite3.connect(out / STORE_NAME) as conn:
        conn.execute("UPDATE runs SET summary = substr(summary, 1, 10) WHERE rowid = 2")
    capsys.readouterr()
    assert main(["export", str(out)]) == 0  # the damaged row is left out of the export, no traceback
    sweep = tmp_path / "sweep.yaml"
    assert main(["sweep", str(sweep), "--out", str(out), "--no-report", "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert "1 run(s) in" in err and "a damaged entry" in err and "1 to run" in err
    pd.testing.assert_frame_equal(pd.read_csv(out / "results.csv"), before)


def test_a_truncated_store_file_is_a_clear_error(small: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = _sweep(tmp_path, small)
    store = out / STORE_NAME
    for extra in ("-wal", "-shm"):
        Path(str(store) + extra).unlink(missing_ok=True)
    data = store.read_bytes()
    store.write_bytes(data[: len(data) // 3])
    capsys.readouterr()
    code = main(["sweep", str(tmp_path / "sweep.yaml"), "--out", str(out), "-q", "--no-report", "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 2, err
    _clean(err)
    assert str(store) in err and ("damaged" in err or "cannot" in err)


# -- worker processes that die --------------------------------------------------------------------------

def _grid_spec() -> Any:
    from sim.experiment.designs import GridDesign
    from sim.scenario.ranges import Parameter
    from sim.sweep.spec import SweepSpec

    return SweepSpec("function", Path("-"), [Parameter(paths=["x"], levels=[1, 2, 3, 4])],
                     GridDesign(name="grid"), 2, ["y"])


def _sweep_with(function: Any, executor: Any, out: Path) -> Any:
    from sim.sweep.run import FunctionModel, run_sweep

    return run_sweep(_grid_spec(), FunctionModel(function, ["y"], seed=1), out, executor, progress=False,
                     say=lambda _: None, durable=False)


@pytest.mark.parametrize("batch", [1, 3], ids=["one-job-per-task", "batches-of-3"])
def test_a_local_worker_killed_mid_sweep_has_its_runs_rerun_on_a_fresh_worker(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], batch: int) -> None:
    from sim.experiment.executors import LocalExecutor

    monkeypatch.setenv("ROBUST_MARKER", str(tmp_path / "marker"))
    sizes = batches_of(monkeypatch, batch)
    with LocalExecutor(2) as executor:
        report = _sweep_with(dies_once, executor, tmp_path / "out")
    assert (tmp_path / "marker").exists()  # the worker was killed
    assert sizes[0] == batch  # with batches of 3, x=2 r=0 killed its worker in the middle of the first one
    assert report.failed == 0 and report.ran == 8
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert list(results["y"]) == [10 * x + r for x in (1, 2, 3, 4) for r in (0, 1)]
    assert (f"note: a worker process was killed (SIGKILL, e.g. by the out-of-memory killer) before its result was "
            f"back; its {batch} job(s) are run again.") in capsys.readouterr().err


@pytest.mark.parametrize("batch", [1, 3], ids=["one-job-per-task", "batches-of-3"])
def test_a_run_that_kills_its_worker_every_time_fails_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int) -> None:
    from sim.experiment.executors import MAX_LOSSES, LocalExecutor

    batches_of(monkeypatch, batch)  # the jobs of its batch are rerun one per task: they finish
    with LocalExecutor(2) as executor:
        report = _sweep_with(always_dies, executor, tmp_path / "out")
    assert report.failed == 1 and report.ran == 8  # the other 7 runs finished
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert results["y"].isna().sum() == 1
    log = (tmp_path / "out" / "sweep.log").read_text()
    assert f"died {MAX_LOSSES} times" in log and "point 1, replication 0" in log


@pytest.mark.slow
@pytest.mark.parametrize("batch", [1, 3], ids=["one-job-per-task", "batches-of-3"])
def test_dask_workers_killed_mid_sweep_have_their_runs_rerun(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             batch: int) -> None:
    from sim.experiment.dask_executor import DaskExecutor

    monkeypatch.setenv("ROBUST_MARKER", str(tmp_path / "marker"))
    batches_of(monkeypatch, batch)
    with DaskExecutor(2) as executor:
        report = _sweep_with(dies_once, executor, tmp_path / "out")
    assert (tmp_path / "marker").exists()
    assert report.failed == 0
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert list(results["y"]) == [10 * x + r for x in (1, 2, 3, 4) for r in (0, 1)]


@pytest.mark.slow
def test_a_dask_batch_that_kills_its_workers_is_split_and_only_the_guilty_run_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.experiment.dask_executor import DaskExecutor

    sizes = batches_of(monkeypatch, 3)
    with DaskExecutor(2) as executor:
        report = _sweep_with(always_dies, executor, tmp_path / "out")
    assert sizes[0] == 3 and sizes.count(1) >= 3, sizes  # the first batch, then its jobs again one per task
    assert report.failed == 1 and report.ran == 8
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert list(results["y"].isna()) == [x == 2 and r == 0 for x in (1, 2, 3, 4) for r in (0, 1)]
    log = (tmp_path / "out" / "sweep.log").read_text()
    assert "point 1, replication 0" in log and "WorkerDied" in log


@pytest.mark.slow
def test_a_local_dask_worker_slow_to_restart_is_waited_for_not_dropped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A killed worker whose restart takes longer than distributed's lost-worker timeout (15 s by default;
    2 s here, the restart 6 s) stays in the cluster and runs the job again. (The LocalCluster closed the nanny
    of a worker not back in time, for good: on a loaded machine, with a job that killed its workers, it was
    left with none and the run failed with "no worker"; traced under benchmarks/under_load.py.)"""
    import dask

    from sim.experiment.dask_executor import DaskExecutor

    marker = tmp_path / "marker"
    monkeypatch.setenv("ROBUST_MARKER", str(marker))
    preload = tmp_path / "slow_restart.py"  # a worker started after the first death takes 6 s to join
    preload.write_text("import os, time\n\ndef dask_setup(worker):\n"
                       "    if os.path.exists(os.environ['ROBUST_MARKER']):\n        time.sleep(6)\n")
    with dask.config.set({"distributed.deploy.lost-worker-timeout": "2s", "distributed.worker.preload": [str(preload)]}):
        with DaskExecutor(1) as executor:
            report = _sweep_with(dies_once, executor, tmp_path / "out")
    assert marker.exists()  # the worker was killed
    assert report.failed == 0 and report.ran == 8
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert list(results["y"]) == [10 * x + r for x in (1, 2, 3, 4) for r in (0, 1)]


@pytest.mark.slow
def test_a_dask_cluster_that_loses_every_worker_is_exit_2_not_a_hang(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import logging
    import subprocess
    import sys
    import time

    from distributed import Client, LocalCluster

    from sim.errors import ClusterError
    from sim.experiment.dask_executor import DaskExecutor

    root = Path(__file__).parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    with LocalCluster(n_workers=0, dashboard_address=":0", silence_logs=logging.CRITICAL) as cluster:
        # two workers of a "remote" cluster, as `dask worker ADDRESS --no-nanny` starts them
        workers = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", cluster.scheduler_address,
                                     "--no-nanny", "--nthreads", "1", "--no-dashboard"], cwd=root, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
        try:
            with Client(cluster) as client:  # both up (slow on a loaded machine) before the short wait applies
                client.wait_for_workers(2, timeout=300)
            monkeypatch.setenv("SIM_WORKER_START_TIMEOUT", "3")  # the wait once they are all gone
            with DaskExecutor(1, cluster.scheduler_address) as executor:
                t0 = time.monotonic()
                with pytest.raises(ClusterError, match="has had no worker") as caught:
                    _sweep_with(kills_its_worker, executor, tmp_path / "out")
                assert time.monotonic() - t0 < 60
        finally:
            for proc in workers:
                proc.kill()
                proc.wait(timeout=30)
    assert "every run that finished is kept" in str(caught.value)
    import sqlite3 as sq

    with sq.connect(tmp_path / "out" / STORE_NAME) as conn:  # only runs of x=1 can have finished, and are kept
        assert {p for (p,) in conn.execute("SELECT parameters FROM runs")} <= {'{"x":1}'}
        assert conn.execute("SELECT status FROM sweeps").fetchall() == [("failed",)]


def _silent_listener() -> tuple[Any, int]:
    """A socket on 127.0.0.1 that accepts connections and never says anything (closed by the caller)."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.5)
    accepted: list[Any] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    class Listener:
        def close(self) -> None:
            stop.set()
            thread.join(timeout=5)
            for conn in accepted:
                conn.close()
            server.close()

    return Listener(), server.getsockname()[1]


@pytest.mark.slow
def test_a_scheduler_address_that_never_answers_is_exit_2_in_bounded_time(
        small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import time

    import sim.experiment.dask_executor

    monkeypatch.setattr(sim.experiment.dask_executor, "CONNECT_TIMEOUT", 1.0)
    listener, port = _silent_listener()
    try:
        t0 = time.monotonic()
        assert _run(small, tmp_path / "out", "--scheduler", f"tcp://127.0.0.1:{port}") == 2
        assert time.monotonic() - t0 < 15
    finally:
        listener.close()
    err = capsys.readouterr().err
    _clean(err)
    assert f"tcp://127.0.0.1:{port} accepts connections but does not answer as a Dask scheduler" in err


# -- absurd sizes ---------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_sweep_with_100000_replications_says_its_plan_at_once(small: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    import sim.sweep.run

    class Planned(Exception):
        pass

    said: list[tuple[float, str]] = []
    t0 = time.monotonic()

    def say(text: str) -> None:
        said.append((time.monotonic() - t0, text))
        if "to run on" in text:
            raise Planned  # stop before running 200,000 replications

    from sim.experiment.executors import LocalExecutor
    from sim.scenario.loader import load_scenario
    from sim.sweep.spec import load_sweep

    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(SWEEP.replace("replications: 2", "replications: 100000"))
    spec = load_sweep(sweep)
    model = sim.sweep.run.ScenarioModel(load_scenario(small).base, spec)
    with pytest.raises(Planned), LocalExecutor(1) as executor:
        sim.sweep.run.run_sweep(spec, model, tmp_path / "out", executor, progress=False, say=say)
    assert said[0][1].startswith("Sweep 'sweep.yaml': preparing 200,000 run(s)") and said[0][0] < 2
    assert "200000 to run" in said[-1][1] and said[-1][0] < 20  # the keys of 200,000 runs: was 70 s


def test_a_sweep_beyond_the_run_limit_is_refused_naming_the_key(small: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(SWEEP.replace("levels: [1, 3]", "levels: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]")
                     .replace("replications: 2", "replications: 100000"))
    assert main(["sweep", str(sweep), "--out", str(tmp_path / "out"), "-q", "--no-report"]) == 2
    err = capsys.readouterr().err
    _clean(err)
    assert "sweep.yaml:6:1: key 'replications': 11 point(s) × 100,000 replication(s) = 1,100,000 runs" in err
    assert "at most 1,000,000" in err


# -- memory -----------------------------------------------------------------------------------------------

BIG = """
name: big
horizon_days: 30
replications: 2
population:
  strata:
    - {name: firms, count: 2000000}
"""


def test_a_population_that_cannot_fit_is_refused_before_running_with_an_estimate(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import sim.experiment.memory as memory

    monkeypatch.setattr(memory, "available_bytes", lambda: 8_000_000_000)
    ran: list[Any] = []
    monkeypatch.setattr(sim.experiment.runner, "run_task", lambda task: ran.append(task))
    scen = tmp_path / "big.yaml"
    scen.write_text(BIG)  # the largest population the schema allows
    out = tmp_path / "out"
    assert main(["run", str(scen), "--out", str(out), "-q", "--no-report"]) == 2
    err = capsys.readouterr().err
    _clean(err)
    need = memory.replication_bytes(2_000_000) / 1e9  # 18.2 GB with 9,000 bytes per enterprise
    assert f"key 'population.strata': 2,000,000 enterprises need about {need:.1f} GB of memory" in err
    assert "this machine has 8.0 GB available" in err
    assert ran == [] and not out.exists()  # refused before the folder was touched


@pytest.mark.slow
def test_the_default_workers_are_lowered_to_fit_and_explicit_ones_are_refused(
        small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import sim.experiment.executors
    import sim.experiment.memory as memory

    # room for exactly two workers of the 30-firm scenario
    monkeypatch.setattr(memory, "available_bytes", lambda: 2 * memory.replication_bytes(30) + 1)
    monkeypatch.setattr(sim.experiment.executors, "default_workers", lambda: 8)
    started: list[int] = []

    def spy(kind: Any, workers: Any, scheduler: Any = None) -> Any:
        started.append(workers)
        return sim.experiment.executors.LocalExecutor(1)

    monkeypatch.setattr(sim.experiment.experiment, "make_executor", spy)
    assert main(["run", str(small), "--out", str(tmp_path / "a"), "-q", "--no-report"]) == 0
    assert started == [2]
    assert "running 2 worker(s) instead of 8 to fit" in capsys.readouterr().err
    assert main(["run", str(small), "--out", str(tmp_path / "b"), "-q", "--no-report", "--workers", "3"]) == 2
    err = capsys.readouterr().err
    _clean(err)
    assert "3 workers × about 0.2 GB each (30 enterprises) exceed" in err and "use --workers 2 or fewer" in err


# -- Ctrl-C on a Dask sweep ---------------------------------------------------------------------------------

@pytest.mark.slow
def test_ctrl_c_on_a_dask_sweep_prints_no_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    from sim.experiment.store import ResultStore

    (tmp_path / "small.yaml").write_text(SMALL.replace("count: 30", "count: 300"))
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(SWEEP.replace("replications: 2", "replications: 40"))
    out = tmp_path / "out"
    root = Path(__file__).parent.parent
    cmd = [sys.executable, "-m", "sim", "sweep", str(sweep), "--out", str(out), "--executor", "dask", "--workers",
           "2", "--no-report"]
    # a new session: the signal goes to the whole process group, workers included, as Ctrl-C in a terminal
    proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
        if (out / STORE_NAME).exists():
            with ResultStore(out, durable=False) as store:
                if store.count() >= 2:
                    break
    assert proc.poll() is None, "the sweep ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Error" not in err, err
    assert "Interrupted: every run that finished is kept" in err and "run the same command again" in err


def test_a_shortened_calibration_horizon_keeps_days_beyond_it_valid() -> None:
    # calibration stops at the last target day; the loan window (like the ban and dispatch days) may
    # lie past it, which must not make the shortened scenario invalid
    from sim.calibration.fit import apply_values

    base = tiny(horizon_days=120, policies={"loans": {"enabled": True, "window_opens_day": 60}},
                cadres={"dispatch_day": 50})
    short = apply_values(base, [], [], horizon=30.0)
    assert short.horizon_days == 30 and short.policies.loans.window_opens_day == 30
    assert short.cadres.dispatch_day == 30


@pytest.mark.slow
def test_sigterm_while_the_report_is_written_says_how_to_finish(
        small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import sim.report

    def killed(*args: Any, **kwargs: Any) -> Path:
        os.kill(os.getpid(), signal.SIGTERM)  # `kill PID` while the report is drawn
        raise AssertionError("SIGTERM did not stop the report")

    monkeypatch.setattr(sim.report, "write_report", killed)
    out = tmp_path / "out"
    assert main(["run", str(small), "--out", str(out), "--workers", "1", "-q"]) == 130
    err = capsys.readouterr().err
    _clean(err)
    assert f"The results in {out} are complete, but the report was not written" in err
    assert f"python -m sim report {out}" in err
    assert (out / "summary.csv").is_file()


@pytest.mark.slow
def test_workers_of_a_sweep_killed_with_sigkill_end_too(tmp_path: Path) -> None:
    import sys

    (tmp_path / "small.yaml").write_text(SMALL.replace("count: 30", "count: 400"))
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(SWEEP.replace("replications: 2", "replications: 20"))
    cmd = [sys.executable, "-m", "sim", "sweep", str(sweep), "--out", str(tmp_path / "out"), "--workers", "2",
           "-q", "--no-report"]
    assert_workers_end_when_killed(cmd, "sweep")


@pytest.mark.slow
def test_a_run_whose_cluster_loses_its_workers_keeps_what_finished_and_says_how_to_finish(
        small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from sim.errors import ClusterError
    from sim.experiment.executors import Executor, run_job

    class LosesItsWorkers(Executor):
        name = "dask"

        def run(self, jobs: list[Any]) -> Any:
            for job in jobs[:2]:
                yield run_job(job)
            raise ClusterError("the Dask cluster has had no worker (or no scheduler) for 30 s")

    monkeypatch.setattr(sim.experiment.experiment, "make_executor", lambda *a, **k: LosesItsWorkers())
    out = tmp_path / "out"
    assert _run(small, out) == 2
    err = capsys.readouterr().err
    _clean(err)
    assert "error: the Dask cluster has had no worker" in err
    assert f"To finish the run:\n  python -m sim run {small} --out {out} --resume --workers 1" in err
    monkeypatch.undo()
    assert _run(small, out, "--resume") == 0
    assert "Resumed: 2 replication(s) reused" in capsys.readouterr().err
