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

from sim.analysis.comparison import DEFAULT_MAX_REPLICATIONS
from sim.analysis.stats import TestName
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

    ``out``: the results folder (default, as on the command line, results/<name>/<timestamp>);
    ``replications``/``seed`` override the file's; ``workers``/``executor``/``scheduler`` choose
    where the replications run (the results do not depend on it); ``precision`` adds replications
    until each {metric: half-width} target is met. ``after`` is called with the run's outcome
    while its results folder is still locked (the command line prints and writes the report
    there). Raises :class:`sim.experiment.experiment.Interrupted` on Ctrl-C (the finished
    replications are kept for ``resume=True``) and :class:`sim.errors.InputError` on a bad file.
    """
    loaded = scenario if isinstance(scenario, LoadedScenario) else load_scenario(Path(scenario))
    loaded = loaded.with_settings(seed=seed, replications=replications)
    words = list(command) if command is not None else ["sim.run", str(loaded.path)]
    request = RunRequest(loaded, words, out=Path(out) if out is not None else None, force=force, resume=resume,
                         executor=executor, workers=workers, scheduler=scheduler, progress=progress,
                         all_pairs=all_pairs, test=test, precision=dict(precision or {}),
                         max_replications=max_replications)
    with Experiment(request, say=say) as experiment:
        outcome = experiment.run()
        if after is not None:
            after(outcome)
        failed = experiment.finish()
    return Results(outcome.out, outcome, failed)


__all__ = ["Results", "run"]
