"""Running an optimisation: search → Pareto front → selection with a guarantee → files.

1. NSGA-II search over the decisions within the budget (:mod:`sim.optimize.search`),
   ``replications`` per candidate.
2. The Pareto front of the feasible candidates on the search means.
3. The Pareto candidates (best on the primary objective first, at most
   ``selection.max_candidates``) are re-run: Kim–Nelson selection on the
   primary objective (:mod:`sim.optimize.selection`), on common random numbers.
4. The base scenario's own decisions (what was done) are run on the same
   replications as the recommendation's first stage, for a paired comparison.

Files in the results folder: ``candidates.csv`` (every candidate evaluated),
``points.csv`` and ``summary.csv`` (the feasible ones, in the sweep's
format), ``pareto.csv``, ``recommendation.json``, ``manifest.json``,
``optimize.log`` (failed runs) and ``store.sqlite`` (every run).
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.stats import t_halfwidth
from sim.errors import InputError
from sim.experiment.executors import Executor
from sim.experiment.failures import FailureLog
from sim.experiment.store import ResultStore
from sim.optimize.evaluate import BASE, Candidate, Evaluator, uncertainty_points
from sim.optimize.search import SearchResult, pareto_front, search
from sim.optimize.selection import Selection, guarantee_sentence, kim_nelson
from sim.optimize.spec import OptimizeSpec, check_against
from sim.results.output import atomic_write, build_info, write_manifest_json, write_text
from sim.scenario.ranges import resolve
from sim.sweep.run import PointModel, manifest_entry

RECOMMENDATION = "recommendation.json"


@dataclass
class OptimizeReport:
    """What an optimisation did and chose."""

    out: Path
    candidates: int
    feasible: int
    pareto: int
    ran: int
    reused: int
    failed: int
    wall_seconds: float
    recommendation: dict[str, Any] = field(default_factory=dict)


def run_optimization(spec: OptimizeSpec, model: PointModel, out: Path, executor: Executor,
                     progress: bool | None = None, say: Callable[[str], None] | None = None,
                     command: list[str] | None = None, durable: bool = True) -> OptimizeReport:
    say = say or (lambda text: print(text, file=sys.stderr))
    t0 = time.perf_counter()
    base_data = _base_data(model)
    check_against(spec, model.outcome_names(), base_data)
    points = uncertainty_points(spec.uncertainties, spec.uncertainty_design, model.seed)
    reps = spec.replications or min(model.replications, spec.selection.first_stage)
    names = [d.label for d in spec.decisions]
    objectives = list(spec.objectives)
    directions = [spec.objectives[o] for o in objectives]
    primary = objectives.index(spec.primary)
    with ResultStore(out, durable) as store:
        sweep_id = store.start_sweep(str(Path(spec.file).resolve()), "nsga2+kim-nelson", 0, 0, store.count(),
                                     executor.name, executor.workers)
        evaluator = Evaluator(model, names, objectives, store, executor, points, FailureLog(out / "optimize.log"),
                              sweep_id, progress, say)
        status = "interrupted"
        try:
            say(f"Optimisation '{Path(spec.file).name}': {len(names)} decision(s), {len(points)} uncertainty "
                f"point(s), {reps} replication(s) per candidate; NSGA-II {spec.search.population} × "
                f"{spec.search.generations} generation(s) on {executor.workers} {executor.name} worker(s) → {out}")
            found = search(spec.decisions, spec.budget, directions, primary, evaluator, reps,
                           spec.search.population, spec.search.generations,
                           spec.search.seed if spec.search.seed is not None else model.seed, spec.search.refine, say,
                           _start(spec, base_data), spec.search.initial)
            feasible = found.feasible()
            if not feasible:
                raise InputError([spec.problem("no feasible candidate could be evaluated (every one was over the "
                                               "budget or failed); widen the decisions' bounds or the budget.",
                                               ("budget",))])
            front = [feasible[i] for i in pareto_front([e.means for e in feasible], directions)]
            sign = 1.0 if directions[primary] == "minimize" else -1.0
            front.sort(key=lambda e: (sign * e.means[primary], e.cand))
            finalists = [e.cand for e in front[: spec.selection.max_candidates]]
            say(f"Pareto front: {len(front)} candidate(s); selecting among {len(finalists)} on {spec.primary} "
                f"(Kim–Nelson, 1 − α = {1 - spec.selection.alpha:g}, δ = {spec.selection.delta:g})")
            sel = _select(spec, evaluator, finalists, primary, directions[primary])
            base = BASE if base_data is not None else None
            status = "finished" if not evaluator.failed else "finished with errors"
        finally:
            store.finish_sweep(sweep_id, status)
        # every finalist's replications 0..n-1 of every objective (already in the store)
        final_obs = {c: evaluator.observations([c], 0, max(n, 2))[c]
                     for c, n in zip(finalists, sel.observations, strict=True)}
        base_obs = None
        if base is not None:
            base_obs = evaluator.observations([base], 0, spec.selection.first_stage, desc="base scenario")[base]
    recommendation = _recommendation(spec, evaluator, finalists, sel, final_obs, base, base_obs, len(front), base_data)
    _write_tables(out, spec, found, front, finalists, sel, final_obs, evaluator)
    write_text(out / RECOMMENDATION, json.dumps(recommendation, indent=2, ensure_ascii=False) + "\n")
    wall = time.perf_counter() - t0
    report = OptimizeReport(out, len(found.evaluated), len(feasible), len(front), evaluator.ran, evaluator.reused,
                            evaluator.failed, wall, recommendation)
    _write_manifest(out, spec, report, executor, reps, len(points), command)
    return report


def _base_data(model: PointModel) -> dict[str, Any] | None:
    base = getattr(model, "base", None)
    return base.model_dump(mode="json", by_alias=True) if base is not None else None


def _select(spec: OptimizeSpec, evaluator: Evaluator, finalists: list[Candidate], primary: int,
            direction: str) -> Selection:
    def draw(systems: list[int], start: int, stop: int) -> np.ndarray:
        cands = [finalists[i] for i in systems]
        obs = evaluator.observations(cands, start, stop, desc=f"selection r {start + 1}-{stop}")
        rows = np.array([obs[c][primary] for c in cands])
        if not np.isfinite(rows).all():
            raise RuntimeError(f"{evaluator.failed} run(s) failed during the selection; tracebacks are in "
                               "optimize.log. Run the same command again to retry them (finished runs are kept).")
        return rows

    sel = spec.selection
    batch = max(1, math.ceil(evaluator.executor.workers * 2 / max(1, len(finalists))))
    return kim_nelson(draw, len(finalists), sel.alpha, sel.delta, sel.first_stage, sel.max_replications,
                      minimize=direction == "minimize", batch=batch)


def _start(spec: OptimizeSpec, data: dict[str, Any] | None) -> list[Candidate]:
    """The base scenario's decisions as a first-generation candidate, if they are one (on the grid, in bounds)."""
    if not spec.search.start_from_base:
        return []
    found = _decisions_in_base(spec, data)
    cand = tuple(found.get(d.label) for d in spec.decisions)
    if all(isinstance(v, int) and not isinstance(v, bool) and v in d.values()
           for v, d in zip(cand, spec.decisions, strict=True)):
        return [tuple(int(v) for v in cand if isinstance(v, int))]
    return []


