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
import datetime as dt
import difflib
import functools
import hashlib
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

from sim import __version__
from sim.errors import InputError, InputProblem
from sim.experiment.executors import Evaluate, Executor, Job
from sim.experiment.runner import Task, run_task
from sim.experiment.store import ResultStore, RunRecord, run_key
from sim.results.metrics import SUMMARY_COLUMNS
from sim.results.output import atomic_write, git_commit, write_text
from sim.scenario.messages import data_path
from sim.scenario.schema import Scenario
from sim.scenario.yaml_source import Path_, dotted
from sim.sweep.designs import DesignPoints, analyze, generate, has_sensitivity, point_count
from sim.sweep.spec import Scalar, SweepSpec, split_path


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


MODEL_SOURCES = ("model", "scenario", "population.py", "random_streams.py", "results/metrics.py",
                 "results/run_result.py", "experiment/runner.py")


@functools.lru_cache(maxsize=1)
def model_fingerprint() -> str:
    """sha256 of the source files that decide a run's result, so that a changed model never reuses old runs."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for name in MODEL_SOURCES:
        target = root / name
        files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
        for f in files:
            digest.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()


def _file_digest(path: str | None) -> str | None:
    if path is None or not Path(path).is_file():
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def evaluate_scenario(scenario: Scenario, replication: int) -> dict[str, float]:
    """One replication of a point's scenario: its summary metrics."""
    return dict(run_task(Task("sweep", replication, scenario)).summary)


class ScenarioModel:
    """The simulator: a point is the base scenario with the swept values set at their paths."""

    def __init__(self, base: Scenario, spec: SweepSpec) -> None:
        self.base = base
        self.spec = spec
        self.seed = base.seed
        self.replications = base.replications
        self._data = base.model_dump(mode="json", by_alias=True)
        self._csv_digest = _file_digest(base.population.csv)  # the firms' file is part of what a run depends on
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
        return evaluate_scenario

    def outcome_names(self) -> Collection[str]:
        return SUMMARY_COLUMNS

    def prepare(self, point: int, values: Mapping[str, Scalar]) -> tuple[Any, dict[str, Any]]:
        data = copy.deepcopy(self._data)
        for path, value in values.items():
            for target in self._targets[path]:
                _set(data, target, value)
        try:
            scenario = Scenario.model_validate(data)
        except ValidationError as exc:
            raise InputError([self._point_problem(point, values, data, err)
                              for err in exc.errors(include_url=False)]) from None
        identity = {"model": "sim", "version": __version__, "code": model_fingerprint(),
                    "population_csv": self._csv_digest,
                    "scenario": scenario.model_dump(mode="json", by_alias=True)}
        return scenario, identity

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


def expand_path(path: str, data: Any) -> list[Path_]:
    """The concrete paths a dotted path (with ``[*]`` for every element) names in scenario data."""
    parts = split_path(path)
    if parts is None:
        raise ValueError(f"'{path}' is not a dotted parameter path")
    found: list[Path_] = []

    def walk(cur: Any, rest: list[str | int], trail: Path_) -> None:
        if not rest:
            found.append(trail)
            return
        head, tail = rest[0], rest[1:]
        here = dotted(trail) or "the top level"
        if (head == "*" or isinstance(head, int)) and not isinstance(cur, list):
            raise ValueError(f"'{here}' is not a list, so '[{head}]' cannot follow it")
        if head == "*":
            for i, item in enumerate(cur):
                walk(item, tail, trail + (i,))
            return
        if isinstance(head, int):
            if not 0 <= head < len(cur):
                raise ValueError(f"'{here}' has {len(cur)} entries (0 to {len(cur) - 1}); there is no [{head}]")
            walk(cur[head], tail, trail + (head,))
            return
        if not isinstance(cur, dict):
            raise ValueError(f"'{here}' is a single value, not a section; it has no '{head}'")
        if head not in cur:
            hint = difflib.get_close_matches(str(head), list(cur), n=1, cutoff=0.6)
            msg = f"'{path}' is not a parameter: '{here}' has no key '{head}'."
            msg += f" Did you mean '{hint[0]}'?" if hint else f" Keys there: {', '.join(map(str, cur))}"
            raise ValueError(msg.rstrip("."))
        walk(cur[head], tail, trail + (head,))

    walk(data, list(parts), ())
    return found


