"""Where replications execute: in this process, a local process pool, or a Dask cluster
(:mod:`sim.experiment.dask_executor`); :func:`make_executor` chooses.

One interface for every command (``run``, ``sweep``, ``calibrate``; the
:class:`Executor` of :mod:`sim.experiment.jobs`, taken from here): an
executor takes independent jobs and yields their results as they finish, in
whatever order. Callers put results back in their own order before writing
anything, so no output depends on the executor or the number of workers.

Jobs go to workers in batches (:mod:`sim.experiment.batching`): short jobs
share one task, so that per-task costs do not dominate; runs of a second or
more still go one per task. A batch is only a way of carrying jobs: each job
is evaluated on its own (its seed comes from its replication) and gives its
own result.

A job that raises comes back with its traceback instead of a value, so one
faulty replication does not stop the others, nor the rest of its batch. A job
whose worker dies (killed, out of memory, even half-way through sending its
result back) is run again, and reported as failed only once it has taken
MAX_LOSSES workers down with it; each loss is a note on stderr.
Ctrl-C (KeyboardInterrupt) is for the main process: local workers ignore it,
and the executor ends them at once when the caller stops iterating (one clean
interrupt, no traceback per worker, whatever state the workers are in).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

from sim.errors import InputError
from sim.experiment.batching import Batches
from sim.experiment.jobs import (
    MAX_LOSSES,
    Completed,
    Evaluate,
    Executor,
    Job,
    notice,
    run_batch,
    run_job,
    worker_died,
)
from sim.experiment.worker_pool import Lost, Unsent, WorkerPool

# the job types and the interface live in sim.experiment.jobs, so that the Dask executor needs them and
# not this module (which imports it); callers take them from here, with the executors
__all__ = ["EXECUTORS", "MAX_LOSSES", "Completed", "Evaluate", "Executor", "Job", "LocalExecutor", "default_workers",
           "make_executor", "run_batch", "run_job"]
EXECUTORS = ("local", "dask")
WATCHDOG_SECONDS = 1.0  # how often a local worker checks that its parent is alive


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class LocalExecutor(Executor):
    """A pool of local worker processes (:mod:`sim.experiment.worker_pool`); with one worker (or one job),
    runs in this process.

    The pool starts with the first parallel call of :meth:`run` and is kept for the next ones (a
    calibration runs a few jobs per candidate) until :meth:`close`.
    """

    name = "local"

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._pool: WorkerPool[list[Job], list[Completed]] | None = None

    def run_grouped(self, jobs: list[Job]) -> Iterator[list[Completed]]:
        if self.workers <= 1 or len(jobs) <= 1:
            for job in jobs:
                yield [run_job(job)]
            return
        losses: dict[str, int] = {}  # job key -> workers that died running it
        batches = Batches(jobs, self.workers)
        if self._pool is None:
            self._pool = WorkerPool(self.workers, run_batch, initializer=_worker_signals)
        pool = self._pool
        try:
            while batches or pool.outstanding():
                while batches and pool.room() > 0:
                    pool.submit(batches.take())
                done, lost = pool.wait()
                arrived: list[Completed] = []
                for batch, results in done:
                    if isinstance(results, Unsent):
                        arrived.extend(Completed(job.key, None, 0.0, results.traceback) for job in batch)
                        continue
                    for result in results:
                        batches.observe(result.wall_seconds)
                    arrived.extend(results)
                for gone in lost:
                    arrived.extend(self._rerun(gone, batches, losses))
                if arrived:
                    yield arrived
        except BaseException:  # Ctrl-C, or the caller stopped early (GeneratorExit): end the workers now
            self._pool = None
            pool.kill()
            raise

    def _rerun(self, gone: Lost[list[Job]], batches: Batches[Job], losses: dict[str, int]) -> list[Completed]:
        """Hand out again the jobs of a worker that died; those it died running MAX_LOSSES times fail.

        The batches waiting behind the one it ran never started: they go back as they were. The jobs of
        the one it ran go again one per batch, so that a job that kills its worker takes no other down.
        """
        for batch in reversed(gone.waiting):
            batches.give_back(batch)
        failed: list[Completed] = []
        for job in gone.running:
            losses[job.key] = losses.get(job.key, 0) + 1
            if losses[job.key] >= MAX_LOSSES:
                failed.append(Completed(job.key, None, 0.0, worker_died(losses[job.key])))
            else:
                batches.retry(job)
        again = len(gone.running) - len(failed)
        said = [f"its {again} job(s) are run again"] if again else []
        if failed:
            said.append(f"{len(failed)} job(s) running each time {MAX_LOSSES} workers died are reported as failed")
        notice(f"a worker process {_exit_reason(gone.exitcode)} before its result was back; {'; '.join(said)}.")
        return failed

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None


def _exit_reason(exitcode: int | None) -> str:
    """How a worker process ended, in words: 'was killed (SIGKILL)' or 'exited with code 1'."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"was killed ({name}{', e.g. by the out-of-memory killer' if name == 'SIGKILL' else ''})"
    return f"exited with code {exitcode}" if exitcode is not None else "died"


def _worker_signals() -> None:
    """Worker initializer: Ctrl-C is for the main process, which stops the workers itself.

    SIGTERM gets its default action back (a forked worker inherits the main
    process's handler), so that stopping a worker ends it without a traceback.
    A watchdog ends the worker when its parent is gone (killed with SIGKILL,
    it could not stop its workers), so that no worker outlives the run.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCHDOG_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def make_executor(kind: str | None, workers: int | None, scheduler: str | None = None) -> Executor:
    """``local`` (default) or ``dask`` (a scheduler address implies dask); workers default to one per core."""
    kind = kind or ("dask" if scheduler else "local")
    if scheduler and kind != "dask":
        raise InputError.single("--scheduler", "a scheduler address needs --executor dask.")
    n = workers or default_workers()
    if kind == "dask":
        from sim.experiment.dask_executor import DaskExecutor  # imports dask only when asked for

        return DaskExecutor(n, scheduler)
    if kind == "local":
        return LocalExecutor(n)
    raise InputError.single("--executor", f"unknown executor '{kind}'; choose local or dask.")
