"""Jobs on a Dask cluster: a LocalCluster this process starts, or an existing cluster's scheduler.

What a cluster can do to a run, and what the executor does about it:

- A worker dies: the scheduler runs its tasks on another worker. A batch that killed more workers than
  Dask allows (``distributed.scheduler.allowed-failures``, 3) has its jobs rerun one per task, and a
  single job that does so is reported as failed.
- A worker freezes (stopped, its machine hung or cut off): it stays registered and keeps its tasks, and
  the scheduler drops it only after its own ``worker-ttl`` (5 minutes by default; an existing cluster's is
  its own). So the executor watches the heartbeats the scheduler receives (one every 0.5–2 s from a live
  worker, busy or not): a worker not heard from for the heartbeat timeout is restarted by its nanny (or
  removed, without one) and its tasks run on the other workers, with a note on stderr.
- No worker at all, or no scheduler, for the worker timeout: a ClusterError, never a wait for ever. The
  nannies of a LocalCluster restarting workers (which a job kills every time) is not "no worker".
- The connection to the scheduler lost: a ClusterError. Distributed's own log records (a lost
  connection logs several tracebacks) are silenced while the executor is open, so that the planner
  reads one paragraph.

The waits follow the machine, not a fixed figure: a loaded machine starts (and restarts) workers slowly,
so the worker timeout is START_UP_FACTOR times the measured start-up of the LocalCluster, and never less
than MIN_WORKER_TIMEOUT. The environment variables SIM_WORKER_START_TIMEOUT and
SIM_WORKER_HEARTBEAT_TIMEOUT (seconds) set the two timeouts outright, e.g. for a CI job on a shared machine.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import CancelledError
from typing import Any

from sim.errors import ClusterError, InputError
from sim.experiment.batching import Batches
from sim.experiment.jobs import (
    MAX_LOSSES,
    Completed,
    Executor,
    Job,
    notice,
    run_batch,
    worker_died,
)

CONNECT_TIMEOUT = 10.0  # seconds for a scheduler address to answer at all
POLL_SECONDS = 0.02  # how often a run checks for results (and hands out the next batches)
CHECK_SECONDS = 1.0  # how often it asks the scheduler for its workers (their number and heartbeats)
MIN_WORKER_TIMEOUT = 30.0  # seconds a run waits for a worker at least (at the start, or after losing all)
START_UP_FACTOR = 5.0  # a LocalCluster's worker timeout: this many times its measured start-up
HEARTBEAT_TIMEOUT = 60.0  # seconds without a heartbeat after which a worker is taken for frozen
RESTART_SECONDS = 10.0  # how long a frozen worker's nanny has to end it (it kills it after 80 % of this)
START_TIMEOUT_ENV = "SIM_WORKER_START_TIMEOUT"
HEARTBEAT_TIMEOUT_ENV = "SIM_WORKER_HEARTBEAT_TIMEOUT"
LOCAL_CLUSTER_CONFIG = {  # Dask settings of a LocalCluster we start (an existing cluster keeps its own)
    "distributed.worker.profile.enabled": False,  # the dashboard's profile: a stack sample every 10 ms
    "distributed.admin.tick.interval": "1s",  # the check that the event loop is not blocked (20 ms)
}
# What the server of a LocalCluster's worker processes imports once (see _start_forkserver): Dask's worker and
# the model a job runs.
FORKSERVER_PRELOAD = ["distributed", "sim.experiment.runner"]
# How long a LocalCluster waits for a lost worker to come back before it closes that worker's nanny for good
# (distributed's default: 15 s). The nannies restart their workers, but on a loaded machine a restart can take
# longer, and a job that kills its worker every time keeps workers away: the cluster closed every nanny and was
# left with none (seen under benchmarks/under_load.py). Whether a cluster without workers is an error is for
# this executor's worker timeout to say. Read by the cluster whenever a worker is lost: set while it is open.
LOST_WORKER_CONFIG = {"distributed.deploy.lost-worker-timeout": "3600s"}
SCHEDULER_EXAMPLE = "Give the address printed by `dask scheduler`, e.g. tcp://10.0.0.5:8786."


class DaskExecutor(Executor):
    """dask.distributed: a LocalCluster of worker processes, or an existing cluster's scheduler.

    Workers of an existing cluster must have this package installed (same version).
    ``worker_timeout`` and ``heartbeat_timeout`` (seconds) are the waits described in the module's text.
    """

    name = "dask"

    def __init__(self, workers: int, scheduler: str | None = None) -> None:
        self._cluster: Any = None
        self._client: Any = None
        self._local_addresses: set[str] = set()  # every address a worker of our LocalCluster has had
        self._quiet = contextlib.ExitStack()
        start_timeout = seconds_from_environment(START_TIMEOUT_ENV)
        self.heartbeat_timeout = seconds_from_environment(HEARTBEAT_TIMEOUT_ENV) or HEARTBEAT_TIMEOUT
        self._quiet.enter_context(_distributed_logs_silenced())
        try:
            if scheduler:
                self.worker_timeout = start_timeout or MIN_WORKER_TIMEOUT
                self._connect(scheduler)
            else:
                self.workers = max(1, workers)
                started = self._start_local_cluster()
                self.worker_timeout = start_timeout or max(MIN_WORKER_TIMEOUT, math.ceil(START_UP_FACTOR * started))
        except BaseException:
            self.close()
            raise

    def _connect(self, scheduler: str) -> None:
        from distributed import Client

        _probe(scheduler)
        try:
            self._client = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError.single("--scheduler", f"cannot reach the Dask scheduler at {scheduler}: {exc}. "
                                    f"{SCHEDULER_EXAMPLE}") from None
        try:  # a scheduler without workers would take the jobs and never run them
            self._client.wait_for_workers(1, timeout=self.worker_timeout)
        except (TimeoutError, OSError) as exc:
            raise InputError.single("--scheduler", f"the Dask scheduler at {scheduler} has no worker "
                                    f"(waited {self.worker_timeout:g} s: {type(exc).__name__}; "
                                    f"{START_TIMEOUT_ENV} sets the wait). Start workers with `dask worker "
                                    f"{scheduler}` on machines with this package installed.") from None
        self.workers = max(1, len(self._workers_info()))

    def _start_local_cluster(self) -> float:
        """Start a LocalCluster of ``self.workers`` worker processes; the seconds it took."""
        import dask
        from distributed import Client, LocalCluster

        t0 = time.monotonic()
        self._quiet.enter_context(dask.config.set(LOST_WORKER_CONFIG))
        try:
            # Ctrl-C in a terminal reaches every process of the group: worker processes started while
            # SIGINT is ignored keep ignoring it (it survives exec), so only this process stops, closes
            # the cluster and prints one message, not a traceback per worker. Their logs of the
            # connection closing under them are silenced for the same reason; failures come back as jobs'.
            # The workers' own sampling profiler and 20 ms event-loop tick take the GIL from a running
            # replication dozens of times a second: 6–19 % of a default-size run. Nobody reads them here.
            with _sigint_ignored(), dask.config.set(LOCAL_CLUSTER_CONFIG), dask.config.set(_start_forkserver()):
                self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                             dashboard_address=":0", silence_logs=logging.CRITICAL,
                                             env=dict(os.environ))  # as now, as a worker started afresh sees it
            self._client = Client(self._cluster)
        except Exception as exc:
            raise ClusterError(f"a local Dask cluster of {self.workers} worker(s) could not start "
                               f"({_one_line(exc)}). Run with the local executor (leave out --executor "
                               "dask), or fewer --workers.") from None
        return time.monotonic() - t0

    def run_grouped(self, jobs: list[Job]) -> Iterator[list[Completed]]:
        """Results as they finish (see the module's text for what happens when workers die or freeze)."""
        from distributed import as_completed

        if not jobs:
            return
        batches = Batches(jobs, self.workers)
        deaths: dict[str, int] = {}  # job key -> workers that died running a batch that held it
        pending: dict[Any, list[Job]] = {}
        ready = as_completed(loop=self._client.loop)
        watch = _Watch(self.worker_timeout, self.heartbeat_timeout, batches.in_flight())
        try:
            while batches or pending:
                # distributed's exceptions become one ClusterError here; the caller's (thrown in at the
                # yield, e.g. a full disk while a result is stored) go through as they are
                with _cluster_errors():
                    while batches and len(pending) < watch.in_flight:
                        batch = batches.take()
                        fut = self._client.submit(run_batch, batch, pure=False, retries=0)
                        pending[fut] = batch
                        ready.add(fut)
                    arrived, progressed = self._collect(ready, pending, batches, deaths)
                if arrived:
                    yield arrived
                if progressed:
                    watch.progressed()
                with _cluster_errors():
                    self._check(watch, batches, pending)
                if not progressed:
                    time.sleep(POLL_SECONDS)
        finally:
            with contextlib.suppress(Exception):  # the scheduler may be gone
                self._client.cancel([f for f in pending if not f.done()])

    def _collect(self, ready: Any, pending: dict[Any, list[Job]], batches: Batches[Job],
                 deaths: dict[str, int]) -> tuple[list[Completed], bool]:
        """The results of the batches finished since the last look, and whether any batch ended.

        A result that does not arrive in time (lost with its worker, or held by a frozen one) is waited for
        again after the next heartbeat check, and so are the batches after it: one wait at most between two
        checks (two waits in a row, half the heartbeat timeout each, read as this process having been
        stopped, which forgives every worker's silence; traced under benchmarks/under_load.py).
        """
        arrived: list[Completed] = []
        progressed = False
        finished = list(ready.next_batch(block=False))
        for i, fut in enumerate(finished):
            results = self._results(fut, pending[fut], batches, deaths)
            if results is None:
                for again in finished[i:]:
                    ready.add(again)
                break
            del pending[fut]
            progressed = True
            arrived.extend(results)
        return arrived, progressed

    def _check(self, watch: _Watch, batches: Batches[Job], pending: dict[Any, list[Job]]) -> None:
        """Every CHECK_SECONDS: restart frozen workers; a ClusterError once none is left for too long."""
        now = time.monotonic()
        if not watch.due(now):
            return
        workers = self._workers_info()
        watch.saw(workers, batches, now, started=self._local_worker_started())
        for address, silent in watch.frozen(now):
            self._restart(address, silent)
        if watch.without_workers(now) > self.worker_timeout:
            left = len(batches) + sum(len(b) for b in pending.values())
            raise ClusterError(
                f"the Dask cluster has had no worker (or no scheduler) for {self.worker_timeout:g} s with "
                f"{left} job(s) still to run; every run that finished is kept. Start workers (`dask worker "
                f"ADDRESS`) and run the same command again (`run` with --resume) to finish ({START_TIMEOUT_ENV} "
                "sets the wait).")

    def _restart(self, address: str, silent: float) -> None:
        """A worker not heard from for ``silent`` seconds: end it so that its tasks run elsewhere."""
        outcome = self._client.restart_workers([address], timeout=RESTART_SECONDS, raise_for_error=False)
        done = "removed from the cluster" if outcome.get(address) == "removed" else "restarted"
        notice(f"the Dask worker {address} sent no heartbeat for {silent:.0f} s (frozen, stopped or cut off; "
               f"the limit is {self.heartbeat_timeout:g} s, {HEARTBEAT_TIMEOUT_ENV} sets it): it was {done} and "
               "its jobs run again on the other workers.")

    def _results(self, fut: Any, batch: list[Job], batches: Batches[Job],
                 deaths: dict[str, int]) -> list[Completed] | None:
        """A finished batch's results; a batch that killed its workers is split, a single job failed.

        None when the result does not arrive within half the heartbeat timeout (or the worker timeout, if
        shorter): the worker holding it died or froze after the batch finished; the caller asks again after
        its heartbeat check, which restarts a frozen worker, and the scheduler computes the result again (or,
        without workers, never: the caller's no-worker timeout then ends the run).
        """
        from distributed import KilledWorker

        try:
            # A finished batch's results are fetched from the worker that ran it; if that worker froze since,
            # the fetch waits. It waits at most half the heartbeat timeout at a time, so that the heartbeat
            # check runs between two waits (a longer gap would read as this process having been stopped,
            # which forgives every worker's silence, and a frozen worker would never be restarted).
            results: list[Completed] = fut.result(timeout=min(self.worker_timeout, self.heartbeat_timeout / 2))
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
            return [Completed(batch[0].key, None, 0.0, worker_died(deaths[batch[0].key]))]
        except CancelledError:  # the scheduler forgot it: it restarted or the connection was lost
            raise ClusterError("the Dask scheduler dropped the jobs (it restarted, or the connection to it was "
                               "lost); every run that finished is kept. Run the same command again (`run` with "
                               "--resume) once the cluster is up.") from None
        for result in results:
            batches.observe(result.wall_seconds)
        return results

    def _local_worker_started(self) -> bool:
        """Whether a worker of the LocalCluster this process started has (re)started since the last check.

        A job that kills its worker every time has the nannies restart workers again and again; on a loaded
        machine a restart takes seconds and the new worker dies within one, so the scheduler can list no
        worker at any check while the cluster is busy restarting them (seen: "no worker for 30 s" under
        benchmarks/under_load.py). A nanny's worker has a new address after each restart.
        """
        if self._cluster is None:
            return False
        try:
            addresses = {n.worker_address for n in list(self._cluster.workers.values())} - {None}
        except (AttributeError, RuntimeError):  # another version of distributed, or the dict changed meanwhile
            return False
        started = bool(addresses - self._local_addresses)
        self._local_addresses |= addresses
        return started

    def _workers_info(self) -> dict[str, dict[str, Any]]:
        """The scheduler's record of each worker (address -> info); empty when the scheduler does not answer."""
        try:
            try:
                info = self._client.scheduler_info(n_workers=-1)  # some versions return 5 by default
            except TypeError:  # versions before the argument return them all
                info = self._client.scheduler_info()
        except Exception:  # the scheduler does not answer: as good as no worker
            return {}
        return dict(info.get("workers", {}))

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close(timeout=10)
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close(timeout=10)
        self._quiet.close()


class _Watch:
    """What a run knows of the cluster's workers between checks: their heartbeats, and how long it has
    been without any.

    Heartbeats are compared on this process's clock (when the scheduler's ``last_seen`` of a worker last
    changed), so that the scheduler's clock need not agree with ours. A gap between two checks longer than
    the heartbeat timeout means this process itself was not running (stopped with Ctrl-Z, a laptop
    asleep): the clocks start again rather than blame the workers for it.
    """

    def __init__(self, worker_timeout: float, heartbeat_timeout: float, in_flight: int) -> None:
        self.worker_timeout = worker_timeout
        self.heartbeat_timeout = heartbeat_timeout
        self.in_flight = in_flight  # batches to keep handed out
        self._checked = time.monotonic()
        self._heard: dict[str, tuple[Any, float]] = {}  # address -> (scheduler's last_seen, when it changed)
        self._none_since: float | None = None  # since when the cluster has had no worker (and no progress)

    def due(self, now: float) -> bool:
        if now - self._checked < CHECK_SECONDS:
            return False
        if now - self._checked > self.heartbeat_timeout:  # we were not running: start the clocks again
            self._heard.clear()
            self._none_since = None
        self._checked = now
        return True

    def progressed(self) -> None:
        self._none_since = None

    def saw(self, workers: dict[str, dict[str, Any]], batches: Batches[Any], now: float,
            started: bool = False) -> None:
        """The scheduler's workers at this check; ``started``: a worker (re)started since the last check, even
        if it is gone again (the cluster is restarting workers, not without them)."""
        heard = {}
        for address, info in workers.items():
            last = info.get("last_seen")
            before = self._heard.get(address)
            heard[address] = before if before is not None and before[0] == last else (last, now)
        self._heard = heard
        if workers:  # workers of an existing cluster may come and go
            self.in_flight = batches.in_flight(len(workers))
            self._none_since = None
        elif started:
            self._none_since = None
        else:
            self._none_since = self._none_since or now

    def frozen(self, now: float) -> list[tuple[str, float]]:
        """Workers not heard from for more than the heartbeat timeout, with how long; forgotten once told."""
        silent = [(a, now - since) for a, (_, since) in self._heard.items() if now - since > self.heartbeat_timeout]
        for address, _ in silent:
            del self._heard[address]
        return silent

    def without_workers(self, now: float) -> float:
        return 0.0 if self._none_since is None else now - self._none_since


def seconds_from_environment(name: str) -> float | None:
    """A timeout in seconds set by the environment variable ``name``; None when it is not set."""
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise InputError.single(name, f"the environment variable must be a number of seconds above 0, e.g. 120; "
                                f"it is '{text}'.")
    return value


@contextlib.contextmanager
def _cluster_errors() -> Iterator[None]:
    """Exceptions of the connection to the scheduler (and of distributed) as one ClusterError paragraph."""
    try:
        yield
    except ClusterError:
        raise
    except (OSError, TimeoutError, CancelledError) as exc:
        raise ClusterError(_lost(exc)) from None
    except Exception as exc:
        if type(exc).__module__.split(".")[0] not in ("distributed", "tornado", "dask"):
            raise
        raise ClusterError(_lost(exc)) from None


def _lost(exc: BaseException) -> str:
    return (f"the connection to the Dask scheduler was lost ({_one_line(exc)}); every run that finished is "
            "kept. Check that the scheduler and its workers are running, then run the same command again "
            "(`run` with --resume) to finish.")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


@contextlib.contextmanager
def _distributed_logs_silenced() -> Iterator[None]:
    """No log record of distributed (nor of tornado, which it runs on) reaches the terminal meanwhile.

    Distributed's configuration gives some of its loggers their own level (``distributed.client``:
    warning), so a level set on the parent would not stop them: each logger is disabled, and put back
    as it was afterwards.
    """
    import distributed  # noqa: F401  (creates its loggers)

    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
               if name.split(".")[0] in ("distributed", "tornado")]
    before = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        for logger, disabled in zip(loggers, before, strict=True):
            logger.disabled = disabled


