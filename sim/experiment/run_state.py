"""What a run has finished so far, kept in its results folder so that an interrupted run can resume.

Inside the results folder:

``store.sqlite``
    every finished replication's full result, in the result store
    (:mod:`sim.experiment.store`), written in its own transaction as soon as it
    arrives and keyed by its resolved scenario, replication, model source and
    population content. ``--resume`` reuses a stored replication only when
    all of them match, so the final tables are identical to those of an
    uninterrupted run; a replication made with another model source or
    population CSV is run again, and the run says how many and why.
``summary.partial.csv``
    the summary row of every finished replication, appended as it finishes:
    a readable record of progress.
``run_state.json``
    a fingerprint of the resolved scenario (every variant, the seed; not the
    number of replications), so that a run is only resumed with the scenario
    that started it.
``run.log``
    one entry per failed replication: variant, replication, seed, traceback.

After the final tables are written, the store, ``summary.partial.csv`` and
``run_state.json`` are removed unless some replications failed (then a
``--resume`` reruns only those).
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from sim.errors import COMMAND_LINE, FolderRefused, OptionNames, OutputError
from sim.experiment.executors import Completed, Executor, Job
from sim.experiment.failures import Failure, FailureLog
from sim.experiment.fingerprint import (
    Populations,
    experiment_fingerprint,
    model_fingerprint,
    scenario_identity,
)
from sim.experiment.result_codec import decode_result, encode_result
from sim.experiment.runner import Task, evaluate_task, run_jobs
from sim.experiment.store import STORE_FILES, STORE_NAME, ResultStore, RunRecord, run_key
from sim.results.output import atomic_write, write_text
from sim.results.run_result import RunResult
from sim.scenario.loader import LoadedScenario

PARTIAL = "summary.partial.csv"
STATE = "run_state.json"
LOG = "run.log"
KEPT = (*STORE_FILES, PARTIAL, STATE, LOG)  # what carries a run from one invocation to the next


class RunState:
    """The finished replications of one results folder, and the failures."""

    def __init__(self, out: Path, loaded: LoadedScenario, store: ResultStore) -> None:
        self.out = out
        self.loaded = loaded
        self.store = store
        self.log = FailureLog(out / LOG)
        self.populations = Populations()
        self.failures: list[Failure] = []
        self.reused = 0
        self.rerun = 0  # finished before but run again: another model source or population, or a damaged entry
        self.rerun_notes: list[str] = []
        self.options = COMMAND_LINE  # how messages name --resume and --out
        self._planned: dict[tuple[str, int], str] = {}  # (variant, replication) -> key, every task asked for
        self._kept: set[str] = set()  # keys of planned replications finished (reused or run now)

    @classmethod
    def open(cls, out: Path, loaded: LoadedScenario, resume: bool, options: OptionNames = COMMAND_LINE) -> RunState:
        """Start a fresh state in ``out``, or, with ``resume``, pick up the one there.

        The folder is claimed first (:class:`sim.experiment.folder.ClaimedFolder`): it holds this
        run's own files only, and a fresh run finds none of them.
        """
        key = experiment_fingerprint(loaded)
        path = out / STATE
        try:
            if resume:
                if not path.is_file():
                    raise FolderRefused(f"there is no interrupted run to resume in {out} (no {STATE}); run "
                                        f"without {options.resume}, into a new or empty {options.out} folder.")
                stored = json.loads(path.read_text(encoding="utf-8")).get("fingerprint")
                if stored != key:
                    raise FolderRefused(
                        f"the run in {out} was started with a different scenario or seed; {options.resume} only "
                        f"continues the same experiment. Use a new {options.out} folder, or {options.force} to start "
                        "over in this one.")
            write_text(path, json.dumps({"fingerprint": key, "scenario": loaded.base.name,
                                         "seed": loaded.base.seed}, indent=2) + "\n")
        except (OSError, json.JSONDecodeError, AttributeError) as exc:
            raise OutputError(f"cannot set up the run state in {out}: {getattr(exc, 'strerror', None) or exc}.") from None
        state = cls(out, loaded, ResultStore(out))
        state.options = options
        return state

    def close(self) -> None:
        self.store.close()

    # -- running ---------------------------------------------------------------------

    def run(self, tasks: list[Task], executor: Executor, progress: bool | None = None,
            on_result: Callable[[RunResult], None] | None = None) -> list[RunResult]:
        """Results of ``tasks`` in task order: reused when finished before with the same model, else run and saved.

        Failed replications are logged and left out. Variants whose scenarios are
        identical share one replication (the result is relabelled).
        """
        keyed: list[tuple[Task, str]] = []
        for t in tasks:
            population, digest = self.populations.get(t.scenario)
            task = replace(t, population=population)
            key = run_key(scenario_identity(task.scenario, digest), task.replication)
            keyed.append((task, key))
            self._planned[(task.variant, task.replication)] = key
        first: dict[str, Task] = {}
        for task, key in keyed:
            first.setdefault(key, task)
        stored = self.store.results(first)
        have: dict[str, RunResult] = {}
        damaged: list[str] = []
        for k, blob in stored.items():
            loaded_result = self._load(first[k], blob)
            if loaded_result is None:
                damaged.append(k)
            else:
                have[k] = loaded_result
        if damaged:  # a truncated or corrupt entry: discard it and run the replication again
            self.store.discard(damaged)
            self.rerun += len(damaged)
            self.rerun_notes.append(f"{len(damaged)} replication(s) in {self.out / STORE_NAME} could not be read "
                                    "back (a damaged entry); they are run again.")
        self.reused += sum(1 for _, key in keyed if key in have)
        self._kept.update(have)
        todo = [task for key, task in first.items() if key not in have]
        self._note_reruns(todo)
        digests = {key: self.populations.get(task.scenario)[1] for key, task in first.items()}
        by_key = {key: task for key, task in first.items() if key not in have}
        # handed out replication by replication, every variant's r before any r + 1: the first pairs on
        # common random numbers arrive first (a live view compares them at once; an interrupted run keeps
        # pairs). The results are put back in task order below, so no table depends on this order.
        jobs = sorted((Job(key, 0, task.replication, task, evaluate_task) for key, task in by_key.items()),
                      key=lambda job: job.replication)

        def done(c: Completed) -> None:
            task = by_key[c.key]
            if c.error is not None:
                failure = Failure.of(task, c.error)
                self.failures.append(failure)
                self.log.replication(failure)
                return
            self.save(c.key, c.value, digests[c.key])
            have[c.key] = c.value
            if on_result is not None:
                on_result(c.value)

        run_jobs(executor, jobs, done, progress)
        out: list[RunResult] = []
        for task, key in keyed:
            if key in have:
                result = have[key]
                out.append(result if result.variant == task.variant else replace(result, variant=task.variant))
        return out

    def _load(self, task: Task, blob: bytes) -> RunResult | None:
        """A stored result, or None when its entry is damaged (truncated, not a result, another replication)."""
        result = decode_result(blob)
        if result is None or result.replication != task.replication:
            return None
        return result

    def _note_reruns(self, todo: list[Task]) -> None:
        """Say why replications finished before are run again: another model source or population CSV."""
        code, model, data = model_fingerprint(), 0, 0
        for task in todo:
            made = self.store.made_with(task.variant, task.replication)
            if not made:
                continue
            digest = self.populations.get(task.scenario)[1]
            if any(c != code for c, _ in made):
                model += 1
            elif any(d != digest for _, d in made):
                data += 1
        self.rerun += model + data
        if model:
            self.rerun_notes.append(f"{model} replication(s) finished before were made with another version of the "
                                    "model's source code; they are run again.")
        if data:
            self.rerun_notes.append(f"{data} replication(s) finished before were made with another content of the "
                                    "population CSV; they are run again.")

    def save(self, key: str, result: RunResult, data: str | None) -> None:
        """Keep a finished replication: its full result in the store, then its summary row.

        Ctrl-C and SIGTERM wait until both are written (a few milliseconds), so the
        partial summary always lists exactly the kept replications.
        """
        blob = encode_result(result)
        record = RunRecord(key, 0, result.replication, self.loaded.base.seed, {"variant": result.variant},
                           dict(result.summary), result.wall_seconds, label=result.variant,
                           code=model_fingerprint(), data=data, result=blob)
        with _signals_held():
            self.store.put(record)
            try:
                self._append_summary(result)
            except OSError as exc:
                raise OutputError(f"cannot save a finished replication in {self.out}: {exc.strerror or exc}.") from None
        self._kept.add(key)

    def _append_summary(self, result: RunResult) -> None:
        row = {"variant": result.variant, "replication": result.replication, **result.summary}
        path = self.out / PARTIAL
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        buf = io.StringIO(old)
        buf.seek(0, io.SEEK_END)
        writer = csv.DictWriter(buf, fieldnames=list(row), lineterminator="\n")
        if not old:
            writer.writeheader()
        writer.writerow(row)
        text = buf.getvalue()

        def write(tmp: Path) -> None:
            with tmp.open("w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())

        # rewritten whole under a temporary name, then renamed: the file never exists with half a
        # row or none (a Ctrl-C between creating and writing it used to leave it empty)
        atomic_write(path, write)

    # -- reporting -------------------------------------------------------------------

    def finished(self) -> int:
        """Replications asked for so far that are finished (reused or run now)."""
        return sum(1 for key in self._planned.values() if key in self._kept)

    def planned(self) -> int:
        return len(self._planned)

    def resumed_message(self, replications: int) -> str:
        """How many replications a resumed run reused, and why the others were not."""
        store = self.out / STORE_NAME
        planned = self.planned()
        fresh = planned - self.reused - self.rerun
        text = (f"Resumed: {self.reused} replication(s) reused from {store}, of the {planned} asked for; "
                f"the other {planned - self.reused} " + ("had not finished" if not self.rerun else
                                                       f"had not finished ({fresh}) or were run again ({self.rerun}, "
                                                       "see the notes above)"))
        beyond = self.store.count(from_replication=replications)
        if beyond:
            text += (f"; {beyond} finished replication(s) beyond the {replications} asked for are not used (resume "
                     "with more replications to use them)")
        return text + "."

    def clean_up(self) -> None:
        """After the final tables are written: drop the per-replication files unless some failed."""
        if self.failures:
            return
        self.store.close()
        for name in (*STORE_FILES, PARTIAL, STATE):
            (self.out / name).unlink(missing_ok=True)

    def interrupted_message(self, resume_command: str) -> str:
        return (f"\nInterrupted: {self.finished()} of {self.planned()} replication(s) finished and are kept in "
                f"{self.out / STORE_NAME}. To finish the run, resume it (finished replications are not run "
                f"again):\n  {resume_command}")

    def failure_message(self, total: int) -> str:
        n = len(self.failures)
        which = ", ".join(f"{f.task.variant}#{f.task.replication}" for f in self.failures[:5])
        more = f" and {n - 5} more" if n > 5 else ""
        return (f"{n} of {total} replication(s) failed ({which}{more}); their seeds and tracebacks are in "
                f"{self.log.path}. The tables hold the {total - n} that finished; after a fix, "
                f"{self.options.resume} with the same {self.options.out} runs only the failed ones.")


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for a short critical section; they take effect right after it.

    The handlers are swapped for ones that only note the signal (a signal mask would not do: a
    signal caught just before the mask is set still runs its Python handler inside the section).
    """
    pending: list[int] = []

    def note(signum: int, frame: object) -> None:
        pending.append(signum)

    previous: dict[Any, Any] = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, note)
    except ValueError:  # not the main thread: nothing to hold
        pass
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in dict.fromkeys(pending):
            handler = previous.get(signum)
            if callable(handler):
                handler(signum, None)  # e.g. raises KeyboardInterrupt
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), signum)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM (``kill PID``) like Ctrl-C, so finished work is reported and kept the same way."""
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
