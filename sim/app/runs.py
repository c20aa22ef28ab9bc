"""Runs of what-ifs, one at a time, in a process of their own; the page follows them without waiting.

The web server never runs a replication: a *run host* process (started once, with ``spawn``, in a
session of its own so that a Ctrl-C meant for the server does not reach it) takes one what-if file
at a time and runs it with :func:`sim.api.run` into the what-if's results folder, through the
ordinary executor (local worker processes, or a Dask scheduler) and result store. Each replication
is sent back as it arrives; :class:`RunQueue`, in the server, keeps them for the page, which reads
them on its own schedule. A second run waits in the queue until the first has ended, so two runs
never mix.

Cancel is Ctrl-C for the host (SIGINT): the run stops as ``python -m sim run`` does on Ctrl-C, with
every finished replication kept in the folder's store; running the what-if again resumes it. The host
also remembers that it was cancelled, and stops at the next replication that arrives if the first
KeyboardInterrupt was lost (Python prints and ignores one raised inside a weakref callback of the garbage
collector: under load a Cancel was lost that way and the run went on).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal

from sim.results.run_result import RunResult

State = Literal["queued", "running", "finished", "cancelled", "failed"]
WATCH_SECONDS = 1.0  # how often the host checks that the server is alive
_CANCELLED = threading.Event()  # in the host: SIGINT came during the current run


@dataclass(frozen=True)
class Options:
    """Where the replications run (the app's --workers, --executor, --scheduler)."""

    workers: int | None = None
    executor: str | None = None
    scheduler: str | None = None


@dataclass
class Run:
    """One what-if's run as the page sees it: its state and the replications that have arrived."""

    id: int
    name: str
    file: Path
    out: Path
    total: int  # replications planned (every variant)
    state: State = "queued"
    results: list[RunResult] = field(default_factory=list)
    message: str = ""  # how it ended, in a sentence
    started: float | None = None  # time.monotonic() when the host began it
    first_result: float | None = None
    version: int = 0  # changes whenever something the page shows changes

    @property
    def done(self) -> bool:
        return self.state in ("finished", "cancelled", "failed")


class RunQueue:
    """The server's side: what-ifs waiting, the one running, and what each has produced so far."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self._lock = threading.Lock()
        self._runs: dict[int, Run] = {}
        self._waiting: deque[int] = deque()
        self._running: int | None = None
        self._ids = itertools.count(1)
        context = multiprocessing.get_context("spawn")  # a clean process: the server has threads
        self._conn, child = context.Pipe()
        self._host = context.Process(target=_host, args=(child, os.getpid(), options), name="sim-app-runs")
        self._host.start()
        child.close()
        self.ready = threading.Event()  # set when the host has imported the model and waits for runs
        self._reader = threading.Thread(target=self._read, name="sim-app-run-reader", daemon=True)
        self._reader.start()

    # -- what the page asks -----------------------------------------------------------

    def submit(self, name: str, file: Path, out: Path, total: int) -> Run:
        """Queue a what-if file; it starts when the runs before it have ended."""
        with self._lock:
            run = Run(next(self._ids), name, file, out, total)
            self._runs[run.id] = run
            self._waiting.append(run.id)
            self._start_next()
            return run

    def cancel(self, run_id: int) -> None:
        """Stop a run (its finished replications are kept) or take it out of the queue."""
        with self._lock:
            run = self._runs.get(run_id)
            if run is None or run.done:
                return
            if run_id in self._waiting:
                self._waiting.remove(run_id)
                run.state, run.message = "cancelled", "Cancelled before it started."
                run.version += 1
            elif run_id == self._running and self._host.pid is not None:
                os.kill(self._host.pid, signal.SIGINT)

    def get(self, run_id: int) -> Run | None:
        """A copy of the run (the reader thread keeps changing the original)."""
        with self._lock:
            run = self._runs.get(run_id)
            return replace(run, results=list(run.results)) if run is not None else None

    def version(self, run_id: int) -> int:
        with self._lock:
            run = self._runs.get(run_id)
            return run.version if run is not None else -1

    def queued_before(self, run_id: int) -> int:
        """How many runs will start before this one (0 when it runs or ran)."""
        with self._lock:
            ahead = (1 if self._running is not None else 0)
            return ahead + self._waiting.index(run_id) if run_id in self._waiting else 0

    def close(self) -> None:
        """Stop the host: a run still going is interrupted first (its replications are kept)."""
        with self._lock:
            self._waiting.clear()
            running = self._running
        if running is not None:
            self.cancel(running)
        try:
            self._conn.send(("stop",))
        except OSError:
            pass
        self._host.join(timeout=30)
        if self._host.is_alive():
            self._host.kill()

    # -- the host's news ---------------------------------------------------------------

    def _start_next(self) -> None:
        """With the lock held: hand the next waiting run to the host if none is running."""
        if self._running is not None or not self._waiting:
            return
        run = self._runs[self._waiting.popleft()]
        self._running = run.id
        run.state, run.started = "running", time.monotonic()
        run.version += 1
        self._conn.send(("run", run.id, str(run.file), str(run.out)))

    def _read(self) -> None:
        while True:
            try:
                message = self._conn.recv()
            except (EOFError, OSError):
                self._host_gone()
                return
            with self._lock:
                self._take(message)

    def _take(self, message: tuple[Any, ...]) -> None:
        kind, run_id = message[0], message[1]
        if kind == "ready":
            self.ready.set()
            return
        run = self._runs[run_id]
        if kind == "result":
            run.results.append(message[2])
            if run.first_result is None:
                run.first_result = time.monotonic()
        elif kind == "total":
            run.total = message[2]
        else:  # the run ended: finished, cancelled or failed, with a sentence
            run.state, run.message = kind, message[2]
            self._running = None
            self._start_next()
        run.version += 1

    def _host_gone(self) -> None:
        with self._lock:
            for run_id in [*([self._running] if self._running is not None else []), *self._waiting]:
                run = self._runs[run_id]
                run.state, run.message = "failed", "The process that runs what-ifs has stopped; restart the app."
                run.version += 1
            self._running = None
            self._waiting.clear()


# -- the host process ---------------------------------------------------------------------------

def _host(conn: Connection, server: int, options: Options) -> None:
    """Run what-ifs as the server asks, one at a time, until it says stop or is gone."""
    os.setsid()  # a Ctrl-C in the server's terminal is for the server; this process gets its own SIGINT
    signal.signal(signal.SIGINT, _cancel)
    sys.unraisablehook = _unraisable
    import sim.api  # noqa: F401  (now, while the planner edits, rather than after the first Run)
    import sim.report  # noqa: F401

    conn.send(("ready", 0))
    threading.Thread(target=_watch, args=(server,), name="server-watchdog", daemon=True).start()
    while True:
        try:
            message = conn.recv()
        except KeyboardInterrupt:  # a Cancel that came after its run had ended (the next run clears it)
            continue
        except (EOFError, OSError):
            return
        if message[0] == "stop":
            return
        _, run_id, file, out = message
        _CANCELLED.clear()  # a Cancel is for the run going when it came
        try:
            kind, sentence = _run_one(conn, run_id, Path(file), Path(out), options)
        except KeyboardInterrupt:
            kind, sentence = "cancelled", "Cancelled; the finished replications are kept: run it again to resume."
        with _signals_held():
            conn.send((kind, run_id, sentence))


def _run_one(conn: Connection, run_id: int, file: Path, out: Path, options: Options) -> tuple[str, str]:
    """Run (or resume) one what-if into its folder; (how it ended, a sentence)."""
    import sim.api
    from sim.errors import ClusterError, InputError, OutputError
    from sim.experiment.experiment import Interrupted, NothingFinished
    from sim.report import write_report

    def arrived(result: RunResult) -> None:
        light = replace(result, outcomes={}, enterprise_ids=[], attributes={})  # the page needs no per-firm rows
        with _signals_held():  # a Cancel never cuts a message in half
            conn.send(("result", run_id, light))
        if _CANCELLED.is_set():  # cancelled, and still running: the KeyboardInterrupt was lost
            raise KeyboardInterrupt

    resume = (out / "run_state.json").is_file()
    try:
        loaded = sim.api.load(file)
        with _signals_held():
            conn.send(("total", run_id, len(loaded.all_variants()) * loaded.base.replications))
        res = sim.api.run(loaded, out=out, resume=resume, workers=options.workers, executor=options.executor,
                          scheduler=options.scheduler, progress=False, on_result=arrived,
                          command=["python", "-m", "sim", "run", str(file)])
        write_report(res.out)
    except Interrupted as stop:
        return "cancelled", f"Cancelled: {stop.state.finished()} of {stop.state.planned()} replications finished " \
                            "and are kept; run it again to resume."
    except (InputError, OutputError, ClusterError, NothingFinished, ValueError) as exc:
        text = exc.render() if isinstance(exc, InputError) else str(exc)
        return "failed", text
    except Exception as exc:  # an internal error: said in a sentence, the traceback in the host's log
        traceback.print_exc()
        return "failed", f"internal error: {type(exc).__name__}: {exc}. Please report it with the what-if file."
    if res.failed:
        return "failed", res.failed
    return "finished", f"Finished: {len(res.outcome.results)} replications in {res.outcome.wall_seconds:.1f} s."


def _cancel(signum: int, frame: object) -> None:
    """SIGINT in the host: the server's Cancel. Raised as Ctrl-C is, and remembered for the run's next result."""
    _CANCELLED.set()
    raise KeyboardInterrupt


def _unraisable(unraisable: Any) -> None:
    """A Cancel's KeyboardInterrupt raised where Python cannot raise it (a weakref callback or a __del__ of the
    garbage collector) is one line in the log, not a traceback: the run stops at its next result instead."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        print("note: a Cancel came while Python was collecting garbage; the run stops at its next replication.",
              file=sys.stderr, flush=True)
        return
    sys.__unraisablehook__(unraisable)


@contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT waits until the block is over (it is then raised as usual)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _watch(server: int) -> None:
    """End the host (and so its workers) when the server is gone."""
    while os.getppid() == server:
        time.sleep(WATCH_SECONDS)
    os._exit(1)
