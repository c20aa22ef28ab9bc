"""Jobs, what they give back, and the interface every executor offers (:mod:`sim.experiment.executors`).

A job is one evaluation (a replication of a variant, a run of a sweep point); a worker runs a batch of
them with :func:`run_batch`, wherever the executor put it, and each gives back a :class:`Completed`: its
value, or the traceback of what it raised. This module is what the executors share, so that each can be
its own module without importing the others.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

Evaluate = Callable[[Any, int], Any]
MAX_LOSSES = 3  # a job whose worker died this many times is reported as failed, not retried


@dataclass(frozen=True)
class Job:
    """One replication: ``evaluate(payload, replication)``.

    ``evaluate`` must be a module-level function so that it can be sent to worker processes.
    """

    key: str
    point: int
    replication: int
    payload: Any
    evaluate: Evaluate


@dataclass(frozen=True)
class Completed:
    """What a job gave: its value, or (``error``) the traceback of what it raised."""

    key: str
    value: Any
    wall_seconds: float
    error: str | None = None


def run_job(job: Job) -> Completed:
    """Run one job in whichever process the executor chose; an exception becomes its traceback."""
    t0 = time.perf_counter()
    try:
        value = job.evaluate(job.payload, job.replication)
    except Exception as exc:
        # format_exception includes a worker's own frames (__cause__), not only the pool's
        return Completed(job.key, None, time.perf_counter() - t0, "".join(traceback.format_exception(exc)))
    return Completed(job.key, value, time.perf_counter() - t0)


def run_batch(jobs: list[Job]) -> list[Completed]:
    """Run jobs one after the other in a worker: one task, one result per job.

    Jobs of one sweep point share their payload object, which is then pickled once per batch; as in
    the main process (one worker), ``evaluate`` reads its payload and must not change it.
    """
    return [run_job(job) for job in jobs]


class Executor:
    """Runs jobs and yields results as they complete. Use as a context manager.

    A subclass gives :meth:`run` or :meth:`run_grouped` (each is written in terms of the other).
    """

    name = "executor"
    workers = 1

    def run(self, jobs: list[Job]) -> Iterator[Completed]:
        """One result per job, as they finish."""
        for group in self.run_grouped(jobs):
            yield from group

    def run_grouped(self, jobs: list[Job]) -> Iterator[list[Completed]]:
        """The same results, in the groups in which they arrived together (a batch, or several that
        finished at once): a caller can write a group at once, before the executor waits for more."""
        if type(self).run is Executor.run:
            raise NotImplementedError(f"{type(self).__name__} gives neither run nor run_grouped")
        for completed in self.run(jobs):
            yield [completed]

    def close(self) -> None:
        """Release workers (nothing by default)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def worker_died(times: int) -> str:
    return (f"WorkerDied: the worker process running this job died {times} times (killed by the operating system, "
            "most often for lack of memory, or by a signal); it was not run to the end. Lower --workers or the "
            "population so that each worker has enough memory.\n")


def notice(message: str) -> None:
    """Tell the planner about something the run got over (a worker lost): one line on stderr, above the
    progress bar if one is drawn."""
    from tqdm import tqdm

    tqdm.write(f"note: {message}", file=sys.stderr)
