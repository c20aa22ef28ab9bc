"""``run --robustness N``: every variant at N points of the declared uncertainty, then the robustness figures.

The points are a Latin hypercube over the scenario's ``uncertainty:`` section,
drawn by the sweeps' sampler (:mod:`sim.experiment.designs`) from the scenario
seed. At each point every variant is the scenario with the drawn values applied
(:func:`sim.scenario.uncertainty.apply`), and replication r uses the scenario
seed and index r at every point and variant (common random numbers), so the
variants differ only by the policy and the points only by the uncertain values.

It is a sweep over uncertainty × variants: its (point, variant) pairs run like
a sweep's points (:func:`sim.experiment.points.run_points`), on the same
executor and into the same result store, each finished run at once (summary
metrics only); ``--resume`` into the same folder skips what is there, so an
interrupted robustness run resumes. Tables are built from the store in (point,
variant, replication) order, so they do not depend on the executor, the number
of workers or the order in which runs finished. The analysis itself is
:mod:`sim.analysis.robustness`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from sim.analysis.robustness import Robustness, RobustnessOutcome, analyse, influence, point_means
from sim.errors import InputError
from sim.experiment.designs import LatinHypercubeDesign, design_points
from sim.experiment.executors import Executor, make_executor
from sim.experiment.failures import FailureLog
from sim.experiment.fingerprint import Populations, experiment_fingerprint, scenario_identity
from sim.experiment.folder import ClaimedFolder, check_options
from sim.experiment.points import Points, run_points
from sim.experiment.runner import Task, evaluate_summary
from sim.experiment.store import STORE_FILES, ResultStore
from sim.model import catalogue
from sim.results.output import (
    build_info,
    default_folder,
    resolved_scenario,
    write_frame,
    write_manifest_json,
    write_text,
)
from sim.scenario.loader import LoadedScenario
from sim.scenario.messages import scenario_problem_text
from sim.scenario.ranges import plausible_parameters
from sim.scenario.schema import Scenario
from sim.scenario.uncertainty import UncertainParameter, apply

LOG = "robustness.log"


@dataclass
class RobustnessRequest:
    """What to run: the scenario, how many points, and where (the options of ``run --robustness``)."""

    loaded: LoadedScenario
    points: int
    command: list[str]
    out: Path | None = None
    force: bool = False
    resume: bool = False
    executor: str | None = None
    workers: int | None = None
    scheduler: str | None = None
    progress: bool | None = None
    report: bool = True  # report.html and robustness.png

    def __post_init__(self) -> None:
        check_options(self.out, self.force, self.resume)


class RobustnessInterrupted(Exception):
    """Ctrl-C or SIGTERM: the finished runs are in the store; ``--resume`` continues."""

    def __init__(self, out: Path, finished: int, total: int) -> None:
        super().__init__("interrupted")
        self.out, self.finished, self.total = out, finished, total


def draw_points(parameters: list[UncertainParameter], n: int, seed: int) -> np.ndarray:
    """(n, parameters) values: a Latin hypercube of ``n`` points over the ranges, seeded (every digit kept)."""
    design = LatinHypercubeDesign(name="latin_hypercube", samples=n)
    columns = design_points(parameters, design, seed, digits=None).columns
    return np.array(columns, dtype=float).reshape(len(parameters), n).T


def point_scenarios(loaded: LoadedScenario, values: np.ndarray) -> list[list[tuple[str, Scenario]]]:
    """Per point, every variant's scenario with the point's values applied; InputError on a bad section or point."""
    file = str(loaded.path)
    params = loaded.base.uncertainty
    if not params:
        declared = ", ".join(f"{p.label} {p.low:g}–{p.high:g}" for p in plausible_parameters(loaded.base))
        raise InputError.single(file, "the scenario declares no uncertainty: section, so there is nothing to draw "
                                "for --robustness; list the uncertain parameters with ranges and provenance "
                                "(see docs/analysis/robustness.md)" + (f". The schema declares plausible ranges "
                                f"for values nobody published: {declared}" if declared else "") + ".",
                                key="uncertainty")
    # the section's paths, types and ends were checked when the file was loaded (sim.scenario.loader)
    variants = [(name, sc.model_dump(mode="json", by_alias=True)) for name, sc in loaded.all_variants()]
    out: list[list[tuple[str, Scenario]]] = []
    for i, row in enumerate(values):
        here = []
        for name, data in variants:
            setting = ", ".join(f"{p.label}={v:g}" for p, v in zip(params, row, strict=True))
            try:
                changed = apply(data, params, [float(v) for v in row])
                here.append((name, Scenario.model_validate(changed)))
            except ValidationError as exc:
                key, why = scenario_problem_text(exc.errors(include_url=False)[0], changed)
                raise InputError.single(file, f"point {i} ({setting}) makes variant '{name}' invalid: "
                                        f"{key or 'the scenario'} {why} Narrow the uncertainty ranges.",
                                        key="uncertainty") from None
            except ValueError as exc:  # a path that does not fit this variant (the loader checks them all)
                raise InputError.single(file, f"variant '{name}': {exc}.", key="uncertainty") from None
        out.append(here)
    return out


def run_robustness(req: RobustnessRequest, say: Callable[[str], None] | None = None) -> RobustnessOutcome:
    """Run (or reuse) every (point, variant, replication), write the tables; RobustnessInterrupted on Ctrl-C."""
    say = say or (lambda text: None)
    identity = {"scenario": experiment_fingerprint(req.loaded), "points": req.points}
    base = req.loaded.base
    with ClaimedFolder(req.out or default_folder(req.loaded, prefix="robustness-"), "robustness", identity,
                       f"scenario '{base.name}', seed {base.seed}, {req.points} points", req.command,
                       differs="scenario, seed or number of points", kept=(*STORE_FILES, LOG), force=req.force,
                       resume=req.resume, made=req.out is None) as claim:
        with claim.starting(lambda: make_executor(req.executor, req.workers, req.scheduler)) as executor:
            outcome = _run(req, claim.folder, executor, say)
        claim.finished()
        if req.report:
            from sim.report.robustness import write_robustness_report

            write_robustness_report(claim.folder, req.loaded.base, outcome)
        return outcome


def _run(req: RobustnessRequest, out: Path, executor: Executor, say: Callable[[str], None]) -> RobustnessOutcome:
    import pandas as pd

    t0 = time.perf_counter()
    loaded, base = req.loaded, req.loaded.base
    params = base.uncertainty
    values = draw_points(params, req.points, base.seed) if params else np.zeros((req.points, 0))
    scenarios = point_scenarios(loaded, values)
    names = [p.label for p in params]
    reps = base.replications
    populations = Populations()
    prepared: list[tuple[Task, dict[str, Any]]] = []
    numbers, labels, parameters = [], [], []
    for i, here in enumerate(scenarios):  # points in (point, variant) order
        for name, sc in here:
            population, digest = populations.get(sc)
            prepared.append((Task(name, 0, sc, population), scenario_identity(sc, digest)))
            numbers.append(i)
            labels.append(name)
            parameters.append({"variant": name, **dict(zip(names, map(float, values[i]), strict=True))})
    points = Points.of(prepared, reps, parameters, labels, numbers)
    total, distinct = len(prepared) * reps, len(points.where)
    with ResultStore(out) as store:

        def announce(stored: int, todo: int) -> None:
            say(f"Robustness of '{base.name}': {req.points} point(s) of {len(params)} uncertain parameter(s) × "
                f"{len(scenarios[0])} variant(s) × {reps} replication(s) = {total} run(s) ({distinct} distinct); "
                f"{stored} already in the store, {todo} to run on {min(executor.workers, max(1, todo))} "
                f"{executor.name} worker(s) → {out}")
            unused = store.count() - stored
            if unused:
                say(f"note: {unused} run(s) in the store are not part of this one and are not used: beyond the "
                    f"{reps} replication(s) asked for, or made with another version of the model's source or of "
                    "the population CSV.")

        try:
            ran = run_points(points, evaluate_summary, store, executor, FailureLog(out / LOG), base.seed,
                             (str(req.loaded.path), "latin_hypercube"), announce, req.progress, "robustness")
        except KeyboardInterrupt:
            raise RobustnessInterrupted(out, len(store.finished(points.where)), distinct) from None
    decision = base.decision
    metric = decision.primary_metric
    runs = pd.DataFrame([{"point": i, "variant": name, "replication": r, metric: summary.get(metric, math.nan)}
                         for i, name, row in zip(numbers, labels, ran.grid, strict=True)
                         for r, summary in enumerate(row)])
    value_frame = pd.DataFrame([{"point": i, **dict(zip(names, map(float, row), strict=True))}
                                for i, row in enumerate(values)], columns=["point", *names])
    order = [name for name, _ in scenarios[0]]
    rob = analyse(point_means(runs, metric), metric, catalogue.direction(metric), decision.mid(metric), order)
    ranked = influence(value_frame, rob.points) if names else {}
    wall = time.perf_counter() - t0
    write_tables(out, rob, value_frame, runs)
    write_text(out / "scenario.resolved.yaml", _yaml(resolved_scenario(loaded)))
    outcome = RobustnessOutcome(out, rob, value_frame, ranked, total, ran.ran, ran.stored, ran.failed, wall,
                                executor.workers)
    write_manifest(out, req, params, outcome, executor.name)  # last: a folder with a manifest has every table
    return outcome


def _yaml(data: Any) -> str:
    import yaml

    return str(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def write_tables(out: Path, rob: Robustness, values: Any, runs: Any) -> None:
    """robustness.csv (per variant), robustness_points.csv (per point and variant), robustness_runs.csv."""
    write_frame(out / "robustness.csv", rob.variants.assign(metric=rob.metric, mid=rob.mid,
                                                            ranking_changes=rob.ranking_changes))
    write_frame(out / "robustness_points.csv", values.merge(rob.points, on="point"))
    write_frame(out / "robustness_runs.csv", runs)


def write_manifest(out: Path, req: RobustnessRequest, params: list[UncertainParameter], outcome: RobustnessOutcome,
                   executor: str) -> None:
    base = req.loaded.base
    rob = outcome.robustness
    manifest = {
        "scenario": base.name, "scenario_file": str(req.loaded.path), "seed": base.seed,
        "replications": base.replications, "robustness_points": req.points,
        "variants": [n for n, _ in req.loaded.all_variants()],
        "uncertainty": [p.model_dump(mode="json") for p in params],
        "primary_metric": rob.metric, "minimal_difference": rob.mid, "ranking_changes": rob.ranking_changes,
        "reversals": [list(r) for r in rob.reversals], "influence": outcome.influence,
        "runs": outcome.runs, "ran": outcome.ran, "reused": outcome.reused, "failed": outcome.failed,
        "executor": executor, "workers": outcome.workers, **build_info(),
        "command": req.command, "wall_seconds": round(outcome.wall_seconds, 3),
    }
    write_manifest_json(out, manifest)


__all__ = ["RobustnessInterrupted", "RobustnessOutcome", "RobustnessRequest", "draw_points", "run_robustness"]
