"""Running a sweep: design points → runs → result store → tables and sensitivity indices.

Each point is the base scenario with the sampled values set at the swept
paths; replication r of every point uses the scenario seed and index r
(common random numbers), so differences between points come from the
parameters, not from the noise. What is evaluated at a point is pluggable
(:class:`PointModel`): the simulator by default (:class:`ScenarioModel`), or
any function of the parameter values (:class:`FunctionModel`), which is how
the design and analysis machinery is checked against functions with known
sensitivity indices.

Every finished run goes to the store at once; a rerun into the same folder
skips what is there. Tables are written from the store in (point,
replication) order, so they are identical whatever the executor, the number
of workers or the order in which runs finished.
"""

from __future__ import annotations

import copy
import difflib
import json
import math
import sys
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from pydantic import ValidationError

from sim.analysis.stats import t_halfwidth
from sim.errors import InputError, InputProblem, OutputError
from sim.experiment.executors import Completed, Evaluate, Executor, Job
from sim.experiment.failures import FailureLog
from sim.experiment.fingerprint import Populations, scenario_identity
from sim.experiment.runner import Task, evaluate_summary, run_jobs
from sim.experiment.store import ResultStore, RunRecord, run_keys
from sim.model import catalogue
from sim.results.output import atomic_write, build_info, write_manifest_json
from sim.scenario.messages import data_path
from sim.scenario.paths import expand_path, set_value
from sim.scenario.schema import Scenario
from sim.scenario.yaml_source import Path_, dotted
from sim.sweep.designs import DesignPoints, analyze, generate, has_sensitivity, point_count
from sim.sweep.spec import Scalar, SweepSpec

MAX_RUNS = 1_000_000  # points × replications of one sweep: at 0.1 s a run, more than a day on one core


class PointModel(Protocol):
    """What a sweep evaluates at each point."""

    seed: int  # default seed of the design's sampler
    replications: int  # default replications per point

    @property
    def evaluate(self) -> Evaluate:
        """A module-level function (payload, replication) -> summary metrics."""
        ...

    def outcome_names(self) -> Collection[str]: ...

    def prepare(self, point: int, values: Mapping[str, Scalar]) -> tuple[Any, dict[str, Any]]:
        """The payload sent to ``evaluate`` and the identity hashed into the run key."""
        ...


class ScenarioModel:
    """The simulator: a point is the base scenario with the swept values set at their paths."""

    def __init__(self, base: Scenario, spec: SweepSpec) -> None:
        self.base = base
        self.spec = spec
        self.seed = base.seed
        self.replications = base.replications
        self._data = base.model_dump(mode="json", by_alias=True)
        self._populations = Populations()  # a population CSV is read once, and its content is part of the key
        problems: list[InputProblem] = []
        self._targets: dict[str, list[Path_]] = {}
        for p in spec.parameters:
            try:
                self._targets[p.path] = expand_path(p.path, self._data)
            except ValueError as exc:
                problems.append(spec.problem(f"{exc} (in the scenario {spec.scenario_path}).", path=p.path))
        seen: dict[Path_, str] = {}
        for path, targets in self._targets.items():
            for t in targets:
                if t in seen:
                    problems.append(spec.problem(f"'{path}' sets {dotted(t)}, which '{seen[t]}' already sets; "
                                                 "each scenario value may be swept by one parameter.", path=path))
                    break
                seen[t] = path
        if problems:
            raise InputError(problems)

    @property
    def evaluate(self) -> Evaluate:
        return evaluate_summary

    def outcome_names(self) -> Collection[str]:
        return catalogue.summary_keys()

    def prepare(self, point: int, values: Mapping[str, Scalar]) -> tuple[Any, dict[str, Any]]:
        data = copy.deepcopy(self._data)
        for path, value in values.items():
            for target in self._targets[path]:
                set_value(data, target, value)
        try:
            scenario = Scenario.model_validate(data)
        except ValidationError as exc:
            raise InputError([self._point_problem(point, values, data, err)
                              for err in exc.errors(include_url=False)]) from None
        population, digest = self._populations.get(scenario)
        return Task("sweep", 0, scenario, population), scenario_identity(scenario, digest)

    def _point_problem(self, point: int, values: Mapping[str, Scalar], data: dict[str, Any],
                       err: Any) -> InputProblem:
        key = dotted(data_path(tuple(err["loc"]), data))
        msg = str(err["msg"]).removeprefix("Value error, ")
        owner = next((p for p, targets in self._targets.items()
                      if any(key == dotted(t) or key.startswith(dotted(t) + ".") for t in targets)), None)
        setting = ", ".join(f"{k}={v!r}" for k, v in values.items())
        text = (f"point {point} ({setting}) is not a valid scenario: {key or 'the scenario'}: {msg}. "
                "Narrow the range or levels so that every value is allowed.")
        return self.spec.problem(text, path=owner) if owner else InputProblem(self.spec.file, text)


