"""How many jobs an executor hands a worker at once: batches sized from measured job durations.

Each task handed to a worker costs a few milliseconds whatever it does
(scheduling, pickling its arguments, sending its results back, and in the
main process a future to track). For runs of a second this is nothing; for
evaluations of a millisecond (a test function, a tiny scenario) it is most of
the work, and the main process becomes the bottleneck. Batching several jobs
per task pays that cost once per batch.

The batch size follows the jobs' durations: the first batches hold one job
each (nothing is known yet); then a batch holds about BATCH_SECONDS of work by
the median of the latest durations (a worker's first job, slowed by imports,
is an outlier the median ignores), but never more than an even share of what
is left, so that the last batches are short and the workers finish together.
Runs of the default scenario (1–2 s) go one per task, as before.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Iterable
from typing import Generic, TypeVar

BATCH_SECONDS = 0.2  # work per batch once durations are known: per-task costs (~1–5 ms) stay a few per cent
MAX_BATCH = 1000  # jobs per batch at most (bounds the results a worker holds and sends at once)
BATCHES_PER_WORKER = 4  # of the jobs left, each worker gets at least this many batches (an even finish)
IN_FLIGHT_PER_WORKER = 2  # batches handed out per worker: one running, one waiting, so no worker waits for us
RECENT = 32  # job durations the median is taken over

T = TypeVar("T")


class Batches(Generic[T]):
    """The jobs not yet handed out, taken a batch at a time.

    Jobs to retry (their worker died) go first, one per batch: a job that kills its worker then
    takes no other job down with it.
    """

    def __init__(self, jobs: Iterable[T], workers: int) -> None:
        self._todo: deque[T] = deque(jobs)
        self._retry: deque[T] = deque()
        self._workers = max(1, workers)
        self._recent: deque[float] = deque(maxlen=RECENT)

    def __len__(self) -> int:
        return len(self._todo) + len(self._retry)

    def take(self) -> list[T]:
        """The next batch (empty when nothing is left)."""
        if self._retry:
            return [self._retry.popleft()]
        n = min(self.size(), len(self._todo))
        return [self._todo.popleft() for _ in range(n)]

    def size(self) -> int:
        """Jobs in the next batch of new jobs."""
        if not self._recent:
            return 1
        typical = statistics.median(self._recent)
        # compared before dividing: a duration of 0 or too small to count (a subnormal float makes the
        # quotient inf, which int() refuses) fills a batch to MAX_BATCH
        by_time = int(BATCH_SECONDS / typical) if typical * MAX_BATCH > BATCH_SECONDS else MAX_BATCH
        share = len(self._todo) // (self._workers * BATCHES_PER_WORKER)
        return max(1, min(by_time, share, MAX_BATCH))

    def observe(self, seconds: float) -> None:
        """A job finished after ``seconds`` of work in its worker."""
        self._recent.append(seconds)

    def retry(self, job: T) -> None:
        """Hand ``job`` out again, alone, before any new job."""
        self._retry.append(job)

    def give_back(self, batch: list[T]) -> None:
        """A batch that never reached a worker: its jobs are handed out again first, in order."""
        self._todo.extendleft(reversed(batch))

    def in_flight(self, workers: int | None = None) -> int:
        """Batches to keep handed out at once with ``workers`` workers (default: those given at the start)."""
        return IN_FLIGHT_PER_WORKER * max(1, workers or self._workers)
