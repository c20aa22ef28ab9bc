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
import pytest

from sim.cli import main as cli_main
from sim.experiment.designs import GridDesign
from sim.experiment.executors import LocalExecutor
from sim.optimize.budget import Budget, Constraint
from sim.optimize.run import run_optimization
from sim.optimize.spec import OptimizeSpec, SearchSpec, SelectionSpec
from sim.scenario.ranges import Parameter, Scalar
from sim.sweep.run import FunctionModel
from tests.conftest import SMALL_OPTIMIZE, TWO_COUNTIES, drawn_text, edit_file, refused

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
    decisions = [Parameter(paths=[f"x{i}"], group="lever", low=0, high=10, integer=True) for i in (1, 2, 3)]
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


@pytest.mark.parametrize("initial", ["latin_hypercube", "random"])
def test_a_latin_hypercube_first_generation_takes_every_value_of_every_decision(tmp_path: Path, initial: str) -> None:
    """22 strata of a Latin hypercube, each half as wide as one of a decision's 11 values, put every value in the
    first generation; NSGA-II's own 22 random draws (the default) miss some with this seed, as they would for most."""
    s = spec(tmp_path, generations=1, refine=0)
    s.search = s.search.model_copy(update={"population": 22, "initial": initial})
    run(tmp_path, s)
    first = pd.read_csv(tmp_path / "candidates.csv").query("origin == 'generation 1/1'")
    covered = all(set(first[x]) == set(range(11)) for x in ("x1", "x2", "x3"))
    assert covered == (initial == "latin_hypercube")


def test_a_second_run_reuses_every_run_from_the_store(tmp_path: Path) -> None:
    first = run(tmp_path, spec(tmp_path, generations=3, refine=1))
    again = run(tmp_path, spec(tmp_path, generations=3, refine=1))
    assert first.ran > 0 and again.ran == 0 and again.reused > 0
    assert (json.loads((tmp_path / "recommendation.json").read_text())["candidate"]
            == first.recommendation["candidate"])


# the small optimisation of the command-line tests with a budget that binds (30 liaisons and 3 reviewers in each
# of the two counties would need 42), two levels of an uncertainty, and a short search and selection
OPTIMIZE = (SMALL_OPTIMIZE.replace("high: 20", "high: 30").replace("limit: 40", "limit: 34")
            .replace("selection: {delta: 1.0}", "selection: {delta: 1.0, first_stage: 3, max_replications: 6}")
            + "uncertainties:\n  approval.rework_probability: {levels: [0.2, 0.4]}\n"
            "search: {population: 4, generations: 1, seed: 1, refine: 0}\nreplications: 1\n")


def write_files(folder: Path) -> Path:
    (folder / "small.yaml").write_text(TWO_COUNTIES.format(horizon=40, count=30))
    path = folder / "opt.yaml"
    path.write_text(OPTIMIZE)
    return path


@pytest.mark.slow
def test_the_command_writes_every_file_and_a_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_files(tmp_path)
    out = tmp_path / "o"
    assert cli_main(["optimize", str(path), "--out", str(out), "--quiet", "--workers", "1"]) == 0
    for name in ("candidates.csv", "pareto.csv", "recommendation.json", "manifest.json", "points.csv",
                 "summary.csv", "store.sqlite", "plots/pareto_front.png", "report.html"):
        assert (out / name).is_file(), name
    rec = json.loads((out / "recommendation.json").read_text())
    # [*] sets both counties: the budget counts each reviewer twice (weight 2 × 2 counties)
    used = rec["decisions"]["cadres.liaisons.count"] + 4 * rec["decisions"]["counties[*].approval_reviewers"]
    assert rec["budget"]["staff"]["used"] == used <= 34
    assert rec["base"]["decisions"]["cadres.liaisons.count"] == 918  # the schema default, run as written
    assert "Recommended deployment" in (out / "report.html").read_text()
    # the Pareto plot: both objectives on its axes, the front, the selected candidate and the base scenario
    drawn = drawn_text(out / "plots" / "pareto_front.svg")
    assert {"mean_restart_day (minimize)", "failed_share (minimize)", "Pareto front (search)", "selected",
            "base scenario"} <= set(drawn), drawn
    assert rec["guarantee"] in capsys.readouterr().out


@pytest.mark.parametrize(("edit", "line", "words"), [
    (("cadres.liaisons.count", "cadres.liaison.count"), 3, ["cadres.liaison.count", "liaisons"]),
    (("{low: 1, high: 3}", "{low: 3, high: 1}"), 4, ["'low' (3) must be below 'high' (1)"]),
    (("step: 10", "step: 7"), 3, ["multiple of 'step'"]),
    (("limit: 34", "limit: 3"), 7, ["budget 'staff' cannot be met", "use 4"]),
    (("      counties[*].approval_reviewers: 2", "      inspectors: 2"), 10, ["'inspectors' is not one of the decisions"]),
    (("failed_share: minimize", "failed: minimize"), 11, ["unknown objective 'failed'", "failed_share"]),
    (("failed_share: minimize", "failed_share: lowest"), 11, ["minimize or maximize"]),
    (("search: {population", "search: {populaton"), 15, ["unknown key 'populaton'", "population"]),
])
def test_bad_optimization_file_exits_2_with_file_line_and_key(tmp_path: Path, edit: tuple[str, str], line: int,
                                                             words: list[str],
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = write_files(tmp_path)
    edit_file(path, *edit)
    refused(["optimize", str(path), "--out", str(tmp_path / "o"), "--quiet", "--no-report"], capsys,
            f"opt.yaml:{line}:", *words)
    assert not (tmp_path / "o" / "recommendation.json").exists()


@pytest.mark.slow
def test_a_killed_optimization_resumes_from_the_store(tmp_path: Path) -> None:
    """SIGKILL in the middle of the search; the same command again reuses every run finished before."""
    import sqlite3
    import subprocess
    import sys
    import time

    path = write_files(tmp_path)
    path.write_text(path.read_text().replace("generations: 1", "generations: 2"))
    out = tmp_path / "o"
    command = [sys.executable, "-m", "sim", "optimize", str(path), "--out", str(out), "--quiet", "--no-report",
               "--workers", "1"]
    root = Path(__file__).parent.parent
    proc = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done_before = 0
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
            try:
                with sqlite3.connect(out / "store.sqlite", timeout=1) as conn:
                    done_before = conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
            except sqlite3.Error:
                continue
            if done_before >= 4:
                break
    finally:
        proc.kill()
        proc.wait()
    assert done_before >= 4, "the optimisation finished or stalled before it could be killed"
    assert not (out / "recommendation.json").exists()
    again = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["reused"] >= done_before  # nothing finished before the kill was run again
    assert (out / "recommendation.json").is_file()


@pytest.mark.parametrize("path", sorted((Path(__file__).parent.parent / "scenarios").glob("optimize-*.yaml")),
                         ids=lambda p: p.name)
def test_bundled_optimization_files_are_valid(path: Path) -> None:
    """Every bundled optimisation file loads, and its decisions fit its base scenario."""
    from sim.optimize.spec import load_optimize
    from sim.scenario.loader import load_scenario
    from sim.sweep.run import ScenarioModel

    spec = load_optimize(path)
    model = ScenarioModel(load_scenario(spec.scenario_path).base, spec.sweep)
    first = {d.label: d.values()[0] for d in spec.decisions}
    first.update({p.label: (p.levels[0] if p.levels else p.low) for p in spec.uncertainties})
    model.prepare(0, first)  # a valid scenario at the lowest decisions
