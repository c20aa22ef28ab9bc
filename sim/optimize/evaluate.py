"""Evaluating candidates: runs through the shared executor, kept in (and reused from) the result store.

A candidate is a tuple of decision values. Its observation ``r`` of an
objective is the mean, over the uncertainty points, of that objective in
replication ``r`` — and replication ``r`` of *every* candidate and
uncertainty point uses the scenario seed and index ``r`` (common random
numbers), so differences between candidates come from the decisions, not
from the noise. Each run is keyed by the hash of its resolved scenario and
replication: a candidate proposed twice, or an optimisation killed and run
again, finds its runs in the store instead of running them again.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.experiment.designs import AnyDesign, design_points
from sim.experiment.executors import Completed, Executor, Job
from sim.experiment.failures import FailureLog
from sim.experiment.runner import run_jobs
from sim.experiment.store import ResultStore, RunRecord, run_key
from sim.scenario.ranges import Parameter, Scalar
from sim.sweep.run import PointModel

Candidate = tuple[int, ...]
BASE: Candidate = ()  # the base scenario as written: no decision changed (what was done)


@dataclass
class Evaluator:
    """Runs (candidate, uncertainty point, replication) triples once each and averages them."""

    model: PointModel
    decisions: list[str]
    objectives: list[str]
    store: ResultStore
    executor: Executor
    uncertainty_points: list[dict[str, Scalar]]
    log: FailureLog
    sweep_id: int | None = None
    progress: bool | None = None
    say: Callable[[str], None] = lambda text: None
    index: dict[Candidate, int] = field(default_factory=dict)  # candidate → its number (order of first proposal)
    ran: int = 0
    reused: int = 0
    failed: int = 0
    _prepared: dict[tuple[Candidate, int], tuple[Any, dict[str, Any]]] = field(default_factory=dict)
    _summaries: dict[str, dict[str, float]] = field(default_factory=dict)

    def number(self, cand: Candidate) -> int:
        return self.index.setdefault(cand, len(self.index))

    def values(self, cand: Candidate, u: int | None = None) -> dict[str, Scalar]:
        point: dict[str, Scalar] = {} if cand == BASE else dict(zip(self.decisions, cand, strict=True))
        if u is not None:
            point.update(self.uncertainty_points[u])
        return point

    def _prepare(self, cand: Candidate, u: int) -> tuple[Any, dict[str, Any]]:
        if (cand, u) not in self._prepared:
            self._prepared[(cand, u)] = self.model.prepare(self.number(cand), self.values(cand, u))
        return self._prepared[(cand, u)]

    def observations(self, cands: list[Candidate], start: int, stop: int,
                     desc: str = "candidates") -> dict[Candidate, np.ndarray]:
        """(objectives × replications start..stop-1) of each candidate, averaged over the uncertainty points.

        Runs what the store lacks in one batch; a failed run makes its observation NaN.
        """
        wanted: dict[str, tuple[Candidate, int, int]] = {}
        for cand in dict.fromkeys(cands):
            for u in range(len(self.uncertainty_points)):
                identity = self._prepare(cand, u)[1]
                for r in range(start, stop):
                    wanted.setdefault(run_key(identity, r), (cand, u, r))
        missing = [k for k in wanted if k not in self._summaries]
        self._summaries.update(self.store.summaries(missing))
        todo = [k for k in missing if k not in self._summaries]
        self.reused += len(missing) - len(todo)
        if todo:
            jobs = [Job(k, self.number(wanted[k][0]), wanted[k][2], self._prepare(*wanted[k][:2])[0],
                        self.model.evaluate) for k in todo]
            run_jobs(self.executor, jobs, self._finished(wanted), self.progress, desc=desc, group=self.store.group)
        out: dict[Candidate, np.ndarray] = {}
        n_u = len(self.uncertainty_points)
        for cand in dict.fromkeys(cands):
            grid = np.full((len(self.objectives), n_u, stop - start), math.nan)
            for u in range(n_u):
                identity = self._prepare(cand, u)[1]
                for r in range(start, stop):
                    s = self._summaries.get(run_key(identity, r), {})
                    grid[:, u, r - start] = [s.get(o, math.nan) for o in self.objectives]
            out[cand] = grid.mean(axis=1)  # NaN if any uncertainty point of that replication failed
        return out

    def _finished(self, wanted: Mapping[str, tuple[Candidate, int, int]]) -> Callable[[Completed], None]:
        def done(result: Completed) -> None:
            cand, u, r = wanted[result.key]
            params = {k: v for k, v in self.values(cand, u).items()}
            summary = {} if result.error is not None else {k: float(v) for k, v in result.value.items()}
            record = RunRecord(result.key, self.number(cand), r, getattr(self.model, "seed", None), params, summary,
                               result.wall_seconds)
            if result.error is not None:
                self.failed += 1
                self.store.put_error(record, result.error, self.sweep_id)
                self.log.write(f"run failed: candidate {self.number(cand)}, replication {r}, parameters "
                               f"{json.dumps(params)}", result.error)
                return
            self.ran += 1
            self.store.put(record, self.sweep_id)
            self._summaries[result.key] = summary
        return done


def uncertainty_points(params: list[Parameter], design: AnyDesign, seed: int) -> list[dict[str, Scalar]]:
    """The uncertainty points every candidate is averaged over ([{}] without uncertainties)."""
    if not params:
        return [{}]
    return list(design_points(params, design, seed).values)
