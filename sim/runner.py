"""Running an experiment: every variant × every replication, on one or more workers.

Replication r of every variant uses the same seed and streams (common random
numbers). Tasks are independent, so results are identical whatever the number
of workers; they are put back in (variant, replication) order before writing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass

from sim.model.world import RunResult, run_replication
from sim.scenario.loader import LoadedScenario
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Task:
    variant: str
    replication: int
    scenario: Scenario


def tasks_for(loaded: LoadedScenario, replications: int) -> list[Task]:
    return [Task(name, r, sc) for name, sc in loaded.all_variants() for r in range(replications)]


def run_task(task: Task) -> RunResult:
    return run_replication(task.scenario, task.variant, task.replication)


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def execute(tasks: list[Task], workers: int, on_result: Callable[[RunResult], None] | None = None,
            progress: bool | None = None) -> list[RunResult]:
    """Run tasks (in parallel when workers > 1) and return results in task order."""
    results: dict[tuple[str, int], RunResult] = {}
    bar = _progress_bar(len(tasks), progress)
    try:
        for result in _iterate(tasks, workers):
            results[(result.variant, result.replication)] = result
            if on_result is not None:
                on_result(result)
            bar.update(1)
    finally:
        bar.close()
    return [results[(t.variant, t.replication)] for t in tasks]


def _iterate(tasks: list[Task], workers: int) -> Iterator[RunResult]:
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield run_task(task)
        return
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        pending: set[Future[RunResult]] = {pool.submit(run_task, t) for t in tasks}
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise


def _progress_bar(total: int, enabled: bool | None):  # type: ignore[no-untyped-def]
    from tqdm import tqdm

    if enabled is None:
        enabled = sys.stderr.isatty()
    return tqdm(total=total, unit="run", desc="replications", disable=not enabled, file=sys.stderr)
