"""Sweeps as a planner runs them: resume after a kill, identical tables on every executor, clear errors."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main as cli_main
from sim.errors import InputError
from sim.experiment.designs import GridDesign, RandomDesign, design_points, point_count
from sim.experiment.store import run_key
from sim.scenario.loader import load_scenario
from sim.scenario.paths import expand_path
from sim.scenario.ranges import Parameter
from sim.sweep.run import ScenarioModel
from sim.sweep.spec import load_sweep
from tests.conftest import TWO_COUNTIES, edit_file, refused

ROOT = Path(__file__).parent.parent
SWEEP = """# a small sweep
scenario: small.yaml
levers:
  cadres.liaisons.count: {low: 0, high: 60, integer: true}
  policies.loans.window_opens_day: {levels: [5, 25]}
uncertainties:
  counties[*].approval_reviewers: {low: 1, high: 4, integer: true}
design: {name: DESIGN}
replications: 2
outcomes: [mean_restart_day, failed_share, day_resumed_50]
"""


def write_sweep(folder: Path, design: str, count: int = 30, horizon: int = 40) -> Path:
    (folder / "small.yaml").write_text(TWO_COUNTIES.format(count=count, horizon=horizon))
    path = folder / "sweep.yaml"
    path.write_text(SWEEP.replace("DESIGN", design))
    return path


def sim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)


def expected_keys(sweep: Path) -> set[str]:
    """The run keys the sweep must produce, computed without running anything."""
    spec = load_sweep(sweep)
    model = ScenarioModel(load_scenario(spec.scenario_path).base, spec)
    design = design_points(spec.parameters, spec.design, model.seed)
    reps = spec.replications or model.replications
    return {run_key(model.prepare(i, v)[1], r) for i, v in enumerate(design.values) for r in range(reps)}


def store_count(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
    except sqlite3.OperationalError:  # the table is not created yet
        return 0


@pytest.mark.slow
def test_sigkill_part_way_then_rerun_finds_every_run_exactly_once(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path, "latin_hypercube, samples: 8, seed: 3", count=60, horizon=60)
    out = tmp_path / "out"
    store = out / "store.sqlite"
    proc = subprocess.Popen([sys.executable, "-m", "sim", "sweep", str(sweep), "--out", str(out), "--no-report", "--workers", "2",
                             "--quiet"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while store_count(store) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker processes, mid-flight
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the sweep finished before it could be killed; make it longer"
    kept = store_count(store)
    total = 8 * 2
    assert 3 <= kept < total
    with sqlite3.connect(store) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    rerun = sim("sweep", str(sweep), "--out", str(out), "--no-report", "--workers", "2")
    assert rerun.returncode == 0, rerun.stderr
    assert f"{kept} already in the store (skipped), {total - kept} to run" in rerun.stderr

    with sqlite3.connect(store) as conn:
        keys = [k for (k,) in conn.execute("SELECT key FROM runs")]
        pairs = conn.execute("SELECT COUNT(DISTINCT point || '/' || replication) FROM runs").fetchone()[0]
        statuses = [s for (s,) in conn.execute("SELECT status FROM sweeps ORDER BY id")]
    assert len(keys) == len(set(keys)) == total
    assert set(keys) == expected_keys(sweep)
    assert pairs == total
    assert statuses == ["running", "finished"]  # the killed invocation never got to say it finished
    results = pd.read_csv(out / "results.csv")
    assert len(results) == total
    assert sorted(zip(results.point, results.replication, strict=True)) == [(i, r) for i in range(8) for r in range(2)]
    assert results["mean_restart_day"].notna().all()
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 8 and (summary["mean_restart_day_n"] == 2).all()

    assert cli_main(["sweep", str(sweep), "--out", str(out), "--quiet"]) == 0  # nothing left to run
    assert store_count(store) == total
    assert pd.read_csv(out / "results.csv").equals(results)
    assert "<img" in (out / "report.html").read_text(encoding="utf-8")  # the sweep's report, with its plots


@pytest.mark.slow
def test_one_worker_two_workers_and_dask_give_identical_tables(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path, "morris, samples: 2, levels: 4, seed: 5")
    outs = {"w1": ["--workers", "1"], "w2": ["--workers", "2"], "dask": ["--executor", "dask", "--workers", "2"]}
    for name, extra in outs.items():  # in this process: the CLI's code path without the interpreter start-up
        assert cli_main(["sweep", str(sweep), "--out", str(tmp_path / name), "--quiet", "--no-report", *extra]) == 0, name
    for table in ("points.csv", "results.csv", "summary.csv", "sensitivity.csv"):
        first = (tmp_path / "w1" / table).read_bytes()
        assert len(first.splitlines()) > 2
        for name in ("w2", "dask"):
            assert (tmp_path / name / table).read_bytes() == first, f"{table} differs for {name}"
    results = pd.read_csv(tmp_path / "w1" / "results.csv")
    assert results["mean_restart_day"].nunique() > 1  # the parameters do move the outcome


def test_common_random_numbers_across_points(tmp_path: Path) -> None:
    """A lever that cannot act (loans window when no firm is short of cash) leaves every replication unchanged."""
    (tmp_path / "small.yaml").write_text(TWO_COUNTIES.format(count=20, horizon=30))
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text("scenario: small.yaml\nlevers:\n  policies.loans.enabled: {levels: [false, true]}\n"
                     "uncertainties:\n  population.strata[0].cash_runway_days: {levels: [5000, 6000]}\n"
                     "design: {name: grid}\nreplications: 3\noutcomes: [mean_restart_day, loans_disbursed]\n")
    assert cli_main(["sweep", str(sweep), "--out", str(tmp_path / "o"), "--quiet", "--no-report", "--workers", "1"]) == 0
    results = pd.read_csv(tmp_path / "o" / "results.csv")
    by_point = results.pivot(index="replication", columns="point", values="mean_restart_day")
    assert by_point.shape == (3, 4)
    for col in by_point.columns:
        assert np.array_equal(by_point[col].to_numpy(), by_point[0].to_numpy())
    assert by_point[0].nunique() == 3  # while replications do differ


@pytest.mark.parametrize(("edit", "line", "words"), [
    (("design: {name: grid}", "design: {name: grid, level: 2}"), 8, ["unknown key 'level'", "Did you mean 'levels'"]),
    (("cadres.liaisons.count", "cadres.liaison.count"), 4, ["cadres.liaison.count", "Did you mean 'liaisons'"]),
    (("counties[*]", "counties[7]"), 7, ["there is no [7]"]),
    (("failed_share", "failed"), 10, ["unknown outcome 'failed'"]),
    (("{low: 0, high: 60, integer: true}", "{low: -10, high: 60, integer: true}"), 4,
     ["cadres.liaisons.count must be at least 0 (got -10)", "Narrow the range"]),
])
def test_bad_sweep_file_exits_2_with_file_line_and_key(tmp_path: Path, edit: tuple[str, str], line: int,
                                                      words: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    sweep = write_sweep(tmp_path, "grid")
    edit_file(sweep, *edit)
    refused(["sweep", str(sweep), "--out", str(tmp_path / "o"), "--quiet", "--no-report"], capsys,
            f"sweep.yaml:{line}:", *words)
    assert not (tmp_path / "o" / "results.csv").exists()


@pytest.mark.slow
def test_bad_sweep_file_from_the_shell_no_traceback(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path, "grid, samples: 3")
    done = sim("sweep", str(sweep), "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "sweep.yaml:8:" in done.stderr and "unknown key 'samples'" in done.stderr, done.stderr


def test_paths_expand_and_levels_are_equally_likely() -> None:
    data = {"counties": [{"r": 1}, {"r": 2}], "cadres": {"liaisons": {"count": 3}}}
    assert expand_path("counties[*].r", data) == [("counties", 0, "r"), ("counties", 1, "r")]
    assert expand_path("cadres.liaisons.count", data) == [("cadres", "liaisons", "count")]
    with pytest.raises(ValueError, match="Did you mean 'count'"):
        expand_path("cadres.liaisons.cuont", data)
    u = (np.arange(3000) + 0.5) / 3000
    ints = Parameter(paths=["x"], low=1, high=3, integer=True).from_unit(u)
    assert sorted(set(ints)) == [1, 2, 3] and all(ints.count(v) == 1000 for v in (1, 2, 3))
    words = Parameter(paths=["y"], levels=["a", "b"]).from_unit(u)
    assert words.count("a") == words.count("b") == 1500
    assert Parameter(paths=["z"], low=0, high=10, integer=True).grid(3) == [0, 5, 10]


def test_sweep_file_errors_point_at_the_key(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("scenario: x.yaml\nlevers:\n  a.b: {low: 3, high: 1}\ndesign: {name: sobol, samples: 100}\n"
                    "outcomes: [y]\n")
    with pytest.raises(InputError) as err:
        load_sweep(path)
    text = err.value.render()
    assert "s.yaml:3:" in text and "'low' (3) must be below 'high' (1)" in text
    assert "s.yaml:4:" in text and "power of two" in text and "64 or 128" in text


def test_refuses_to_write_into_a_folder_that_is_not_a_sweep(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    sweep = write_sweep(tmp_path, "grid")
    out = tmp_path / "a-run"
    out.mkdir()
    (out / "summary.csv").write_text("variant,replication\n")
    assert cli_main(["sweep", str(sweep), "--out", str(out), "--quiet", "--no-report"]) == 2
    assert "holds no sweep" in capsys.readouterr().err
    assert (out / "summary.csv").read_text() == "variant,replication\n"
    (tmp_path / "small.yaml").unlink()
    assert cli_main(["sweep", str(sweep), "--out", str(tmp_path / "o"), "--quiet", "--no-report"]) == 2
    assert "sweep.yaml:2:" in capsys.readouterr().err


def test_sampled_designs_are_seeded_and_in_range() -> None:
    params = [Parameter(paths=["a"], low=2, high=5, integer=True), Parameter(paths=["b"], low=0.1, high=0.2),
              Parameter(paths=["c"], levels=["x", "y", "z"])]
    one = design_points(params, RandomDesign(name="random", samples=50, seed=1), seed=0)
    assert design_points(params, RandomDesign(name="random", samples=50, seed=1), seed=0).values == one.values
    assert design_points(params, RandomDesign(name="random", samples=50, seed=2), seed=0).values != one.values
    assert design_points(params, RandomDesign(name="random", samples=50), seed=1).values == one.values  # seed defaults
    assert len(one.values) == 50
    assert all(2 <= v["a"] <= 5 and 0.1 <= v["b"] <= 0.2 and v["c"] in "xyz" for v in one.values)
    grid = design_points(params, GridDesign(name="grid", levels=3), seed=0)
    assert len(grid) == point_count(params, GridDesign(name="grid", levels=3)) == 3 * 3 * 3
    assert {v["a"] for v in grid.values} == {2, 4, 5} and {v["b"] for v in grid.values} == {0.1, 0.15, 0.2}
