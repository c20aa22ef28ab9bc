"""The sensitivity machinery against functions whose indices are known exactly.

The functions run through the same sweep path as the simulator (design →
store → tables → SALib analysis); only the evaluation is plugged in
(:class:`sim.sweep.FunctionModel`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.experiment.designs import LatinHypercubeDesign, MorrisDesign, SobolDesign
from sim.experiment.executors import LocalExecutor
from sim.scenario.ranges import Parameter, Scalar
from sim.sweep.run import FunctionModel, run_sweep
from sim.sweep.spec import SweepSpec

A, B = 7.0, 0.1


def ishigami(values: Mapping[str, Scalar], replication: int) -> dict[str, float]:
    x1, x2, x3 = (float(values[k]) for k in ("x1", "x2", "x3"))
    return {"y": math.sin(x1) + A * math.sin(x2) ** 2 + B * x3**4 * math.sin(x1)}


def ishigami_truth() -> tuple[list[float], list[float]]:
    """Analytic first-order and total indices of the Ishigami function (Saltelli et al. 2008)."""
    v1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = B**2 * math.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return [v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v]


def linear(values: Mapping[str, Scalar], replication: int) -> dict[str, float]:
    return {"y": 2.0 * float(values["x1"]) - 0.5 * float(values["x2"]) + 0.0 * float(values["x3"])}


def spec_for(design: SobolDesign | MorrisDesign | LatinHypercubeDesign, low: float, high: float) -> SweepSpec:
    params = [Parameter(paths=[f"x{i}"], low=low, high=high) for i in (1, 2, 3)]
    return SweepSpec("function", Path("-"), params, design, 1, ["y"])


def test_truth_matches_the_published_values() -> None:
    s1, st = ishigami_truth()
    assert s1 == pytest.approx([0.314, 0.442, 0.0], abs=1e-3)
    assert st == pytest.approx([0.558, 0.442, 0.244], abs=1e-3)


@pytest.mark.slow
def test_sobol_indices_of_ishigami_within_their_confidence_intervals(tmp_path: Path) -> None:
    spec = spec_for(SobolDesign(name="sobol", samples=1024, seed=11, resamples=200), -math.pi, math.pi)
    model = FunctionModel(ishigami, ["y"], seed=11)
    with LocalExecutor(1) as executor:
        # 5,120 evaluations of microseconds each: no fsync per result (the store stays crash-safe)
        report = run_sweep(spec, model, tmp_path, executor, progress=False, say=lambda _: None, durable=False)
    assert report.runs == 1024 * 5
    table = pd.read_csv(tmp_path / "sensitivity.csv").set_index("parameter")
    s1, st = ishigami_truth()
    for i, name in enumerate(("x1", "x2", "x3")):
        row = table.loc[name]
        # S1_conf/ST_conf are bootstrap 95% half-widths (1.96 standard errors); allow 3 standard errors
        # plus 0.02 for the small-sample bias of the Saltelli/Jansen estimators.
        for est, conf, true in ((row.S1, row.S1_conf, s1[i]), (row.ST, row.ST_conf, st[i])):
            assert conf < 0.1, f"{name}: interval too wide to tell anything ({conf})"
            assert abs(est - true) <= 3 * conf / 1.96 + 0.02, f"{name}: {est} vs {true} ± {conf}"
    # and the ordering a planner would read off the table
    assert table.loc["x3", "S1"] < 0.05 < table.loc["x1", "S1"] < table.loc["x2", "S1"]


def test_rerun_of_the_same_function_sweep_skips_everything(tmp_path: Path) -> None:
    spec = spec_for(SobolDesign(name="sobol", samples=8, seed=1), -math.pi, math.pi)
    model = FunctionModel(ishigami, ["y"])
    with LocalExecutor(1) as executor:
        first = run_sweep(spec, model, tmp_path, executor, progress=False, say=lambda _: None)
        table = (tmp_path / "sensitivity.csv").read_bytes()
        second = run_sweep(spec, model, tmp_path, executor, progress=False, say=lambda _: None)
    assert (first.ran, first.skipped) == (40, 0)
    assert (second.ran, second.skipped) == (0, 40)
    assert (tmp_path / "sensitivity.csv").read_bytes() == table


def test_morris_elementary_effects_of_a_linear_function_are_its_slopes_times_the_range(tmp_path: Path) -> None:
    """On the unit cube, y = 2 x1 - 0.5 x2 over [0, 10] moves by slope × 10 per full range: mu* = 20, 5, 0."""
    spec = spec_for(MorrisDesign(name="morris", samples=10, levels=4, seed=3), 0.0, 10.0)
    with LocalExecutor(1) as executor:
        run_sweep(spec, FunctionModel(linear, ["y"]), tmp_path, executor, progress=False, say=lambda _: None)
    table = pd.read_csv(tmp_path / "sensitivity.csv").set_index("parameter")
    assert table["mu_star"].to_numpy() == pytest.approx([20.0, 5.0, 0.0], abs=1e-9)
    assert table["mu"].to_numpy() == pytest.approx([20.0, -5.0, 0.0], abs=1e-9)
    assert table["sigma"].to_numpy() == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)  # linear: no interactions


def test_latin_hypercube_puts_one_point_in_each_stratum(tmp_path: Path) -> None:
    spec = spec_for(LatinHypercubeDesign(name="latin_hypercube", samples=20, seed=4), 0.0, 1.0)
    with LocalExecutor(1) as executor:
        run_sweep(spec, FunctionModel(linear, ["y"]), tmp_path, executor, progress=False, say=lambda _: None)
    points = pd.read_csv(tmp_path / "points.csv")
    assert len(points) == 20 and not (tmp_path / "sensitivity.csv").exists()
    for name in ("x1", "x2", "x3"):
        strata = np.floor(points[name].to_numpy() * 20).astype(int)
        assert sorted(strata) == list(range(20))
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert np.allclose(summary["y_mean"], 2 * points.x1 - 0.5 * points.x2)
