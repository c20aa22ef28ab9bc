"""One experiment: a scenario's variants × replications → an executor → the result store → the tables.

``python -m sim run`` is this module with a command line around it: the CLI
parses arguments, calls :class:`Experiment`, and prints what it returns. Use as
a context manager: it holds the results folder (one writer at a time), keeps
finished replications in the store (``--resume``) and releases the workers on
the way out, however the run ends::

    with Experiment(request) as exp:
        outcome = exp.run()        # Interrupted on Ctrl-C / SIGTERM
        ...                        # print, write the report
        exp.finish()               # drop the per-replication files
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.analysis.comparison import compare, run_to_precision
from sim.analysis.stats import TestName
from sim.analysis.survival import km_frame, restart_curves, survival_frame
from sim.errors import COMMAND_LINE, ClusterError, OptionNames, OutputError
from sim.experiment.executors import Executor, make_executor
from sim.experiment.fingerprint import experiment_fingerprint
from sim.experiment.folder import ClaimedFolder, check_options
from sim.experiment.memory import workers_that_fit
from sim.experiment.run_state import KEPT, RunState, sigterm_as_interrupt
from sim.experiment.runner import tasks_for
from sim.plotting import resumption_plot
from sim.results.output import (
    default_folder,
    run_manifest,
    summary_frame,
    write_file,
    write_frame,
    write_manifest_json,
    write_results,
)
from sim.results.run_result import RunResult
from sim.scenario.loader import LoadedScenario


@dataclass
class RunRequest:
    """What to run and how (the options of ``python -m sim run``)."""

    loaded: LoadedScenario
    command: list[str]
    out: Path | None = None
    force: bool = False
    resume: bool = False
    executor: str | None = None  # local (default) or dask
    workers: int | None = None
    scheduler: str | None = None
    progress: bool | None = None  # None: a progress bar when stderr is a terminal
    all_pairs: bool = False
    test: TestName = "t"
    precision: dict[str, float] = field(default_factory=dict)
    max_replications: int = 200
    options: OptionNames = COMMAND_LINE  # how messages name --force, --resume, --out (the API: force=True…)
    on_result: Callable[[RunResult], None] | None = None  # each replication run now, as it arrives (live views)

    def __post_init__(self) -> None:
        check_options(self.out, self.force, self.resume, self.options)


@dataclass
class RunOutcome:
    """What a finished run produced and wrote."""

    out: Path
    loaded: LoadedScenario
    results: list[RunResult]
    comparison: Any  # DataFrame
    curves: Any  # Kaplan–Meier curves per variant
    precision: Any  # PrecisionReport | None
    wall_seconds: float
    workers: int
    failures: int
    notes: list[str]


class Interrupted(Exception):
    """Ctrl-C or SIGTERM stopped the run; the finished replications are kept for --resume."""

    def __init__(self, state: RunState) -> None:
        super().__init__("interrupted")
        self.state = state


class NothingFinished(Exception):
    """Every replication failed: no table can be written."""


class Experiment:
    """A run of every variant × replication of a scenario into one results folder."""

    def __init__(self, request: RunRequest, say: Callable[[str], None] | None = None) -> None:
        self.request = request
        self.say = say or (lambda text: None)
        self.claim: ClaimedFolder | None = None
        self.state: RunState | None = None
        self.executor: Executor | None = None

    def __enter__(self) -> Experiment:
        req = self.request
        workers = workers_that_fit(req.loaded, req.workers, req.scheduler, self.say)  # before touching the folder
        made = req.out is None
        base = req.loaded.base
        self.claim = ClaimedFolder(req.out or default_folder(req.loaded), "run",
                                   {"scenario": experiment_fingerprint(req.loaded)},
                                   f"scenario '{base.name}', seed {base.seed}", req.command, differs="scenario or seed",
                                   kept=KEPT, force=req.force, resume=req.resume, made=made, options=req.options)
        self.claim.__enter__()
        try:
            self.state = RunState.open(self.out, req.loaded, resume=req.resume, options=req.options)
            self.executor = make_executor(req.executor, workers, req.scheduler)
        except BaseException:
            self.claim.abandon()  # nothing ran: the same command can simply be run again
            self.__exit__()
            raise
        return self

    @property
    def out(self) -> Path:
        """The results folder (a new default one unless the request names one)."""
        assert self.claim is not None, "use Experiment as a context manager"
        return self.claim.folder

    def __exit__(self, *exc: object) -> None:
        if self.executor is not None:
            self.executor.close()
        if self.state is not None:
            self.state.close()
        if self.claim is not None:
            self.claim.__exit__()

    def run(self) -> RunOutcome:
        """Run (or reuse) every replication, then write the tables; Interrupted on Ctrl-C or SIGTERM."""
        assert self.state is not None and self.executor is not None, "use Experiment as a context manager"
        req, state, executor = self.request, self.state, self.executor
        loaded = req.loaded
        tasks = tasks_for(loaded, loaded.base.replications)
        self.say(f"Running '{loaded.base.name}': {len(loaded.all_variants())} variant(s) × "
                 f"{loaded.base.replications} replication(s)"
                 + (f" (more, up to {req.max_replications}, until the precision targets are met)"
                    if req.precision else "")
                 + f" on {min(executor.workers, len(tasks))} {executor.name} worker(s) → {self.out}")
        try:
            with sigterm_as_interrupt():  # also while the tables are written: the store still has every replication
                return self._run(loaded)
        except KeyboardInterrupt:
            raise Interrupted(state) from None
        except (ClusterError, OutputError) as lost:  # e.g. the workers are gone, or the disk is full
            lost.out = self.out  # where the finished replications are kept, for the resume command
            raise

    def _run(self, loaded: LoadedScenario) -> RunOutcome:
        assert self.state is not None and self.executor is not None
        req, state, executor = self.request, self.state, self.executor
        t0 = time.perf_counter()
        precision = None
        if req.precision:
            results, precision = run_to_precision(
                loaded, lambda first, stop: state.run(tasks_for(loaded, stop, first), executor, req.progress, req.on_result),
                req.precision, req.max_replications, all_pairs=req.all_pairs, log=self.say)
            loaded = loaded.with_settings(replications=precision.replications)
        else:
            results = state.run(tasks_for(loaded, loaded.base.replications), executor, req.progress, req.on_result)
        for note in state.rerun_notes:
            self.say(f"note: {note}")
        if req.resume:
            self.say(state.resumed_message(loaded.base.replications))
        if not results:
            raise NothingFinished(state.failure_message(state.planned()))
        wall = time.perf_counter() - t0
        write_results(self.out, loaded, results)
        write_file(self.out / "resumption.png", lambda p: resumption_plot(results, p))
        comparison = compare(summary_frame(results), all_pairs=req.all_pairs, test=req.test)
        write_frame(self.out / "comparison.csv", comparison)
        horizons = {name: float(sc.horizon_days) for name, sc in loaded.all_variants()}
        curves = restart_curves(results, horizons)
        write_frame(self.out / "restart_km.csv", km_frame(curves))
        write_frame(self.out / "restart_survival.csv", survival_frame(curves, horizons))
        manifest: dict[str, Any] = {**run_manifest(loaded, results, wall, req.command, executor.workers),
                                    "executor": executor.name}
        if precision is not None:
            manifest["precision"] = precision.as_manifest()
        write_manifest_json(self.out, manifest)  # last: a folder with a manifest has every table
        assert self.claim is not None
        self.claim.finished()
        return RunOutcome(self.out, loaded, results, comparison, curves, precision, wall, executor.workers,
                          len(state.failures), list(state.rerun_notes))

    def finish(self) -> str | None:
        """After the tables (and report) are written: drop the per-replication files unless some failed.

        Returns the failure message when some replications failed.
        """
        assert self.state is not None
        self.state.clean_up()
        if self.state.failures:
            return self.state.failure_message(self.state.planned())
        return None
