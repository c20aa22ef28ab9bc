"""The search: NSGA-II (Optuna) over the integer decisions, then a local refinement of the primary best.

Optuna's NSGA-II sampler is driven by ask-and-tell, one generation at a
time, so that a whole generation's runs go to the executor in one batch.
The budget enters through Optuna's constraints (``Trial.set_constraint``:
feasible when every value is ≤ 0), which NSGA-II uses in its constrained
domination: a candidate over the budget is never simulated — it is told
placeholder objective values that the sampler ignores in favour of its
violation — so no run is spent on a penalty.

NSGA-II reaches the neighbourhood of integer optima but does not reliably
land on them, so ``refine`` rounds of neighbourhood search follow around
the best feasible candidate of the primary objective: one step up or down
in each decision, and one step moved from one decision to another (the
natural move under a head-count). After a round that improves, pattern
moves (Hooke and Jeeves) continue in the same direction with doubling
strides, one candidate at a time, as long as each is better. The same seed and stored runs give the
same candidates, so a killed search run again retraces its steps from the
store.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sim.experiment.designs import LatinHypercubeDesign, design_points
from sim.optimize.budget import Budget
from sim.optimize.evaluate import Candidate, Evaluator
from sim.optimize.spec import Direction
from sim.scenario.ranges import Parameter, Scalar


@dataclass
class Evaluated:
    """A candidate's search-stage result."""

    cand: Candidate
    feasible: bool
    means: list[float]  # per objective, over the search replications (NaN if infeasible or failed)
    origin: str  # "generation g" or "refine n"
    per_rep: np.ndarray | None = None  # objectives × search replications (None if not simulated)


@dataclass
class SearchResult:
    evaluated: dict[Candidate, Evaluated] = field(default_factory=dict)

    def feasible(self) -> list[Evaluated]:
        return [e for e in self.evaluated.values() if e.feasible and all(math.isfinite(m) for m in e.means)]


