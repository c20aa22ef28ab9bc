"""The Python API: ``sim.run(FILE)`` is ``python -m sim run FILE`` returning its tables as DataFrames.

::

    import sim
    res = sim.run("scenarios/fast-track.yaml", replications=8)
    res.summary          # one row per variant × replication (summary.csv)
    res.comparison       # paired differences of every variant from the base (comparison.csv)
    res.series           # daily series (timeseries.csv)
    res.enterprises      # one row per firm × variant × replication (enterprises.csv)

The command line's ``run`` calls :func:`run` too (there is one orchestration,
:class:`sim.experiment.experiment.Experiment`); the DataFrames are read back
from the CSV files the run wrote, so they are exactly what a colleague opening
the results folder sees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

from sim.analysis.comparison import DEFAULT_MAX_REPLICATIONS, parse_target
from sim.analysis.stats import TESTS, TestName
from sim.errors import PYTHON_API
from sim.experiment.executors import EXECUTORS
from sim.experiment.experiment import Experiment, RunOutcome, RunRequest
from sim.scenario.loader import LoadedScenario, load_scenario

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Results:
    """A finished run: its results folder and its tables."""

    out: Path
    outcome: RunOutcome
    failed: str | None  # why some replications failed (their rows are missing), else None

    def _csv(self, name: str) -> pd.DataFrame:
        import pandas as pd

        return pd.read_csv(self.out / name)

    @property
    def summary(self) -> pd.DataFrame:
        """summary.csv: one row per variant × replication, every summary metric."""
        return self._csv("summary.csv")

    @property
    def series(self) -> pd.DataFrame:
        """timeseries.csv: one row per variant × replication × day."""
        return self._csv("timeseries.csv")

    @property
    def comparison(self) -> pd.DataFrame:
        """comparison.csv: paired differences (variant − base, or every pair) with CIs and Holm p-values."""
        return self._csv("comparison.csv")

    @property
    def enterprises(self) -> pd.DataFrame:
        """enterprises.csv: one row per firm × variant × replication."""
        return self._csv("enterprises.csv")


def run(scenario: str | PathLike[str] | LoadedScenario, replications: int | None = None, *, seed: int | None = None,
        out: str | PathLike[str] | None = None, workers: int | None = None, executor: str | None = None,
        scheduler: str | None = None, force: bool = False, resume: bool = False, all_pairs: bool = False,
        test: TestName = "t", precision: dict[str, float] | None = None,
        max_replications: int = DEFAULT_MAX_REPLICATIONS, progress: bool | None = False,
        say: Callable[[str], None] | None = None, command: Sequence[str] | None = None,
        after: Callable[[RunOutcome], None] | None = None) -> Results:
    """Run the base and every variant of a scenario file; return the results folder's tables.

    ``out``: the results folder (default, as on the command line, a new results/<name>/<timestamp>);
    ``replications``/``seed`` override the file's; ``workers``/``executor``/``scheduler`` choose
    where the replications run (the results do not depend on it); ``precision`` adds replications
    until each {metric: half-width} target is met. ``after`` is called with the run's outcome
    while its results folder is still locked (the command line prints and writes the report
    there). Every argument is checked before anything runs: a bad one is a ValueError, and so is
    a results folder that cannot take this run (:class:`sim.errors.FolderRefused`, e.g. a
    finished run there: pass ``resume=True`` or ``force=True``). Raises
    :class:`sim.experiment.experiment.Interrupted` on Ctrl-C (the finished replications are kept
    for ``resume=True``) and :class:`sim.errors.InputError` on a bad scenario file.
    """
    _check_arguments(replications=replications, seed=seed, workers=workers, executor=executor, test=test,
                     max_replications=max_replications, out=out)
    loaded = scenario if isinstance(scenario, LoadedScenario) else load_scenario(Path(scenario))
    loaded = loaded.with_settings(seed=seed, replications=replications)
    targets = _check_precision(precision, max_replications, loaded.base.replications)
    words = list(command) if command is not None else ["sim.run", str(loaded.path)]
    request = RunRequest(loaded, words, out=Path(out) if out is not None else None, force=force, resume=resume,
                         executor=executor, workers=workers, scheduler=scheduler, progress=progress,
                         all_pairs=all_pairs, test=test, precision=targets, max_replications=max_replications,
                         options=PYTHON_API)
    return run_request(request, say, after)


def run_request(request: RunRequest, say: Callable[[str], None] | None = None,
                after: Callable[[RunOutcome], None] | None = None) -> Results:
    """Run a checked request (the command line builds its own, worded for the command line)."""
    with Experiment(request, say=say) as experiment:
        outcome = experiment.run()
        if after is not None:
            after(outcome)
        failed = experiment.finish()
    return Results(outcome.out, outcome, failed)


def _whole(name: str, value: object, low: int, high: int | None = None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        limit = f"at least {low}" if high is None else f"from {low} to {high}"
        raise ValueError(f"{name}={value!r}: must be a whole number, {limit}.")


def _check_arguments(*, replications: object, seed: object, workers: object, executor: object, test: object,
                     max_replications: object, out: object) -> None:
    """ValueError, in the API's own terms, for an argument that cannot be right (before anything runs)."""
    _whole("replications", replications, 1)
    _whole("seed", seed, 0, 2**63 - 1)
    _whole("workers", workers, 1)
    _whole("max_replications", max_replications, 1)
    if executor is not None and executor not in EXECUTORS:
        raise ValueError(f"executor={executor!r}: allowed: {' or '.join(repr(e) for e in EXECUTORS)}.")
    if test not in TESTS:
        raise ValueError(f"test={test!r}: allowed: {' or '.join(repr(t) for t in TESTS)}.")
    if out is not None and not str(out).strip():
        raise ValueError(f"out={str(out)!r}: an empty path names no folder; give a folder (or '.' for the current "
                         "one), or leave out= out for a new default folder.")


def _check_precision(precision: dict[str, float] | None, cap: int, start: int) -> dict[str, float]:
    """The precision targets, each checked as ``--precision METRIC=HALFWIDTH`` is."""
    if not precision:
        return {}
    if not isinstance(precision, dict):
        raise ValueError(f"precision={precision!r}: give a mapping of metric to half-width, e.g. "
                         "{'mean_restart_day': 0.5}.")
    targets = {}
    for metric, width in precision.items():
        try:
            name, half = parse_target(f"{metric}={width!r}")
        except ValueError as exc:
            raise ValueError(f"precision={precision!r}: {exc}.") from None
        targets[name] = half
    if cap < start:
        raise ValueError(f"max_replications={cap} is below the {start} replications to start with; raise it or "
                         "lower replications=.")
    return targets


__all__ = ["Results", "run", "run_request"]
