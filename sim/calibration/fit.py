"""Calibration: fit scenario parameters so that a simulated series matches observed points.

The loss is the sum of squared differences between the mean simulated series
(over replications 0..R−1, the same seeds for every candidate: common random
numbers, so the loss surface is not blurred by fresh noise at every candidate)
and the observed shares at the target days (day = date − start_date).
The optimizer is scipy's differential evolution with a fixed seed, serial
evaluation and no polishing, so the same command gives the same fit.

Parameters are :class:`~sim.scenario.ranges.Parameter` ranges at dotted paths
of the scenario (``approval.review_days.mean``,
``population.strata[0].already_running_share``); ``[*]`` sets every element of
a list (``counties[*].approval_reviewers``). A parameter whose values are all
whole numbers is fitted on integers.

While fitting, a run stops at the last target day: the series up to a day does
not depend on what happens later, so the fit is the same and much cheaper.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.analysis.stats import t_halfwidth
from sim.calibration.targets import Target
from sim.errors import InputError, InputProblem
from sim.experiment.executors import Completed, Executor, Job, LocalExecutor
from sim.experiment.failures import Failure
from sim.experiment.fingerprint import Populations
from sim.experiment.runner import ReplicationFailed, Task, run_jobs, run_task
from sim.scenario.paths import EXAMPLES, split_path
from sim.scenario.ranges import Binding, Parameter, resolve
from sim.scenario.schema import Scenario

DEFAULT_SERIES = "resumed_share_above_scale"


# -- parameters --------------------------------------------------------------------

def parse_fit(text: str) -> Parameter:
    """Parse ``PATH=LOW:HIGH``; ValueError with a planner-readable message if malformed."""
    path, sep, bounds = text.partition("=")
    low_text, sep2, high_text = bounds.partition(":")
    path = path.strip()
    if not sep or not sep2 or not path:
        raise ValueError(f"'{text}' must look like PARAM=LOW:HIGH, e.g. approval.review_days.mean=0.1:2")
    if split_path(path) is None:
        raise ValueError(f"'{text}': '{path}' is not a dotted parameter path; write e.g. {EXAMPLES}")
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise ValueError(f"'{text}': the bounds '{low_text}' and '{high_text}' must be numbers") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"'{text}': need finite bounds with LOW < HIGH")
    return Parameter(paths=[path], low=low, high=high)


def resolve_params(base: Scenario, params: list[Parameter], file: str) -> list[Binding]:
    """Bind every parameter to the numbers it names in the scenario; InputError otherwise.

    A parameter whose values are all whole numbers is fitted on integers (:attr:`Binding.whole`).
    """
    data = base.model_dump(mode="json", by_alias=True)
    bindings, issues = resolve(params, data)
    problems = [InputProblem(file, f"--fit {params[i].label} does not fit the scenario: {message}. Write a dotted "
                             "path to a number, e.g. approval.review_days.mean, "
                             "population.strata[0].already_running_share, counties[*].approval_reviewers.",
                             params[i].label) for i, _, message in issues]
    for b in bindings:
        p = b.parameter
        if b.whole and math.floor(p.high or 0) < math.ceil(p.low or 0):
            problems.append(InputProblem(file, f"--fit {p.label}: a whole-number parameter needs a whole number "
                                         f"between {p.low:g} and {p.high:g}.", p.label))
    if problems:
        raise InputError(problems)
    return bindings


def apply_values(base: Scenario, slots: list[Binding], x: np.ndarray | list[float],
                 horizon: float | None = None) -> Scenario:
    """The base scenario with the fitted values set (and optionally a shorter horizon)."""
    data = base.model_dump(mode="json", by_alias=True)
    for slot, value in zip(slots, x, strict=True):
        slot.apply(data, int(round(value)) if slot.whole else float(value))
    if horizon is not None:
        data["horizon_days"] = horizon
        # days the schema wants within the horizon: one past the shortened horizon acts at its end at the
        # earliest, which leaves the series up to the horizon unchanged
        for section, key in (("calendar", "restart_ban_until_day"), ("cadres", "dispatch_day")):
            data[section][key] = min(data[section][key], horizon)
        loans = data["policies"]["loans"]
        loans["window_opens_day"] = min(loans["window_opens_day"], horizon)
    return Scenario.model_validate(data)


def rounded(slots: list[Binding], x: np.ndarray | list[float]) -> tuple[float, ...]:
    return tuple(float(round(v)) if s.whole else float(v) for s, v in zip(slots, x, strict=True))


# -- the objective ---------------------------------------------------------------------

def simulate_series(payload: tuple[Task, str], replication: int) -> np.ndarray:
    """An executor's evaluate function: one replication's daily series."""
    task, series = payload
    return run_task(Task(task.variant, replication, task.scenario, task.population)).series[series]


@dataclass
class Evaluation:
    x: tuple[float, ...]
    loss: float
    simulated: np.ndarray  # mean series at the target days


@dataclass
class Objective:
    """Loss of a candidate: squared distance of the mean simulated series to the targets."""

    base: Scenario
    slots: list[Binding]
    days: np.ndarray
    observed: np.ndarray
    replications: int
    series: str = DEFAULT_SERIES
    executor: Executor | None = None
    on_evaluation: Callable[[Evaluation], None] | None = None
    cache: dict[tuple[float, ...], Evaluation] = field(default_factory=dict)
    history: list[Evaluation] = field(default_factory=list)
    populations: Populations = field(default_factory=Populations)

    def runs(self, x: np.ndarray | list[float], horizon: float | None) -> np.ndarray:
        """Series of every replication (rows) at a candidate, on replications 0..R−1."""
        sc = apply_values(self.base, self.slots, x, horizon)
        task = Task("base", 0, sc, self.populations.get(sc)[0])
        jobs = [Job(str(r), 0, r, (task, self.series), simulate_series) for r in range(self.replications)]
        out: dict[str, np.ndarray] = {}

        def done(c: Completed) -> None:
            if c.error is not None:
                raise ReplicationFailed(Failure.of(Task("base", int(c.key), sc), c.error))
            out[c.key] = c.value

        run_jobs(self.executor or LocalExecutor(1), jobs, done, progress=False)
        return np.vstack([out[str(r)] for r in range(self.replications)])

    def __call__(self, x: np.ndarray) -> float:
        key = rounded(self.slots, x)
        hit = self.cache.get(key)
        if hit is None:
            horizon = float(min(self.base.horizon_days, int(self.days.max()) + 1))
            sim = self.runs(list(key), horizon)[:, self.days].mean(axis=0)
            hit = Evaluation(key, float(np.sum((sim - self.observed) ** 2)), sim)
            self.cache[key] = hit
        self.history.append(hit)
        if self.on_evaluation is not None:
            self.on_evaluation(hit)
        return hit.loss


# -- the fit -------------------------------------------------------------------------

@dataclass
class FitResult:
    slots: list[Binding]
    x: tuple[float, ...]
    loss: float
    evaluations: int
    distinct: int
    days: np.ndarray
    observed: np.ndarray
    runs: np.ndarray  # replications × days 0..H of the chosen series, full horizon, at the fit
    optimizer: dict[str, Any]


def check_targets(base: Scenario, targets: list[Target], file: str, series: str) -> np.ndarray:
    """Target days inside the horizon, and a scenario that has the series; returns the days."""
    problems: list[InputProblem] = []
    days = []
    for t in targets:
        d = t.day(base.start_date)
        if not 0 <= d <= base.horizon_days:
            problems.append(InputProblem(file, f"the date {t.date} is day {d} of the scenario (day 0 = "
                                         f"{base.start_date}), outside the horizon 0–{base.horizon_days:g}.",
                                         "date", t.line))
        days.append(d)
    if problems:
        raise InputError(problems)
    if series.startswith("resumed_share_") and series != "resumed_share":
        size = series.removeprefix("resumed_share_")
        if base.population.csv is None and not any(s.size_class == size for s in base.population.strata) \
                and not any(c.name == size for c in base.counties):
            raise InputError.single(file, f"the targets are compared with '{series}', but the scenario has no "
                                    f"'{size}' enterprises.", key="series")
    return np.asarray(days, dtype=np.int64)


def fit(base: Scenario, slots: list[Binding], targets: list[Target], target_file: str, replications: int,
        executor: Executor | None = None, maxiter: int = 4, popsize: int = 5, optimizer_seed: int = 1,
        series: str = DEFAULT_SERIES, on_evaluation: Callable[[Evaluation], None] | None = None) -> FitResult:
    """Fit ``slots`` by differential evolution; then run the fit over the full horizon."""
    from scipy.optimize import differential_evolution

    days = check_targets(base, targets, target_file, series)
    observed = np.asarray([t.share for t in targets], dtype=float)
    bounds = [(float(s.parameter.low or 0), float(s.parameter.high or 0)) for s in slots]
    integrality = [s.whole for s in slots]
    objective = Objective(base, slots, days, observed, replications, series, executor, on_evaluation)
    settings = {"method": "differential_evolution", "seed": optimizer_seed, "maxiter": maxiter,
                "popsize": popsize, "init": "latinhypercube", "polish": False, "tol": 0.0,
                "updating": "immediate", "workers": 1}
    res = differential_evolution(objective, bounds, seed=optimizer_seed, maxiter=maxiter, popsize=popsize,
                                 init="latinhypercube", polish=False, tol=0.0, updating="immediate",
                                 integrality=integrality if any(integrality) else None)
    # the best evaluation seen (the optimizer's answer is one of them)
    best = min(objective.cache.values(), key=lambda e: (e.loss, e.x))
    runs = objective.runs(list(best.x), None)
    settings["nfev"] = int(res.nfev)
    return FitResult(slots, best.x, best.loss, len(objective.history), len(objective.cache), days, observed, runs,
                     settings)


def fit_table(result: FitResult, targets: list[Target]) -> Any:
    """date, day, observed, simulated mean and 95 % CI (t over replications) at each target."""
    import pandas as pd

    at = result.runs[:, result.days]
    mean = at.mean(axis=0)
    half = np.array([t_halfwidth(at[:, j]) for j in range(at.shape[1])])
    return pd.DataFrame({
        "region": [t.region for t in targets],
        "date": [t.date.isoformat() for t in targets],
        "day": result.days,
        "observed": result.observed,
        "simulated_mean": mean,
        "ci95_low": mean - half,
        "ci95_high": mean + half,
        "difference": mean - result.observed,
    })


def fit_plot(result: FitResult, targets: list[Target], path: Any, series: str, title: str) -> None:
    """Simulated mean curve with its 95 % band, and the observed points."""
    from sim.plotting.style import pyplot, tight_layout

    plt = pyplot()
    runs = result.runs
    day = np.arange(runs.shape[1])
    mean = runs.mean(axis=0)
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    line, = ax.plot(day, mean, label=f"simulated {series} (mean of {len(runs)})")
    if len(runs) > 1:
        half = np.array([t_halfwidth(runs[:, d]) for d in range(runs.shape[1])])
        ax.fill_between(day, mean - half, mean + half, color=line.get_color(), alpha=0.25, linewidth=0,
                        label="95% band")
    ax.scatter(result.days, result.observed, color="black", zorder=3,
               label="observed (" + ", ".join(sorted({t.region for t in targets})) + ")")
    for t, d in zip(targets, result.days, strict=True):
        ax.annotate(f"{t.date:%d %b}: {t.share:.3f}", (d, t.share), textcoords="offset points", xytext=(6, -12),
                    fontsize=8)
    ax.set_xlabel("day since start")
    ax.set_ylabel("share resumed")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    tight_layout(fig)
    fig.savefig(path, format="png")
    plt.close(fig)