def search(decisions: list[Parameter], budget: Budget, directions: list[Direction], primary: int,
           evaluator: Evaluator, replications: int, population: int, generations: int, seed: int, refine: int,
           say: Callable[[str], None], start: list[Candidate] | None = None,
           initial: str = "random") -> SearchResult:
    """NSGA-II generations, then the refinement; every candidate's means on the search replications.

    ``start``: candidates put in the first generation (e.g. the base scenario's own decisions); the
    rest of it drawn at random by NSGA-II, or (``initial="latin_hypercube"``) a Latin hypercube over
    the decisions from the sweeps' sampler, seeded like the search.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.NSGAIISampler(population_size=population, seed=seed)
    study = optuna.create_study(directions=list(directions), sampler=sampler)
    first: list[dict[str, Scalar]] = [dict(zip((d.label for d in decisions), cand, strict=True)) for cand in start or []]
    if initial == "latin_hypercube" and population > len(first):
        design = LatinHypercubeDesign(name="latin_hypercube", samples=population - len(first))
        first += design_points(decisions, design, seed).values
    for values in first:
        study.enqueue_trial(values)
    result = SearchResult()
    worst = [math.inf if d == "minimize" else -math.inf for d in directions]

    def evaluate(cands: list[Candidate], origin: str) -> None:
        fresh = [c for c in dict.fromkeys(cands) if c not in result.evaluated]
        ok = [c for c in fresh if budget.feasible(_named(decisions, c))]
        obs = evaluator.observations(ok, 0, replications, desc=origin) if ok else {}
        for c in fresh:
            means = [float(np.mean(row)) for row in obs[c]] if c in obs else [math.nan] * len(directions)
            result.evaluated[c] = Evaluated(c, c in obs, means, origin, obs.get(c))

    for g in range(generations):
        trials = [study.ask() for _ in range(population)]
        cands = [tuple(t.suggest_int(d.label, int(d.low or 0), int(d.high or 0), step=d.step or 1) for d in decisions)
                 for t in trials]
        evaluate(cands, f"generation {g + 1}/{generations}")
        for t, c in zip(trials, cands, strict=True):
            e = result.evaluated[c]
            for name, v in budget.violations(_named(decisions, c)).items():
                t.set_constraint(name, float(v))
            if not e.feasible:
                study.tell(t, worst)  # constrained domination ranks it by its violation, not these values
            elif all(math.isfinite(m) for m in e.means):
                study.tell(t, e.means)
            else:
                study.tell(t, state=optuna.trial.TrialState.FAIL)
        best = _best(result, primary, directions[primary])
        say(f"generation {g + 1}/{generations}: {len(result.feasible())} feasible candidate(s) evaluated"
            + (f"; best {best.means[primary]:.4g} at {_named(decisions, best.cand)}" if best else ""))
    for n in range(refine):
        best = _best(result, primary, directions[primary])
        if best is None:
            break
        neighbours = [c for c in _neighbours(best.cand, decisions) if c not in result.evaluated]
        if not neighbours:
            break
        evaluate(neighbours, f"refine {n + 1}/{refine}")
        after = _best(result, primary, directions[primary])
        say(f"refine {n + 1}/{refine}: {len(neighbours)} neighbour(s) of the best; "
            + ("improved" if after is not None and after.cand != best.cand else "no improvement"))
        if after is None or after.cand == best.cand:
            break
        # pattern move (Hooke and Jeeves): keep going the way that paid, with growing strides, while it pays
        moves = 0
        origin, stride = best.cand, 1
        while True:
            step = tuple(a - b for a, b in zip(after.cand, origin, strict=True))
            ahead = tuple(a + stride * s for a, s in zip(after.cand, step, strict=True))
            if not all(_within(d, v) for d, v in zip(decisions, ahead, strict=True)) \
                    or ahead in result.evaluated or not budget.feasible(_named(decisions, ahead)):
                break
            evaluate([ahead], f"refine {n + 1}/{refine}: pattern move")
            moved = _best(result, primary, directions[primary])
            if moved is None or moved.cand != ahead:
                break
            moves += 1
            origin, after, stride = after.cand, moved, stride * 2
        if moves:
            say(f"refine {n + 1}/{refine}: {moves} pattern move(s) further in the same direction")
    return result


def _named(decisions: list[Parameter], cand: Candidate) -> dict[str, int]:
    return {d.label: v for d, v in zip(decisions, cand, strict=True)}


def _within(d: Parameter, v: int) -> bool:
    return (d.low or 0) <= v <= (d.high or 0)


def _best(result: SearchResult, primary: int, direction: Direction) -> Evaluated | None:
    feasible = result.feasible()
    if not feasible:
        return None
    sign = 1.0 if direction == "minimize" else -1.0
    return min(feasible, key=lambda e: sign * e.means[primary])


def _neighbours(cand: Candidate, decisions: list[Parameter]) -> list[Candidate]:
    """One step up or down in one decision; one step moved from one decision to another (within bounds)."""
    out: list[Candidate] = []

    def ok(c: list[int]) -> bool:
        return all(_within(d, v) for d, v in zip(decisions, c, strict=True))

    for i, d in enumerate(decisions):
        for s in (-(d.step or 1), d.step or 1):
            c = list(cand)
            c[i] += s
            if ok(c):
                out.append(tuple(c))
    for i, di in enumerate(decisions):
        for j, dj in enumerate(decisions):
            if i != j:
                c = list(cand)
                c[i] += di.step or 1
                c[j] -= dj.step or 1
                if ok(c):
                    out.append(tuple(c))
    return out


def pareto_front(points: list[list[float]], directions: list[Direction]) -> list[int]:
    """Indices of the non-dominated points (each objective in its direction); duplicates all kept."""
    signs = np.array([1.0 if d == "minimize" else -1.0 for d in directions])
    values = np.asarray(points, dtype=float) * signs
    front = []
    for i, v in enumerate(values):
        dominated = np.any(np.all(values <= v, axis=1) & np.any(values < v, axis=1))
        if not dominated:
            front.append(i)
    return front
