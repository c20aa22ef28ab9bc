"""Where replications execute: in this process, a local process pool, or a Dask cluster.

One interface for every command (``run``, ``sweep``, ``calibrate``): an
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

import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError
from dataclasses import dataclass
from typing import Any

from sim.errors import ClusterError, InputError
from sim.experiment.batching import Batches
from sim.experiment.worker_pool import Lost, Unsent, WorkerPool

Evaluate = Callable[[Any, int], Any]
EXECUTORS = ("local", "dask")
WATCHDOG_SECONDS = 1.0  # how often a local worker checks that its parent is alive
DASK_WORKERS_TIMEOUT = 30.0  # seconds to wait for a scheduler to have a worker (at the start, or after losing all)
DASK_CONNECT_TIMEOUT = 10.0  # seconds for a scheduler address to answer at all
DASK_POLL_SECONDS = 0.02  # how often a Dask run checks for results (and hands out the next batches)
DASK_CHECK_SECONDS = 1.0  # how often it asks the scheduler for its workers (batches to keep out; none left: timeout)
MAX_LOSSES = 3  # a job whose worker died this many times is reported as failed, not retried
LOCAL_CLUSTER_CONFIG = {  # Dask settings of a LocalCluster we start (an existing cluster keeps its own)
    "distributed.worker.profile.enabled": False,  # the dashboard's profile: a stack sample every 10 ms
    "distributed.admin.tick.interval": "1s",  # the check that the event loop is not blocked (20 ms)
}


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


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
                failed.append(Completed(job.key, None, 0.0, _worker_died(losses[job.key])))
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


def notice(message: str) -> None:
    """Tell the planner about something the run got over (a worker lost): one line on stderr, above the
    progress bar if one is drawn."""
    from tqdm import tqdm

    tqdm.write(f"note: {message}", file=sys.stderr)


def _exit_reason(exitcode: int | None) -> str:
    """How a worker process ended, in words: 'was killed (SIGKILL)' or 'exited with code 1'."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"was killed ({name}{', e.g. by the out-of-memory killer' if name == 'SIGKILL' else ''})"
    return f"exited with code {exitcode}" if exitcode is not None else "died"


def _worker_died(times: int) -> str:
    return (f"WorkerDied: the worker process running this job died {times} times (killed by the operating system, "
            "most often for lack of memory, or by a signal); it was not run to the end. Lower --workers or the "
            "population so that each worker has enough memory.\n")


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


