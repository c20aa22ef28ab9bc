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
from sim.errors import InputError, InputProblem
from sim.experiment.designs import DesignPoints, design_points, point_count
from sim.experiment.executors import Evaluate, Executor
from sim.experiment.failures import FailureLog
from sim.experiment.fingerprint import Populations, scenario_identity
from sim.experiment.points import Points, run_points
from sim.experiment.runner import Task, evaluate_summary
from sim.experiment.store import ResultStore
from sim.model import catalogue
from sim.results.output import atomic_write, build_info, write_manifest_json
from sim.scenario.messages import scenario_problem_text
from sim.scenario.ranges import Binding, Parameter, Scalar, resolve
from sim.scenario.schema import Scenario
from sim.sweep.sensitivity import analyze, has_sensitivity
from sim.sweep.spec import SweepSpec

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
        bindings, issues = resolve(spec.parameters, self._data)
        if issues:
            raise InputError([spec.problem(f"{message} (in the scenario {spec.scenario_path}).",
                                           path=spec.parameters[i].label) for i, _, message in issues])
        self._bindings: dict[str, Binding] = {b.parameter.label: b for b in bindings}

    @property
    def evaluate(self) -> Evaluate:
        return evaluate_summary

    def outcome_names(self) -> Collection[str]:
        return catalogue.summary_keys()

    def prepare(self, point: int, values: Mapping[str, Scalar]) -> tuple[Any, dict[str, Any]]:
        data = copy.deepcopy(self._data)
        for label, value in values.items():
            self._bindings[label].apply(data, value)
        try:
            scenario = Scenario.model_validate(data)
        except ValidationError as exc:
            raise InputError([self._point_problem(point, values, data, err)
                              for err in exc.errors(include_url=False)]) from None
        population, digest = self._populations.get(scenario)
        return Task("sweep", 0, scenario, population), scenario_identity(scenario, digest)

    def _point_problem(self, point: int, values: Mapping[str, Scalar], data: dict[str, Any],
                       err: Any) -> InputProblem:
        key, text = scenario_problem_text(err, data)
        owner = next((label for label, b in self._bindings.items()
                      if any(key == q or key.startswith(q + ".") for q in b.dotted)), None)
        setting = ", ".join(f"{k}={v!r}" for k, v in values.items())
        text = (f"point {point} ({setting}) is not a valid scenario: {key or 'the scenario'} {text} "
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
        design = design_points(spec.parameters, spec.design, model.seed)
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
    points = Points.of(prepared, reps, design.values)

    with ResultStore(out, durable) as store:

        def announce(stored: int, todo: int) -> None:
            if store.damaged:
                say(f"note: {store.damaged} run(s) in {store.path} could not be read back (a damaged entry); "
                    "they are run again.")
            dup = total - len(points.where)
            say(f"Sweep '{Path(spec.file).name}': {spec.design.name} design, {len(design)} point(s) × {reps} "
                f"replication(s) = {total} run(s)" + (f" ({dup} repeat an identical point)" if dup else "")
                + f"; {stored} already in the store (skipped), {todo} to run on "
                f"{min(executor.workers, max(1, todo))} {executor.name} worker(s) → {out}")

        ran = run_points(points, model.evaluate, store, executor, FailureLog(out / "sweep.log"), model.seed,
                         (str(Path(spec.file).resolve()), spec.design.name), announce, progress, "sweep")
    # a failed run's outcomes are NaN in the tables; a rerun into the same folder tries it again
    notes = write_tables(out, spec, design, ran.grid, model.seed)
    wall = time.perf_counter() - t0
    report = SweepReport(out, len(design), total, ran.stored, ran.ran, wall, notes, ran.failed)
    write_manifest(out, spec, report, executor, reps, command)
    return report


def write_tables(out: Path, spec: SweepSpec, design: DesignPoints, grid: list[list[dict[str, float]]],
                 seed: int) -> list[str]:
    """points.csv, results.csv, summary.csv and (Sobol'/Morris) sensitivity.csv; returns notes."""
    import pandas as pd

    names = [p.label for p in spec.parameters]
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
        "parameters": [manifest_entry(p) for p in spec.parameters],
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


def manifest_entry(p: Parameter) -> dict[str, Any]:
    """A swept parameter as the manifest lists it: path, group, range or levels (and what else it declares)."""
    entry: dict[str, Any] = {"path": p.label, "group": p.group}
    entry.update({"levels": list(p.levels)} if p.levels is not None
                 else {"low": p.low, "high": p.high, "integer": p.integer})
    extra = {"step": p.step, "how": p.how if p.how != "set" else None, "unit": p.unit, "provenance": p.provenance}
    entry.update({k: v for k, v in extra.items() if v})
    return entry


__all__ = ["FunctionModel", "PointModel", "ScenarioModel", "SweepReport", "check_outcomes", "point_count",
           "run_sweep"]
