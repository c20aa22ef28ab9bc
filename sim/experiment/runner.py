"""Running an experiment: every variant × every replication, on one or more workers.

Replication r of every variant uses the same seed and streams (common random
numbers). Tasks are independent, so results are identical whatever the number
of workers; they are put back in (variant, replication) order before writing.

A replication that raises does not stop the others when the caller passes
``on_error``: the failure is handed over with its traceback, and the results
of the replications that finished are returned. Worker processes ignore
Ctrl-C; the main process stops them, so an interrupt gives one clean
``KeyboardInterrupt`` instead of a traceback per worker.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from functools import partial

from sim.model.world import run_replication
from sim.results.run_result import RunResult
from sim.scenario.loader import LoadedScenario
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Task:
    variant: str
    replication: int
    scenario: Scenario


@dataclass(frozen=True)
class Failure:
    """A replication that raised: which one, with what seed, and the traceback."""

    task: Task
    error: str
    traceback: str

    @property
    def seed(self) -> int:
        return self.task.scenario.seed


def tasks_for(loaded: LoadedScenario, replications: int) -> list[Task]:
    return [Task(name, r, sc) for name, sc in loaded.all_variants() for r in range(replications)]


def run_task(task: Task) -> RunResult:
    return run_replication(task.scenario, task.variant, task.replication)


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def execute(tasks: list[Task], workers: int, on_result: Callable[[RunResult], None] | None = None,
            progress: bool | None = None, on_error: Callable[[Failure], None] | None = None) -> list[RunResult]:
    """Run tasks (in parallel when workers > 1) and return results in task order.

    Without ``on_error`` the first failing replication raises; with it, each
    failure is reported to ``on_error`` and left out of the returned list.
    """
    results: dict[tuple[str, int], RunResult] = {}
    bar = _progress_bar(len(tasks), progress)
    try:
        for outcome in _iterate(tasks, workers, catch=on_error is not None):
            if isinstance(outcome, Failure):
                assert on_error is not None
                on_error(outcome)
            else:
                results[(outcome.variant, outcome.replication)] = outcome
                if on_result is not None:
                    on_result(outcome)
            bar.update(1)
    finally:
        bar.close()
    return [results[key] for key in ((t.variant, t.replication) for t in tasks) if key in results]


def _failure(task: Task, exc: BaseException) -> Failure:
    text = "".join(traceback.format_exception(exc))  # includes the worker's traceback (__cause__)
    return Failure(task, f"{type(exc).__name__}: {exc}", text)


def _settle(task: Task, get: Callable[[], RunResult], catch: bool) -> RunResult | Failure:
    """The task's result, or (when catching) a Failure recording what it raised."""
    try:
        return get()
    except Exception as exc:
        if not catch:
            raise
        return _failure(task, exc)


def _iterate(tasks: list[Task], workers: int, catch: bool) -> Iterator[RunResult | Failure]:
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield _settle(task, partial(run_task, task), catch)
        return
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), initializer=_ignore_sigint)
    try:
        pending: dict[Future[RunResult], Task] = {pool.submit(run_task, t): t for t in tasks}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield _settle(pending.pop(fut), fut.result, catch)
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown(wait=True)


def _ignore_sigint() -> None:
    """Worker initializer: Ctrl-C is for the main process, which stops the workers itself.

    SIGTERM gets its default action back (a forked worker inherits the main
    process's handler), so that stopping a worker ends it without a traceback.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel queued tasks and end the workers now, without waiting for running replications."""
    processes = list(getattr(pool, "_processes", {}).values())  # no public API to end running work
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for proc in processes:
        proc.join(timeout=5)


def _progress_bar(total: int, enabled: bool | None):  # type: ignore[no-untyped-def]
    from tqdm import tqdm

    if enabled is None:
        enabled = sys.stderr.isatty()
    return tqdm(total=total, unit="run", desc="replications", disable=not enabled, file=sys.stderr)
