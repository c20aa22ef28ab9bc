"""Running the points of a study: every (point, replication) once, each kept in the result store as it finishes.

A sweep's design points, and the (uncertainty point, variant) pairs of
``run --robustness``, are points: a payload for the evaluate function and an
identity whose hash with the replication index is the run's key
(:func:`sim.experiment.store.run_key`). :func:`run_points` runs what the store
lacks on an executor (identical runs share a key and run once), puts every
finished run in the store at once and every failure in its errors table and
the log, and reads the summaries back in (point, replication) order, so that
what is built from them does not depend on the executor, the number of
workers or the order in which runs finished. A rerun into the same folder
skips what is there.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sim.errors import OutputError
from sim.experiment.executors import Completed, Evaluate, Executor, Job
from sim.experiment.failures import FailureLog
from sim.experiment.runner import run_jobs
from sim.experiment.store import ResultStore, RunRecord, run_keys


@dataclass
class Points:
    """What a study runs: per point, the payload its evaluate function gets, its run keys (replications
    0 … R−1) and what the store records of it (parameters, label, and the point's number in the study's
    tables). Points whose scenario is the same share their keys, so each distinct run runs once."""

    payloads: list[Any]
    keys: list[list[str]]
    parameters: list[Mapping[str, Any]]
    labels: list[str | None]
    numbers: list[int]

    @classmethod
    def of(cls, prepared: Sequence[tuple[Any, dict[str, Any]]], reps: int, parameters: Sequence[Mapping[str, Any]],
           labels: Sequence[str | None] | None = None, numbers: Sequence[int] | None = None) -> Points:
        """From (payload, identity) of each point (:meth:`PointModel.prepare`); numbered 0, 1, … by default."""
        n = len(prepared)
        return cls([payload for payload, _ in prepared], [run_keys(identity, range(reps)) for _, identity in prepared],
                   list(parameters), list(labels) if labels is not None else [None] * n,
                   list(numbers) if numbers is not None else list(range(n)))

    @cached_property
    def where(self) -> dict[str, tuple[int, int]]:
        """The first (point, replication) of each distinct run."""
        out: dict[str, tuple[int, int]] = {}
        for i, row in enumerate(self.keys):
            for r, key in enumerate(row):
                out.setdefault(key, (i, r))
        return out


@dataclass
class PointsRun:
    """What :func:`run_points` did: every run's summary by point and replication ({} where a run failed)."""

    grid: list[list[dict[str, float]]]
    stored: int  # distinct runs found in the store
    ran: int  # distinct runs run now
    failed: int  # of those, the ones that raised


def run_points(points: Points, evaluate: Evaluate, store: ResultStore, executor: Executor, log: FailureLog,
               seed: int | None, study: tuple[str, str], announce: Callable[[int, int], None],
               progress: bool | None = None, desc: str = "runs") -> PointsRun:
    """Run every (point, replication) the store lacks on ``executor``; each goes to the store as it finishes.

    A run that raises goes to the store's errors table and to ``log`` (a rerun tries it again).
    ``announce(stored, to_run)`` is called before anything runs; ``study`` (file, design) is recorded
    as a sweep of the store, with how it ended (finished, interrupted, failed).
    """
    where = points.where
    stored = store.finished(where)
    todo = [Job(key, points.numbers[k], r, points.payloads[k], evaluate) for key, (k, r) in where.items()
            if key not in stored]
    announce(len(stored), len(todo))
    sweep_id = store.start_sweep(study[0], study[1], len(points.keys), len(where), len(stored), executor.name,
                                 executor.workers)
    status = "interrupted"
    failed = 0

    def finished(result: Completed) -> None:
        nonlocal failed
        k, r = where[result.key]
        i, label = points.numbers[k], points.labels[k]
        summary = {} if result.error is not None else {name: float(v) for name, v in result.value.items()}
        record = RunRecord(result.key, i, r, seed, dict(points.parameters[k]), summary, result.wall_seconds,
                           label=label)
        if result.error is None:
            store.put(record, sweep_id)
            return
        failed += 1
        store.put_error(record, result.error, sweep_id)
        log.write(f"run failed: point {i}" + (f", variant {label}" if label else "") + f", replication {r}, "
                  f"seed {seed}, parameters {json.dumps(record.parameters)}", result.error)

    try:
        run_jobs(executor, todo, finished, progress, desc=desc, group=store.group)
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
        raise RuntimeError(f"{len(missing) - failed} run(s) missing from the store after running")
    return PointsRun([[summaries.get(k, {}) for k in row] for row in points.keys], len(stored), len(todo), failed)