def _stats(values: np.ndarray) -> dict[str, float]:
    finite = values[np.isfinite(values)]
    mean = float(finite.mean()) if len(finite) else math.nan
    half = t_halfwidth(finite)
    return {"mean": mean, "ci_low": mean - half, "ci_high": mean + half, "n": int(len(finite))}


def _decisions_in_base(spec: OptimizeSpec, data: dict[str, Any] | None) -> dict[str, Any]:
    """The base scenario's own value at each decision path (a list where a [*] path's elements differ)."""
    if data is None:
        return {}
    out: dict[str, Any] = {}
    for b in resolve(spec.decisions, data)[0]:
        if b.found:
            out[b.parameter.label] = b.found[0] if len(set(map(repr, b.found))) == 1 else list(b.found)
    return out


def _recommendation(spec: OptimizeSpec, evaluator: Evaluator, finalists: list[Candidate], sel: Selection,
                    final_obs: dict[Candidate, np.ndarray], base: Candidate | None, base_obs: np.ndarray | None,
                    front: int, base_data: dict[str, Any] | None) -> dict[str, Any]:
    best = finalists[sel.best]
    objectives = list(spec.objectives)
    label = f"candidate {evaluator.number(best)}"
    values = evaluator.values(best)
    rec: dict[str, Any] = {
        "candidate": evaluator.number(best),
        "decisions": values,
        "budget": {c.name: {"used": spec.budget.usage(c, values), "limit": c.limit, "unit": c.unit}
                   for c in spec.budget.constraints},
        "objectives": {o: {"direction": spec.objectives[o], **_stats(final_obs[best][i])}
                       for i, o in enumerate(objectives)},
        "primary": spec.primary,
        "guarantee": guarantee_sentence(sel, label, spec.primary, "", len(finalists)),
        "selection": {"procedure": "Kim-Nelson fully sequential (KN), common random numbers",
                      "alpha": sel.alpha, "delta": sel.delta, "first_stage": sel.first_stage,
                      "guaranteed": sel.guaranteed, "stopped_by": sel.stopped_by, "candidates": len(finalists),
                      "pareto_front": front, "replications_used": sum(sel.observations),
                      "worst_case_replications": sel.bound, "h2": round(sel.h2, 6)},
        "uncertainty_points": evaluator.uncertainty_points,
    }
    if base is not None and base_obs is not None:
        scenario = _decisions_in_base(spec, base_data)
        rec["base"] = {"decisions": scenario,
                       "budget_used": ({c.name: spec.budget.usage(c, scenario) for c in spec.budget.constraints}
                                       if len(scenario) == len(spec.decisions)
                                       and all(isinstance(v, int | float) for v in scenario.values()) else None),
                       "objectives": {o: _stats(base_obs[i]) for i, o in enumerate(objectives)}}
        n = min(base_obs.shape[1], final_obs[best].shape[1])
        # paired on common random numbers: replication r of both used the same seed and streams
        rec["base"]["difference"] = {o: _stats(final_obs[best][i][:n] - base_obs[i][:n])
                                     for i, o in enumerate(objectives)}
    return rec