@dataclass
class FunctionModel:
    """Any function of the parameter values, in place of the simulator.

    ``function(values, replication) -> {outcome: value}`` must be module-level
    (it is sent to worker processes).
    """

    function: Callable[[Mapping[str, Scalar], int], dict[str, float]]
    outcomes: Collection[str]
    seed: int = 0
    replications: int = 1

    @property
    def evaluate(self) -> Evaluate:
        return self.function

    def outcome_names(self) -> Collection[str]:
        return self.outcomes

    def prepare(self, point: int, values: Mapping[str, Scalar]) -> tuple[Any, dict[str, Any]]:
        name = f"{self.function.__module__}.{self.function.__qualname__}"
        return dict(values), {"function": name, "values": dict(values)}


@dataclass
class SweepReport:
    """What a sweep did."""

    out: Path
    points: int
    runs: int
    skipped: int
    ran: int
    wall_seconds: float
    notes: list[str] = field(default_factory=list)
    failed: int = 0  # runs that raised this time (tracebacks in sweep.log and the store's errors table)


def check_outcomes(spec: SweepSpec, model: PointModel) -> None:
    """Every outcome named in the sweep file must be one the model produces."""
    known = list(model.outcome_names())
    problems = []
    for i, name in enumerate(spec.outcomes):
        if name not in known:
            hint = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            msg = f"unknown outcome '{name}'." + (f" Did you mean '{hint[0]}'?" if hint else "")
            msg += f" Outcomes: {', '.join(known)}."
            line, col = spec.doc.position(("outcomes", i)) if spec.doc is not None else (None, None)
            problems.append(InputProblem(spec.file, msg, f"outcomes[{i}]", line, col))
    if problems:
        raise InputError(problems)


def run_sweep(spec: SweepSpec, model: PointModel, out: Path, executor: Executor, progress: bool | None = None,
              say: Callable[[str], None] | None = None, command: list[str] | None = None,
              durable: bool = True) -> SweepReport:
    """Run every (point, replication) not yet in the store of ``out``, then write the tables.

    ``durable=False`` skips the fsync per commit (see :class:`ResultStore`). The results that arrive
    together (a batch) are committed together, before the executor is asked for more.
    """
    say = say or (lambda text: print(text, file=sys.stderr))
    t0 = time.perf_counter()
    check_outcomes(spec, model)
    try:
        design = generate(spec.parameters, spec.design, model.seed)
    except ValueError as exc:
        raise InputError([spec.problem(f"{exc}; use fewer levels or samples.", key="design")]) from None
    reps = spec.replications or model.replications
    total = len(design) * reps
    if total > MAX_RUNS:
        raise InputError([spec.problem(
            f"{len(design):,} point(s) × {reps:,} replication(s) = {total:,} runs; a sweep may have at most "
            f"{MAX_RUNS:,}. Lower 'replications' or the design's samples or levels (the 95 % CI of a point's "
            "mean narrows with the square root of the replications: 100 give a tenth of one run's spread).",
            key="replications" if spec.replications else "design")])
    if total > 10_000:  # preparing the keys of many runs takes a few seconds: say what is coming first
        say(f"Sweep '{Path(spec.file).name}': preparing {total:,} run(s) ({len(design):,} point(s) × {reps:,} "
            "replication(s)) …")
    prepared = [model.prepare(i, values) for i, values in enumerate(design.values)]
    keys = [run_keys(identity, range(reps)) for _, identity in prepared]
    seed = model.seed
    where: dict[str, tuple[int, int]] = {}  # first (point, replication) of each distinct run
    for i, row in enumerate(keys):
        for r, key in enumerate(row):
            where.setdefault(key, (i, r))
    with ResultStore(out, durable) as store:
        stored = store.finished(where)
        if store.damaged:
            say(f"note: {store.damaged} run(s) in {store.path} could not be read back (a damaged entry); "
                "they are run again.")
        todo = [Job(k, i, r, prepared[i][0], model.evaluate) for k, (i, r) in where.items() if k not in stored]
        dup = total - len(where)
        say(f"Sweep '{Path(spec.file).name}': {spec.design.name} design, {len(design)} point(s) × {reps} "
            f"replication(s) = {total} run(s)" + (f" ({dup} repeat an identical point)" if dup else "")
            + f"; {len(stored)} already in the store (skipped), {len(todo)} to run on "
            f"{min(executor.workers, max(1, len(todo)))} {executor.name} worker(s) → {out}")
        sweep_id = store.start_sweep(str(Path(spec.file).resolve()), spec.design.name, len(design), len(where), len(stored),
                                     executor.name, executor.workers)
        status = "interrupted"
        failed = 0
        log = FailureLog(out / "sweep.log")

        def finished(result: Completed) -> None:
            nonlocal failed
            i, r = where[result.key]
            summary = {} if result.error is not None else {k: float(v) for k, v in result.value.items()}
            record = RunRecord(result.key, i, r, seed, dict(design.values[i]), summary, result.wall_seconds)
            if result.error is not None:
                failed += 1
                store.put_error(record, result.error, sweep_id)
                log.write(f"run failed: point {i}, replication {r}, seed {seed}, parameters "
                          f"{json.dumps(record.parameters)}", result.error)
            else:
                store.put(record, sweep_id)

        try:
            run_jobs(executor, todo, finished, progress, desc="sweep", group=store.group)
            status = "finished" if not failed else "finished with errors"
        except Exception:
            status = "failed"
            raise
        finally:
            try:
                store.finish_sweep(sweep_id, status)
            except OutputError:
                if status != "failed":  # else the first error (e.g. a full disk) is the one to report
                    raise
        summaries = store.summaries(where)
    missing = [k for k in where if k not in summaries]
    if len(missing) > failed:  # cannot happen unless the store was changed underneath us
        raise RuntimeError(f"{len(missing) - failed} run(s) missing from the store after the sweep")
    # a failed run's outcomes are NaN in the tables; a rerun into the same folder tries it again
    grid = [[summaries.get(k, {}) for k in row] for row in keys]
    notes = write_tables(out, spec, design, grid, model.seed)
    wall = time.perf_counter() - t0
    report = SweepReport(out, len(design), total, len(stored), len(todo), wall, notes, failed)
    write_manifest(out, spec, report, executor, reps, command)
    return report


