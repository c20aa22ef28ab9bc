"""Runs that cannot mix, hang or leave orphans: the cases of README "When things go wrong".

Each test reproduces one way a careless or hostile user (or the machine) can break a run and checks the
promise: a one-paragraph message naming the file, line or key and what is allowed, exit 2 for bad input
or an unusable environment, never a traceback, and no finished work lost. (The folder lock, the resume
command, fingerprints, the watchdog and --force are tested in tests/test_experiment.py; interruptions in
tests/test_interrupt.py; disk-full while writing a run's files in tests/test_faults.py.)
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import sim.experiment.runner
from sim.cli import main
from sim.experiment.store import STORE_NAME
from sim.population import build_population
from sim.results.output import resolved_scenario
from sim.scenario import yaml_source
from sim.scenario.loader import load_scenario
from tests.conftest import tiny

SMALL = """
name: small
horizon_days: 30
replications: 3
population:
  strata:
    - {name: firms, count: 30}
variants:
  fast:
    policies:
      approval: {name: fast_track}
"""
SWEEP = """
scenario: small.yaml
levers:
  counties[*].approval_reviewers: {levels: [1, 3]}
design: {name: grid}
replications: 2
outcomes: [mean_restart_day, restarted_share]
"""
TABLES = ("summary.csv", "timeseries.csv", "enterprises.csv", "comparison.csv")


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path


def _run(scen: Path, out: Path, *extra: str) -> int:
    return main(["run", str(scen), "--out", str(out), "--workers", "1", "-q", "--no-report", *extra])


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
    real = os.replace

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if str(dst).endswith("results.csv"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(SWEEP)
    assert main(["sweep", str(sweep), "--out", str(tmp_path / "out"), "-q", "--no-report", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    _clean(err)
    assert "No space left on device" in err


# -- a damaged result store -----------------------------------------------------------------------------

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
    assert sorted(calls) == [("base", 1), ("fast", 0), ("fast", 1), ("fast", 2)]
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