def _write_tables(out: Path, spec: OptimizeSpec, found: SearchResult, front: list[Any], finalists: list[Candidate],
                  sel: Selection, final_obs: dict[Candidate, np.ndarray], evaluator: Evaluator) -> None:
    import pandas as pd

    names = [d.label for d in spec.decisions]
    objectives = list(spec.objectives)
    on_front = {e.cand for e in front}
    rows = []
    for e in found.evaluated.values():
        v = evaluator.values(e.cand)
        rows.append({"candidate": evaluator.number(e.cand), **v, "origin": e.origin, "feasible": e.feasible,
                     **{f"budget_{c.name}": spec.budget.usage(c, v) for c in spec.budget.constraints},
                     **{f"{o}_mean": m for o, m in zip(objectives, e.means, strict=True)},
                     "pareto": e.cand in on_front})
    _csv(out / "candidates.csv", pd.DataFrame(rows).sort_values("candidate"))
    feasible = sorted(found.feasible(), key=lambda e: evaluator.number(e.cand))
    _csv(out / "points.csv", pd.DataFrame([{"point": evaluator.number(e.cand), **evaluator.values(e.cand)}
                                           for e in feasible], columns=["point", *names]))
    summary = []
    for e in feasible:
        entry: dict[str, Any] = {"point": evaluator.number(e.cand), **evaluator.values(e.cand),
                                 "replications": int(e.per_rep.shape[1]) if e.per_rep is not None else 0}
        for i, o in enumerate(objectives):
            s = _stats(e.per_rep[i]) if e.per_rep is not None else {}
            entry.update({f"{o}_{k}": s.get(k, math.nan) for k in ("mean", "ci_low", "ci_high", "n")})
        summary.append(entry)
    _csv(out / "summary.csv", pd.DataFrame(summary))
    pareto = []
    for i, c in enumerate(finalists):
        v = evaluator.values(c)
        entry = {"candidate": evaluator.number(c), **v,
                 **{f"budget_{b.name}": spec.budget.usage(b, v) for b in spec.budget.constraints},
                 "replications": sel.observations[i], "eliminated_at": sel.eliminated_at[i],
                 "selected": i == sel.best}
        for j, o in enumerate(objectives):
            s = _stats(final_obs[c][j][: sel.observations[i]])
            entry.update({f"{o}_{k}": s[k] for k in ("mean", "ci_low", "ci_high")})
        pareto.append(entry)
    _csv(out / "pareto.csv", pd.DataFrame(pareto))


def _csv(path: Path, frame: Any) -> None:
    atomic_write(path, lambda p: frame.to_csv(p, index=False))


def _write_manifest(out: Path, spec: OptimizeSpec, report: OptimizeReport, executor: Executor, reps: int,
                    points: int, command: list[str] | None) -> None:
    manifest = {
        "kind": "optimize",
        "optimize_file": spec.file,
        "description": spec.description,  # the question, for the report
        "scenario_file": str(spec.scenario_path),
        "parameters": [{"path": d.label, "group": "lever", "low": int(d.low or 0), "high": int(d.high or 0),
                        "integer": True, "step": d.step or 1} for d in spec.decisions]
        + [manifest_entry(p) for p in spec.uncertainties],
        "outcomes": list(spec.objectives),
        "objectives": spec.objectives,
        "primary": spec.primary,
        "budget": [{"name": c.name, "limit": c.limit, "weights": c.weights, "unit": c.unit,
                    "counts": {p: spec.budget.counts.get(p, 1) for p in c.weights}} for c in spec.budget.constraints],
        "search": spec.search.model_dump(),
        "selection": spec.selection.model_dump(),
        "replications": reps,
        "uncertainty_points": points,
        "candidates": report.candidates,
        "feasible": report.feasible,
        "pareto": report.pareto,
        "ran": report.ran,
        "reused": report.reused,
        "failed": report.failed,
        "executor": executor.name,
        "workers": executor.workers,
        **build_info(),
        "command": command,
        "wall_seconds": round(report.wall_seconds, 3),
    }
    write_manifest_json(out, manifest)
