"""``run --robustness N``: every variant at N points of the declared uncertainty, then the robustness figures.

The points are a Latin hypercube over the scenario's ``uncertainty:`` section,
seeded from the scenario seed. At each point every variant is the scenario
with the drawn values applied (:func:`sim.scenario.uncertainty.apply`), and
replication r uses the scenario seed and index r at every point and variant
(common random numbers), so the variants differ only by the policy and the
points only by the uncertain values.

Every finished run goes to the result store of the results folder at once
(summary metrics only); ``--resume`` into the same folder skips what is there,
so an interrupted robustness run resumes. Tables are built from the store in
(point, variant, replication) order, so they do not depend on the executor, the
number of workers or the order in which runs finished. The analysis itself is
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
from sim.experiment.executors import Completed, Executor, Job, make_executor
from sim.experiment.failures import FailureLog
from sim.experiment.fingerprint import Populations, experiment_fingerprint, scenario_identity
from sim.experiment.folder import ClaimedFolder, check_options
from sim.experiment.runner import Task, evaluate_summary, run_jobs
from sim.experiment.store import STORE_FILES, ResultStore, RunRecord, run_key
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
    """(n, parameters) values: a Latin hypercube in the unit cube mapped to each range, seeded."""
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=len(parameters), rng=np.random.default_rng(seed)).random(n)
    return np.array([[p.from_unit(float(u)) for p, u in zip(parameters, row, strict=True)] for row in unit])


def point_scenarios(loaded: LoadedScenario, values: np.ndarray) -> list[list[tuple[str, Scenario]]]:
    """Per point, every variant's scenario with the point's values applied; InputError on a bad section or point."""
    file = str(loaded.path)
    params = loaded.base.uncertainty
    if not params:
        raise InputError.single(file, "the scenario declares no uncertainty: section, so there is nothing to draw "
                                "for --robustness; list the uncertain parameters with ranges and provenance "
                                "(see the README, Robustness).", key="uncertainty")
    # the section's paths, types and ends were checked when the file was loaded (sim.scenario.loader)
    variants = [(name, sc.model_dump(mode="json", by_alias=True)) for name, sc in loaded.all_variants()]
    out: list[list[tuple[str, Scenario]]] = []
    for i, row in enumerate(values):
        here = []
        for name, data in variants:
            try:
                here.append((name, Scenario.model_validate(apply(data, params, list(row)))))
            except (ValidationError, ValueError) as exc:
                setting = ", ".join(f"{p.label}={v:g}" for p, v in zip(params, row, strict=True))
                first = exc.errors(include_url=False)[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
                raise InputError.single(file, f"point {i} ({setting}) makes variant '{name}' invalid: {first}. "
                                        "Narrow the uncertainty ranges.", key="uncertainty") from None
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
    reps = base.replications
    populations = Populations()
    cells: list[tuple[int, str, int, str]] = []  # (point, variant, replication, key)
    first: dict[str, tuple[int, str, int, Task]] = {}
    for i, here in enumerate(scenarios):
        for name, sc in here:
            population, digest = populations.get(sc)
            identity = scenario_identity(sc, digest)
            for r in range(reps):
                key = run_key(identity, r)
                cells.append((i, name, r, key))
                first.setdefault(key, (i, name, r, Task(name, r, sc, population)))
    names = [p.label for p in params]
    failed = 0
    log = FailureLog(out / LOG)
    with ResultStore(out) as store:
        stored = store.finished(first)
        todo = [Job(k, i, r, task, evaluate_summary) for k, (i, _, r, task) in first.items() if k not in stored]
        say(f"Robustness of '{base.name}': {req.points} point(s) of {len(params)} uncertain parameter(s) × "
            f"{len(scenarios[0])} variant(s) × {reps} replication(s) = {len(cells)} run(s) ({len(first)} distinct); "
            f"{len(stored)} already in the store, {len(todo)} to run on {min(executor.workers, max(1, len(todo)))} "
            f"{executor.name} worker(s) → {out}")
        unused = store.count() - len(stored)
        if unused:
            say(f"note: {unused} run(s) in the store are not part of this one and are not used: beyond the {reps} "
                "replication(s) asked for, or made with another version of the model's source or of the population "
                "CSV.")

        def finished(c: Completed) -> None:
            nonlocal failed
            i, name, r, _ = first[c.key]
            parameters = {"variant": name, **dict(zip(names, map(float, values[i]), strict=True))}
            summary = {} if c.error is not None else {k: float(v) for k, v in c.value.items()}
            record = RunRecord(c.key, i, r, base.seed, parameters, summary, c.wall_seconds, label=name)
            if c.error is not None:
                failed += 1
                store.put_error(record, c.error)
                log.write(f"run failed: point {i}, variant {name}, replication {r}, seed {base.seed}", c.error)
            else:
                store.put(record)

        try:
            run_jobs(executor, todo, finished, req.progress, desc="robustness", group=store.group)
        except KeyboardInterrupt:
            raise RobustnessInterrupted(out, len(store.finished(first)), len(first)) from None
        summaries = store.summaries(first)
    decision = base.decision
    metric = decision.primary_metric
    runs = pd.DataFrame([{"point": i, "variant": name, "replication": r,
                          metric: summaries.get(key, {}).get(metric, math.nan)} for i, name, r, key in cells])
    value_frame = pd.DataFrame([{"point": i, **dict(zip(names, map(float, row), strict=True))}
                                for i, row in enumerate(values)], columns=["point", *names])
    order = [name for name, _ in scenarios[0]]
    rob = analyse(point_means(runs, metric), metric, catalogue.direction(metric), decision.mid(metric), order)
    ranked = influence(value_frame, rob.points) if names else {}
    wall = time.perf_counter() - t0
    write_tables(out, rob, value_frame, runs)
    write_text(out / "scenario.resolved.yaml", _yaml(resolved_scenario(loaded)))
    outcome = RobustnessOutcome(out, rob, value_frame, ranked, len(cells), len(todo), len(stored), failed, wall,
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