class DaskExecutor(Executor):
    """dask.distributed: a LocalCluster of worker processes, or an existing cluster's scheduler.

    Workers of an existing cluster must have this package installed (same version).
    """

    name = "dask"

    def __init__(self, workers: int, scheduler: str | None = None) -> None:
        import dask
        from distributed import Client, LocalCluster

        self._cluster: Any = None
        if scheduler:
            _probe(scheduler)
            try:
                self._client = Client(scheduler, timeout="15s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise InputError.single("--scheduler", f"cannot reach the Dask scheduler at {scheduler}: {exc}. "
                                        "Give the address printed by `dask scheduler`, e.g. tcp://10.0.0.5:8786.") from None
            try:  # a scheduler without workers would take the jobs and never run them
                self._client.wait_for_workers(1, timeout=DASK_WORKERS_TIMEOUT)
            except (TimeoutError, OSError) as exc:
                self._client.close()
                raise InputError.single("--scheduler", f"the Dask scheduler at {scheduler} has no worker "
                                        f"(waited {DASK_WORKERS_TIMEOUT:g} s: {type(exc).__name__}). Start workers "
                                        f"with `dask worker {scheduler}` on machines with this package "
                                        "installed.") from None
            self.workers = max(1, len(self._client.scheduler_info().get("workers", {})))
        else:
            self.workers = max(1, workers)
            # Ctrl-C in a terminal reaches every process of the group: worker processes started while
            # SIGINT is ignored keep ignoring it (it survives exec), so only this process stops, closes
            # the cluster and prints one message, not a traceback per worker. Their logs of the
            # connection closing under them are silenced for the same reason; failures come back as jobs'.
            # The workers' own sampling profiler and 20 ms event-loop tick take the GIL from a running
            # replication dozens of times a second: 6–19 % of a default-size run. Nobody reads them here.
            with _sigint_ignored(), dask.config.set(LOCAL_CLUSTER_CONFIG):
                self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                             dashboard_address=":0", silence_logs=logging.CRITICAL)
            self._client = Client(self._cluster)

    def run_grouped(self, jobs: list[Job]) -> Iterator[list[Completed]]:
        """Results as they finish. A batch on a worker that dies is rerun by the scheduler on another one;
        a batch that killed more workers than Dask allows (``distributed.scheduler.allowed-failures``, 3)
        has its jobs rerun one per task, and a single job that does so is reported as failed; a cluster
        left without any worker (or scheduler) for DASK_WORKERS_TIMEOUT seconds is a ClusterError, never
        a wait for ever."""
        from distributed import as_completed

        if not jobs:
            return
        batches = Batches(jobs, self.workers)
        deaths: dict[str, int] = {}  # job key -> workers that died running a batch that held it
        pending: dict[Any, list[Job]] = {}
        ready = as_completed(loop=self._client.loop)
        in_flight = batches.in_flight()
        try:
            without_workers_since: float | None = None
            checked = time.monotonic()  # when the scheduler was last asked for its workers
            while batches or pending:
                while batches and len(pending) < in_flight:
                    batch = batches.take()
                    fut = self._client.submit(run_batch, batch, pure=False, retries=0)
                    pending[fut] = batch
                    ready.add(fut)
                progressed = False
                arrived: list[Completed] = []
                for fut in ready.next_batch(block=False):
                    results = self._results(fut, pending[fut], batches, deaths)
                    if results is None:  # its result was lost with a worker: wait for it again
                        ready.add(fut)
                        continue
                    del pending[fut]
                    progressed = True
                    arrived.extend(results)
                if arrived:
                    yield arrived
                now = time.monotonic()
                if now - checked >= DASK_CHECK_SECONDS:
                    checked = now
                    count = self._worker_count()
                    if count:  # workers of an existing cluster may come and go
                        in_flight = batches.in_flight(count)
                        without_workers_since = None
                    elif not progressed:
                        without_workers_since = without_workers_since or now
                if progressed:
                    without_workers_since = None
                    continue
                if without_workers_since is not None and now - without_workers_since > DASK_WORKERS_TIMEOUT:
                    left = len(batches) + sum(len(b) for b in pending.values())
                    raise ClusterError(
                        f"the Dask cluster has had no worker (or no scheduler) for {DASK_WORKERS_TIMEOUT:g} s with "
                        f"{left} job(s) still to run; every run that finished is kept. Start workers (`dask "
                        "worker ADDRESS`) and run the same command again (`run` with --resume) to finish.")
                time.sleep(DASK_POLL_SECONDS)
        finally:
            with contextlib.suppress(Exception):  # the scheduler may be gone
                self._client.cancel([f for f in pending if not f.done()])

    def _results(self, fut: Any, batch: list[Job], batches: Batches[Job],
                 deaths: dict[str, int]) -> list[Completed] | None:
        """A finished batch's results; a batch that killed its workers is split, a single job failed.

        None when the result does not arrive within DASK_WORKERS_TIMEOUT: the worker holding it died after
        the batch finished, and the scheduler computes it again (or, without workers, never: the caller's
        no-worker timeout then ends the run).
        """
        from distributed import KilledWorker

        try:
            results: list[Completed] = fut.result(timeout=DASK_WORKERS_TIMEOUT)
        except TimeoutError:
            return None
        except KilledWorker as exc:
            # the scheduler gives up once a task was on more than allowed_failures workers that died
            allowed = int(exc.args[2]) if len(exc.args) > 2 else MAX_LOSSES - 1
            for job in batch:
                deaths[job.key] = deaths.get(job.key, 0) + allowed + 1
            if len(batch) > 1:  # which job killed them is not known: each goes again alone
                for job in batch:
                    batches.retry(job)
                return []
            return [Completed(batch[0].key, None, 0.0, _worker_died(deaths[batch[0].key]))]
        except CancelledError:  # the scheduler forgot it: it restarted or the connection was lost
            raise ClusterError("the Dask scheduler dropped the jobs (it restarted, or the connection to it was "
                               "lost); every run that finished is kept. Run the same command again (`run` with "
                               "--resume) once the cluster is up.") from None
        for result in results:
            batches.observe(result.wall_seconds)
        return results

    def _worker_count(self) -> int:
        try:
            return len(self._client.scheduler_info().get("workers", {}))
        except Exception:  # the scheduler does not answer: as good as no worker
            return 0

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._client.close(timeout=10)
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close(timeout=10)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored while the block starts child processes (only the main thread may set handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _probe(address: str) -> None:
    """Refuse, within DASK_CONNECT_TIMEOUT, an address where nothing (or not a Dask scheduler) answers.

    A Dask scheduler writes its handshake as soon as a connection opens; a listener that accepts and then
    says nothing would otherwise keep the client waiting for ever.
    """
    if not address.startswith("tcp://"):
        return  # tls:// and others: the client's own timeout
    host, _, port = address.removeprefix("tcp://").rstrip("/").rpartition(":")
    if not host or not port.isdigit():
        return  # no explicit port: the client's default and its own timeout
    fix = "Give the address printed by `dask scheduler`, e.g. tcp://10.0.0.5:8786."
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=DASK_CONNECT_TIMEOUT) as sock:
            sock.settimeout(DASK_CONNECT_TIMEOUT)
            if not sock.recv(1):
                raise OSError("the connection was closed at once")
    except TimeoutError:
        raise InputError.single("--scheduler", f"{address} accepts connections but does not answer as a Dask "
                                f"scheduler (nothing within {DASK_CONNECT_TIMEOUT:g} s). {fix}") from None
    except (OSError, ValueError) as exc:
        raise InputError.single("--scheduler", f"cannot reach the Dask scheduler at {address}: {exc}. {fix}") from None


def make_executor(kind: str | None, workers: int | None, scheduler: str | None = None) -> Executor:
    """``local`` (default) or ``dask`` (a scheduler address implies dask); workers default to one per core."""
    kind = kind or ("dask" if scheduler else "local")
    if scheduler and kind != "dask":
        raise InputError.single("--scheduler", "a scheduler address needs --executor dask.")
    n = workers or default_workers()
    if kind == "dask":
        return DaskExecutor(n, scheduler)
    if kind == "local":
        return LocalExecutor(n)
    raise InputError.single("--executor", f"unknown executor '{kind}'; choose local or dask.")
