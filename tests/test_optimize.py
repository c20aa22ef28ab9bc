"""The optimiser on a function with a known optimum under a budget.

The function runs through the same path as the simulator (candidates →
executor → result store → NSGA-II → Kim–Nelson selection → files); only the
evaluation is plugged in (:class:`sim.sweep.run.FunctionModel`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiment.executors import LocalExecutor
from sim.optimize.budget import Budget, Constraint
from sim.optimize.run import run_optimization
from sim.optimize.spec import Decision, OptimizeSpec, SearchSpec, SelectionSpec
from sim.sweep.run import FunctionModel
from sim.sweep.spec import GridDesign, Scalar

# f1 = (x1 − 6)² + (x2 − 5)² + (x3 − 4)² is least at (6, 5, 4), which needs 15 people; with
# x1 + x2 + x3 ≤ 12 the least is the projection onto the budget plane, (5, 4, 3), f1 = 3 (each
# neighbour within the budget has f1 ≥ 5). f2 = x1 pulls the other way, so there is a front.
OPTIMUM = (5, 4, 3)


def bowl(values: Mapping[str, Scalar], replication: int) -> dict[str, float]:
    x = np.array([float(values[k]) for k in ("x1", "x2", "x3")])
    # noise: a part common to every candidate in replication r (what common random numbers share) and a
    # small part of the candidate's own
    common = np.random.default_rng([7, replication]).standard_normal()
    own = np.random.default_rng([8, replication, *x.astype(int)]).standard_normal()
    f1 = float(np.sum((x - np.array([6.0, 5.0, 4.0])) ** 2)) + 2.0 * common + 0.3 * own
    return {"f1": f1, "f2": float(x[0])}


def spec(tmp_path: Path, generations: int = 12, refine: int = 3) -> OptimizeSpec:
    decisions = [Decision(f"x{i}", 0, 10) for i in (1, 2, 3)]
    budget = Budget([Constraint("people", 12, {"x1": 1, "x2": 1, "x3": 1})])
    return OptimizeSpec("function", tmp_path / "-", decisions, budget, {"f1": "minimize", "f2": "minimize"}, "f1",
                        [], GridDesign(name="grid"), SearchSpec(population=16, generations=generations, seed=5,
                                                                refine=refine),
                        2, SelectionSpec(alpha=0.05, delta=0.5, first_stage=10, max_replications=200))


def run(tmp_path: Path, s: OptimizeSpec):  # type: ignore[no-untyped-def]
    model = FunctionModel(bowl, ["f1", "f2"], seed=1)
    with LocalExecutor(1) as executor:
        return run_optimization(s, model, tmp_path, executor, progress=False, say=lambda _: None, durable=False)


def test_finds_the_optimum_under_the_budget_and_selects_it(tmp_path: Path) -> None:
    report = run(tmp_path, spec(tmp_path))
    rec = json.loads((tmp_path / "recommendation.json").read_text())
    assert tuple(rec["decisions"][k] for k in ("x1", "x2", "x3")) == OPTIMUM
    assert rec["selection"]["guaranteed"] and "With probability at least 95 %" in rec["guarantee"]
    pareto = pd.read_csv(tmp_path / "pareto.csv")
    assert (pareto["budget_people"] <= 12).all()
    assert pareto["selected"].sum() == 1
    candidates = pd.read_csv(tmp_path / "candidates.csv")
    # candidates over the budget were never simulated
    over = candidates[candidates["budget_people"] > 12]
    assert len(over) > 0 and not over["feasible"].any() and over["f1_mean"].isna().all()
    assert report.ran > 0 and report.failed == 0


def test_a_second_run_reuses_every_run_from_the_store(tmp_path: Path) -> None:
    first = run(tmp_path, spec(tmp_path, generations=3, refine=1))
    again = run(tmp_path, spec(tmp_path, generations=3, refine=1))
    assert first.ran > 0 and again.ran == 0 and again.reused > 0
    assert (json.loads((tmp_path / "recommendation.json").read_text())["candidate"]
            == first.recommendation["candidate"])
