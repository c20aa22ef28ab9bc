"""Tasks of an experiment and the one loop that runs jobs on an executor.

Replication r of every variant uses the same seed and streams (common random
numbers). Jobs are independent, so results are identical whatever the
executor or the number of workers; callers put them back in their own order.

:func:`run_jobs` is the only place where jobs are handed to an executor: it
shows the progress bar (tqdm, on a terminal), hands each result or failure to
the caller as it arrives, and lets Ctrl-C through as one KeyboardInterrupt
(the executor ends its workers).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from sim.experiment.executors import Completed, Executor, Job, LocalExecutor
from sim.experiment.failures import Failure
from sim.model.world import run_replication
from sim.population import Population
from sim.results.run_result import RunResult
from sim.scenario.loader import LoadedScenario
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Task:
    """One replication of one variant; ``population``: firms read from a CSV once per run (else None)."""

    variant: str
    replication: int
    scenario: Scenario
    population: Population | None = None


def tasks_for(loaded: LoadedScenario, replications: int, first: int = 0) -> list[Task]:
    """Replications first..replications-1 of every variant (without CSV populations attached)."""
    return [Task(name, r, sc) for name, sc in loaded.all_variants() for r in range(first, replications)]


def run_task(task: Task) -> RunResult:
    return run_replication(task.scenario, task.variant, task.replication, task.population)


def evaluate_task(task: Task, replication: int) -> RunResult:
    """An executor's evaluate function: the task's replication (``replication`` is the task's own)."""
    return run_task(task)


def evaluate_summary(task: Task, replication: int) -> dict[str, float]:
    """Only the summary metrics of a replication (what a sweep keeps)."""
    return dict(run_task(Task(task.variant, replication, task.scenario, task.population)).summary)


def run_jobs(executor: Executor, jobs: list[Job], on_done: Callable[[Completed], None],
             progress: bool | None = None, desc: str = "replications",
             group: Callable[[], AbstractContextManager[None]] | None = None) -> None:
    """Run ``jobs`` and hand each result (or failure) to ``on_done`` as it arrives, with a progress bar.

    ``group`` (e.g. :meth:`ResultStore.group`): a context around the results that arrived together,
    so that they are written at once, before the executor waits for more.
    """
    bar = progress_bar(len(jobs), progress, desc)
    running = iter(executor.run_grouped(jobs))
    try:
        for arrived in running:
            with group() if group is not None else nullcontext():
                for completed in arrived:
                    on_done(completed)
            bar.update(len(arrived))
    finally:
        getattr(running, "close", lambda: None)()  # on Ctrl-C or an error: the executor cancels what is queued and ends its workers
        bar.close()


def progress_bar(total: int, enabled: bool | None, desc: str):  # type: ignore[no-untyped-def]
    """A tqdm bar on stderr; by default only when stderr is a terminal."""
    from tqdm import tqdm

    if enabled is None:
        enabled = sys.stderr.isatty()
    return tqdm(total=total, unit="run", desc=desc, disable=not enabled, file=sys.stderr, smoothing=0.1)


def execute(tasks: list[Task], workers: int | Executor = 1, on_result: Callable[[RunResult], None] | None = None,
            progress: bool | None = None, on_error: Callable[[Failure], None] | None = None) -> list[RunResult]:
    """Run tasks without a store and return their results in task order.

    Without ``on_error`` the first failing replication raises; with it, each
    failure is reported to ``on_error`` and left out of the returned list.
    """
    if not isinstance(workers, Executor):
        with LocalExecutor(workers) as local:
            return execute(tasks, local, on_result, progress, on_error)
    executor = workers
    by_key = {str(i): t for i, t in enumerate(tasks)}
    jobs = [Job(k, 0, t.replication, t, evaluate_task) for k, t in by_key.items()]
    results: dict[str, RunResult] = {}

    def done(c: Completed) -> None:
        if c.error is not None:
            failure = Failure.of(by_key[c.key], c.error)
            if on_error is None:
                raise ReplicationFailed(failure)
            on_error(failure)
            return
        results[c.key] = c.value
        if on_result is not None:
            on_result(c.value)

    run_jobs(executor, jobs, done, progress)
    return [results[k] for k in by_key if k in results]


def in_order(tasks: Iterable[Task], results: dict[tuple[str, int], RunResult]) -> list[RunResult]:
    """The results of ``tasks`` found in ``results``, in task order."""
    return [results[k] for k in ((t.variant, t.replication) for t in tasks) if k in results]


class ReplicationFailed(RuntimeError):
    """A replication raised where no failure log takes it (an internal error, with the worker's traceback)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(f"{failure.task.variant} replication {failure.task.replication}: {failure.error}\n"
                         f"{failure.traceback}")
        self.failure = failure
