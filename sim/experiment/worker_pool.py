"""Local worker processes, each with its own connection: a worker that dies at any moment costs only its batches.

Why not :class:`concurrent.futures.ProcessPoolExecutor`: its workers send results down one shared pipe.
A worker killed while writing a result (the out-of-memory killer, ``kill -9``, a SIGTERM meant for the
whole group) leaves half a message there; the pool's reader thread then waits for the rest for ever,
since the other workers keep the pipe open, and the run hangs without a word. At exit the interpreter
waits for that thread too, so that Ctrl-C printed its message and a second signal was needed.

Here each worker has its own connection (a socket pair), whose other end only that worker holds: when
it dies, mid-send or not, the read ends (EOF) and the batches it held are handed back to be run again.
The pool keeps no thread, and ends its workers with SIGKILL when it is stopped (Ctrl-C, an error, the
caller giving up), which ends a stopped (Ctrl-Z, SIGSTOP) process as well as a running one; nothing is
left for the interpreter to wait for.
"""

from __future__ import annotations

import multiprocessing
import pickle
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from multiprocessing.reduction import ForkingPickler
from typing import Any, Generic, TypeVar

B = TypeVar("B")  # a batch, as handed to a worker
R = TypeVar("R")  # what a worker gives back for it

QUEUE_PER_WORKER = 2  # batches handed to a worker at once: one running, one waiting, so no worker waits for us
JOIN_SECONDS = 5.0  # a worker asked to stop that is still running after this is killed


@dataclass(frozen=True)
class Unsent:
    """A worker's result that could not be pickled to be sent back: the traceback, in its place."""

    traceback: str


@dataclass
class _Worker(Generic[B]):
    process: BaseProcess
    conn: Connection  # this process's end; only the worker holds the other one
    batches: deque[B] = field(default_factory=deque)  # handed out, results not yet back, oldest first


@dataclass(frozen=True)
class Lost(Generic[B]):
    """What a worker that died held: the batch it was running (or sending the result of), and those
    waiting behind it, which never started."""

    running: B
    waiting: list[B]
    exitcode: int | None  # negative: the signal that ended it


class WorkerPool(Generic[B, R]):
    """``size`` worker processes that each run ``work(batch)`` on the batches handed to them.

    Workers start when the first batches are handed out and again to replace any that died. The owner
    ends them: :meth:`close` when the work is done, :meth:`kill` when it is abandoned (Ctrl-C, an error).
    """

    def __init__(self, size: int, work: Callable[[B], R], initializer: Callable[[], None] | None = None) -> None:
        self.size = max(1, size)
        self._work = work
        self._initializer = initializer
        self._workers: list[_Worker[B]] = []
        self._context = multiprocessing.get_context()

    def room(self) -> int:
        """How many more batches can be handed out now."""
        return self.size * QUEUE_PER_WORKER - sum(len(w.batches) for w in self._workers)

    def outstanding(self) -> int:
        """Batches handed out whose results are not back."""
        return sum(len(w.batches) for w in self._workers)

    def submit(self, batch: B) -> None:
        """Hand ``batch`` to the least loaded worker (starting one if fewer than ``size`` run).

        A worker that died since gives the batch back through :meth:`wait`, as lost.
        """
        for gone in [w for w in self._workers if not w.batches and not w.process.is_alive()]:
            self._workers.remove(gone)  # died idle (after sending its last result): nothing to give back
            self._end(gone)
        if len(self._workers) < self.size:
            self._workers.append(self._start())
        worker = min(self._workers, key=lambda w: len(w.batches))
        worker.batches.append(batch)
        try:
            worker.conn.send(batch)
        except (BrokenPipeError, ConnectionResetError):
            pass  # it died: wait() sees it gone and gives back every batch it held, this one included

    def wait(self) -> tuple[list[tuple[B, R | Unsent]], list[Lost[B]]]:
        """Results that are back (each with its batch), and batches lost with workers that died.

        Blocks until there is at least one of either (nothing handed out: returns at once).
        """
        busy = [w for w in self._workers if w.batches]
        if not busy:
            return [], []
        ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
        done: list[tuple[B, R | Unsent]] = []
        lost: list[Lost[B]] = []
        for worker in busy:
            if worker.conn not in ready and worker.process.sentinel not in ready:
                continue
            try:
                data = worker.conn.recv_bytes()
            except (EOFError, OSError):  # it died, before or while sending: its batches' results are lost
                self._workers.remove(worker)
                held = list(worker.batches)
                lost.append(Lost(held[0], held[1:], self._end(worker)))
                continue
            done.append((worker.batches.popleft(), pickle.loads(data)))
        return done, lost

    def kill(self) -> None:
        """End every worker now (SIGKILL: a stopped process ends too), whatever it is doing."""
        workers, self._workers = self._workers, []
        for worker in workers:
            if worker.process.is_alive():
                worker.process.kill()
        for worker in workers:
            self._end(worker)

    def close(self) -> None:
        """Ask idle workers to exit; kill any still busy or slow to exit."""
        workers, self._workers = self._workers, []
        for worker in workers:
            if not worker.batches:
                try:
                    worker.conn.send(None)
                except OSError:
                    pass
        for worker in workers:
            if worker.batches:
                worker.process.kill()
            worker.process.join(JOIN_SECONDS)
            if worker.process.is_alive():
                worker.process.kill()
            self._end(worker)

    def _start(self) -> _Worker[B]:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(theirs, self._work, self._initializer),
                                        name="sim-worker", daemon=True)
        process.start()
        theirs.close()  # only the worker holds its end: when it dies, our reads end
        return _Worker(process, ours)

    @staticmethod
    def _end(worker: _Worker[B]) -> int | None:
        """Reap a worker that exited or was killed; its exit code (negative: the signal that ended it)."""
        worker.process.join(JOIN_SECONDS)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()
        return worker.process.exitcode


def _serve(conn: Connection, work: Callable[[Any], Any], initializer: Callable[[], None] | None) -> None:
    """A worker's loop: run each batch received, send its result back; stop at None or when the pool is gone."""
    if initializer is not None:
        initializer()
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        result = work(batch)
        try:
            data = ForkingPickler.dumps(result)
        except Exception as exc:  # a value that cannot be pickled: say so instead of losing the batch
            data = ForkingPickler.dumps(Unsent("".join(traceback.format_exception(exc))))
        try:
            conn.send_bytes(data)
        except (BrokenPipeError, ConnectionResetError):
            return