def _set(data: Any, path: Path_, value: Any) -> None:
    cur = data
    for part in path[:-1]:
        cur = cur[part]
    cur[path[-1]] = value


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

    ``durable=False`` skips the fsync per result (see :class:`ResultStore`).
    """
    say = say or (lambda text: print(text, file=sys.stderr))
    t0 = time.perf_counter()
    check_outcomes(spec, model)
    try:
        design = generate(spec.parameters, spec.design, model.seed)
    except ValueError as exc:
        raise InputError([spec.problem(f"{exc}; use fewer levels or samples.", key="design")]) from None
    reps = spec.replications or model.replications
    prepared = [model.prepare(i, values) for i, values in enumerate(design.values)]
    keys = [[run_key(identity, r) for r in range(reps)] for _, identity in prepared]
    seed = model.seed
    where: dict[str, tuple[int, int]] = {}  # first (point, replication) of each distinct run
    for i, row in enumerate(keys):
        for r, key in enumerate(row):
            where.setdefault(key, (i, r))
    total = len(design) * reps
    with ResultStore(out, durable) as store:
        done = store.finished(where)
        todo = [Job(k, i, r, prepared[i][0], model.evaluate) for k, (i, r) in where.items() if k not in done]
        dup = total - len(where)
        say(f"Sweep '{Path(spec.file).name}': {spec.design.name} design, {len(design)} point(s) × {reps} "
            f"replication(s) = {total} run(s)" + (f" ({dup} repeat an identical point)" if dup else "")
            + f"; {len(done)} already in the store (skipped), {len(todo)} to run on "
            f"{min(executor.workers, max(1, len(todo)))} {executor.name} worker(s) → {out}")
        sweep_id = store.start_sweep(str(Path(spec.file).resolve()), spec.design.name, len(design), len(where), len(done),
                                     executor.name, executor.workers)
        status = "interrupted"
        failed = 0
        bar = _progress_bar(len(todo), progress)
        try:
            for result in executor.run(todo):
                i, r = where[result.key]
                record = RunRecord(result.key, i, r, seed, dict(design.values[i]), result.summary,
                                   result.wall_seconds)
                if result.error is not None:
                    failed += 1
                    store.put_error(record, result.error, sweep_id)
                    _log_failure(out, record, result.error)
                else:
                    store.put(record, sweep_id)
                bar.update(1)
            status = "finished" if not failed else "finished with errors"
        except Exception:
            status = "failed"
            raise
        finally:
            bar.close()
            store.finish_sweep(sweep_id, status)
        summaries = store.summaries(where)
    missing = [k for k in where if k not in summaries]
    if len(missing) > failed:  # cannot happen unless the store was changed underneath us
        raise RuntimeError(f"{len(missing) - failed} run(s) missing from the store after the sweep")
    # a failed run's outcomes are NaN in the tables; a rerun into the same folder tries it again
    grid = [[summaries.get(k, {}) for k in row] for row in keys]
    notes = write_tables(out, spec, design, grid, model.seed)
    wall = time.perf_counter() - t0
    report = SweepReport(out, len(design), total, len(done), len(todo), wall, notes, failed)
    write_manifest(out, spec, report, executor, reps, command)
    return report


def _log_failure(out: Path, record: RunRecord, traceback_text: str) -> None:
    """Append a failed run, with what reproduces it, to sweep.log."""
    head = (f"{dt.datetime.now().isoformat(timespec='seconds')} run failed: point {record.point}, replication "
            f"{record.replication}, seed {record.seed}, parameters {json.dumps(record.parameters)}\n")
    with open(out / "sweep.log", "a", encoding="utf-8") as log:
        log.write(head + traceback_text + "\n")


def write_tables(out: Path, spec: SweepSpec, design: DesignPoints, grid: list[list[dict[str, float]]],
                 seed: int) -> list[str]:
    """points.csv, results.csv, summary.csv and (Sobol'/Morris) sensitivity.csv; returns notes."""
    import pandas as pd
    from scipy import stats

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
            half = (float(stats.t.ppf(0.975, n - 1) * finite.std(ddof=1) / math.sqrt(n))
                    if n > 1 else math.nan)
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
        "package_version": __version__,
        "git_commit": git_commit(),
        "command": command,
        "wall_seconds": round(report.wall_seconds, 3),
        "notes": report.notes,
    }
    write_text(out / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


def _progress_bar(total: int, enabled: bool | None):  # type: ignore[no-untyped-def]
    from tqdm import tqdm

    if enabled is None:
        enabled = sys.stderr.isatty()
    return tqdm(total=total, unit="run", desc="sweep", disable=not enabled, file=sys.stderr, smoothing=0.1)


__all__ = ["FunctionModel", "PointModel", "ScenarioModel", "SweepReport", "check_outcomes", "expand_path",
           "point_count", "run_sweep"]
