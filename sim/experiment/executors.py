"""Where the runs of a sweep execute: a local process pool, or a Dask cluster.

An executor takes independent jobs and yields their results as they finish,
in whatever order. The sweep writes each result to the store at once and puts
results back in (point, replication) order before writing tables, so the
output does not depend on the executor or the number of workers.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from sim.errors import InputError

Evaluate = Callable[[Any, int], dict[str, float]]


@dataclass(frozen=True)
class Job:
    """One run: evaluate ``payload`` (e.g. a point's Scenario) for one replication.

    ``evaluate`` must be a module-level function so that it can be sent to worker processes.
    """

    key: str
    point: int
    replication: int
    payload: Any
    evaluate: Evaluate


@dataclass(frozen=True)
class Completed:
    key: str
    summary: dict[str, float]
    wall_seconds: float
    error: str | None = None  # the traceback of a run that raised


def run_job(job: Job) -> Completed:
    """Run one job (in whichever process the executor chose).

    A run that raises comes back with its traceback instead of a summary, so
    that one faulty point does not stop the sweep.
    """
    t0 = time.perf_counter()
    try:
        summary = job.evaluate(job.payload, job.replication)
    except Exception:
        return Completed(job.key, {}, time.perf_counter() - t0, traceback.format_exc())
    return Completed(job.key, {k: float(v) for k, v in summary.items()}, time.perf_counter() - t0)


class Executor:
    """Runs jobs and yields results as they complete. Use as a context manager."""

    name = "executor"
    workers = 1

    def run(self, jobs: list[Job]) -> Iterator[Completed]:
        raise NotImplementedError

    def close(self) -> None:
        """Release workers (nothing by default)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalExecutor(Executor):
    """A pool of local worker processes; with one worker, runs in this process."""

    name = "local"

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)

    def run(self, jobs: list[Job]) -> Iterator[Completed]:
        if self.workers <= 1 or len(jobs) <= 1:
            for job in jobs:
                yield run_job(job)
            return
        with ProcessPoolExecutor(max_workers=min(self.workers, len(jobs))) as pool:
            pending: set[Future[Completed]] = {pool.submit(run_job, job) for job in jobs}
            try:
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        yield fut.result()
            finally:
                for fut in pending:
                    fut.cancel()


class DaskExecutor(Executor):
    """dask.distributed: a LocalCluster of worker processes, or an existing cluster's scheduler.

    Workers of an existing cluster must have this package installed (same version).
    """

    name = "dask"

    def __init__(self, workers: int, scheduler: str | None = None) -> None:
        from distributed import Client, LocalCluster

        self._cluster: Any = None
        if scheduler:
            try:
                self._client = Client(scheduler, timeout="15s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise InputError.single("--scheduler", f"cannot reach the Dask scheduler at {scheduler}: {exc}. "
                                        "Give the address printed by `dask scheduler`, e.g. tcp://10.0.0.5:8786.") from None
            self.workers = max(1, len(self._client.scheduler_info().get("workers", {})))
        else:
            self.workers = max(1, workers)
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                         dashboard_address=None, silence_logs=logging.ERROR)
            self._client = Client(self._cluster)

    def run(self, jobs: list[Job]) -> Iterator[Completed]:
        from distributed import as_completed

        if not jobs:
            return
        futures = self._client.map(run_job, jobs, pure=False)
        try:
            for fut in as_completed(futures):
                yield fut.result()
        finally:
            self._client.cancel([f for f in futures if not f.done()])

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(kind: str, workers: int, scheduler: str | None = None) -> Executor:
    """``local`` or ``dask`` (a scheduler address implies dask)."""
    if scheduler and kind != "dask":
        raise InputError.single("--scheduler", "a scheduler address needs --executor dask.")
    if kind == "dask":
        return DaskExecutor(workers, scheduler)
    if kind == "local":
        return LocalExecutor(workers)
    raise InputError.single("--executor", f"unknown executor '{kind}'; choose local or dask.")
