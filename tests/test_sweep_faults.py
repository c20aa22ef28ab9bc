"""A sweep run that raises is recorded and the sweep goes on (issue "Bad input, interruptions and crashes")."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from sim.experiment.designs import LatinHypercubeDesign
from sim.experiment.executors import LocalExecutor
from sim.scenario.ranges import Parameter, Scalar
from sim.sweep.run import FunctionModel, run_sweep
from sim.sweep.spec import SweepSpec


def fragile(values: Mapping[str, Scalar], replication: int) -> dict[str, float]:
    x = float(values["x"])
    if x > 0.5 and replication == 1:
        raise ZeroDivisionError("a deliberate fault at this point")
    return {"y": 2.0 * x + replication}


def _spec() -> SweepSpec:
    design = LatinHypercubeDesign(name="latin_hypercube", samples=6, seed=3)
    return SweepSpec("function", Path("-"), [Parameter(paths=["x"], low=0.0, high=1.0)], design, 2, ["y"])


def test_failed_runs_are_recorded_and_the_rest_finish(tmp_path: Path) -> None:
    with LocalExecutor(1) as executor:
        report = run_sweep(_spec(), FunctionModel(fragile, ["y"], seed=5), tmp_path, executor, progress=False,
                           say=lambda _: None, durable=False)
    points = pd.read_csv(tmp_path / "points.csv")
    bad = int((points["x"] > 0.5).sum())
    assert 0 < bad < len(points)
    assert report.failed == bad
    results = pd.read_csv(tmp_path / "results.csv")
    failed_rows = results[(results["replication"] == 1) & results["point"].isin(points.loc[points["x"] > 0.5, "point"])]
    assert failed_rows["y"].isna().all() and len(failed_rows) == bad
    assert results["y"].notna().sum() == len(results) - bad
    with sqlite3.connect(tmp_path / "store.sqlite") as conn:
        errors = conn.execute("SELECT point, replication, seed, traceback FROM errors").fetchall()
    assert len(errors) == bad
    assert all(rep == 1 and seed == 5 and "ZeroDivisionError" in tb for _, rep, seed, tb in errors)
    log = (tmp_path / "sweep.log").read_text()
    assert log.count("run failed: point") == bad and "replication 1, seed 5" in log


def test_rerun_tries_failed_runs_again_and_keeps_finished_ones(tmp_path: Path) -> None:
    with LocalExecutor(1) as executor:
        first = run_sweep(_spec(), FunctionModel(fragile, ["y"], seed=5), tmp_path, executor, progress=False,
                          say=lambda _: None, durable=False)
        second = run_sweep(_spec(), FunctionModel(fragile, ["y"], seed=5), tmp_path, executor, progress=False,
                           say=lambda _: None, durable=False)
    assert second.skipped == first.runs - first.failed  # finished runs are not run again
    assert second.ran == first.failed and second.failed == first.failed  # the same fault, tried again
    assert not math.isnan(pd.read_csv(tmp_path / "results.csv")["y"].iloc[0])