def _start_forkserver() -> dict[str, str]:
    """Start (once per process) the server that forks a LocalCluster's worker processes; its Dask setting.

    Dask starts each worker (and each restart of one that died) as a fresh interpreter ("spawn"), which
    imports Dask and then the model again: about 1.5 s of CPU a worker. Multiprocessing's "forkserver"
    imports them once, in a server process, and forks every worker from it in a few milliseconds; a
    server stays for the life of this process, for every cluster it starts. Called while SIGINT is ignored,
    so that the server and every worker it forks keep ignoring it (see ``_start_local_cluster``). Where
    there is no forkserver (Windows), workers are spawned as before.
    """
    import multiprocessing
    from multiprocessing import forkserver

    import dask

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return {}
    # The settings Dask's nanny puts in the environment before it starts a worker (OMP_NUM_THREADS=1 and
    # others, which must be set before numpy is imported), unless already set: the server imports numpy.
    for name, value in (dask.config.get("distributed.nanny.pre-spawn-environ") or {}).items():
        if value is not None:
            os.environ.setdefault(name, str(value))
    multiprocessing.get_context("forkserver").set_forkserver_preload(FORKSERVER_PRELOAD)
    forkserver.ensure_running()
    return {"distributed.worker.multiprocessing-method": "forkserver"}


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
    """Refuse, within CONNECT_TIMEOUT, an address where nothing (or not a Dask scheduler) answers.

    A Dask scheduler writes its handshake as soon as a connection opens; a listener that accepts and then
    says nothing would otherwise keep the client waiting for ever.
    """
    if not address.startswith("tcp://"):
        return  # tls:// and others: the client's own timeout
    host, _, port = address.removeprefix("tcp://").rstrip("/").rpartition(":")
    if not host or not port.isdigit():
        return  # no explicit port: the client's default and its own timeout
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT) as sock:
            sock.settimeout(CONNECT_TIMEOUT)
            if not sock.recv(1):
                raise OSError("the connection was closed at once")
    except TimeoutError:
        raise InputError.single("--scheduler", f"{address} accepts connections but does not answer as a Dask "
                                f"scheduler (nothing within {CONNECT_TIMEOUT:g} s). {SCHEDULER_EXAMPLE}") from None
    except (OSError, ValueError) as exc:
        raise InputError.single("--scheduler", f"cannot reach the Dask scheduler at {address}: {exc}. "
                                f"{SCHEDULER_EXAMPLE}") from None