def write_tables(out: Path, spec: SweepSpec, design: DesignPoints, grid: list[list[dict[str, float]]],
                 seed: int) -> list[str]:
    """points.csv, results.csv, summary.csv and (Sobol'/Morris) sensitivity.csv; returns notes."""
    import pandas as pd

    names = [p.path for p in spec.parameters]
    points = pd.DataFrame([{"point": i, **v} for i, v in enumerate(design.values)], columns=["point", *names])
    results = pd.DataFrame([{"point": i, "replication": r, **{o: s.get(o, math.nan) for o in spec.outcomes}}
                            for i, row in enumerate(grid) for r, s in enumerate(row)],
                           columns=["point", "replication", *spec.outcomes])
    summary_rows = []
    means: dict[str, list[float]] = {o: [] for o in spec.outcomes}
    for i, row in enumerate(grid):
        entry: dict[str, Any] = {"point": i, **design.values[i], "replications": len(row)}
        for o in spec.outcomes:
            values = np.array([s.get(o, math.nan) for s in row], dtype=float)
            finite = values[np.isfinite(values)]
            n = len(finite)
            mean = float(finite.mean()) if n else math.nan
            half = t_halfwidth(finite)
            entry.update({f"{o}_mean": mean, f"{o}_ci_low": mean - half, f"{o}_ci_high": mean + half,
                          f"{o}_n": n})
            means[o].append(mean if n == len(values) else math.nan)
        summary_rows.append(entry)
    _write_csv(out / "points.csv", points)
    _write_csv(out / "results.csv", results)
    _write_csv(out / "summary.csv", pd.DataFrame(summary_rows))
    if not has_sensitivity(spec.design):
        return []
    rows, notes = analyze(spec.parameters, spec.design, design, {o: np.array(v) for o, v in means.items()}, seed)
    frame = pd.DataFrame([{"outcome": r.outcome, "parameter": r.parameter, "group": r.group, **r.indices}
                          for r in rows])
    _write_csv(out / "sensitivity.csv", frame)
    return notes


def _write_csv(path: Path, frame: Any) -> None:
    atomic_write(path, lambda p: frame.to_csv(p, index=False))


def write_manifest(out: Path, spec: SweepSpec, report: SweepReport, executor: Executor, reps: int,
                   command: list[str] | None) -> None:
    manifest = {
        "sweep_file": spec.file,
        "description": spec.description,  # the question, for the report
        "scenario_file": str(spec.scenario_path),
        "design": spec.design.model_dump(),
        "parameters": [{"path": p.path, "group": p.group,
                        **({"levels": list(p.levels)} if p.levels is not None
                           else {"low": p.low, "high": p.high, "integer": p.integer})} for p in spec.parameters],
        "outcomes": spec.outcomes,
        "replications": reps,
        "points": report.points,
        "runs": report.runs,
        "skipped": report.skipped,
        "ran": report.ran,
        "failed": report.failed,
        "executor": executor.name,
        "workers": executor.workers,
        **build_info(),
        "command": command,
        "wall_seconds": round(report.wall_seconds, 3),
        "notes": report.notes,
    }
    write_manifest_json(out, manifest)


__all__ = ["FunctionModel", "PointModel", "ScenarioModel", "SweepReport", "check_outcomes",
           "point_count", "run_sweep"]
