"""What a run has finished so far, kept on disk so that an interrupted run can resume.

Inside the results folder:

``runs/<variant>-<replication>.pkl``
    every finished replication's full result, written (temporary name, then
    rename) as soon as it arrives; ``--resume`` reads these instead of running
    the replication again, so the final tables are identical to those of an
    uninterrupted run.
``summary.partial.csv``
    the summary row of every finished replication, appended as it finishes:
    a readable record of progress.
``run_state.json``
    a fingerprint of the resolved scenario (every variant, the seed, the
    package version; not the number of replications), so that a run is only
    resumed with the scenario that started it.
``run.log``
    one entry per failed replication: variant, replication, seed, traceback.

After the final tables are written, ``runs/`` and ``summary.partial.csv`` are
removed unless some replications failed (then a ``--resume`` reruns only
those). The pickles are the planner's own files, read back only from the
folder named with ``--out``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import pickle
import shutil
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sim import __version__
from sim.errors import OutputError
from sim.experiment.runner import Failure, Task, execute
from sim.results.output import atomic_write, write_text
from sim.results.run_result import RunResult
from sim.scenario.loader import LoadedScenario

RUNS = "runs"
PARTIAL = "summary.partial.csv"
STATE = "run_state.json"
LOG = "run.log"


def fingerprint(loaded: LoadedScenario) -> str:
    """Hash of everything that determines a replication's result, except how many there are."""
    variants = [(name, sc.model_dump(mode="json", by_alias=True, exclude={"replications"}))
                for name, sc in loaded.all_variants()]
    text = json.dumps({"version": __version__, "variants": variants}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class RunState:
    """The finished replications of one results folder, and the failures."""

    def __init__(self, out: Path, loaded: LoadedScenario) -> None:
        self.out = out
        self.loaded = loaded
        self.runs = out / RUNS
        self.log = out / LOG
        self.failures: list[Failure] = []
        self.reused = 0

    @classmethod
    def open(cls, out: Path, loaded: LoadedScenario, resume: bool) -> RunState:
        """Start a fresh state in ``out``, or, with ``resume``, pick up the one there."""
        state = cls(out, loaded)
        key = fingerprint(loaded)
        path = out / STATE
        try:
            if resume:
                if not path.is_file() and (out / "manifest.json").is_file():
                    raise OutputError(f"the run in {out} has finished: there is nothing to resume. Use "
                                      "--force to run it again there, or a new --out folder.")
                if not path.is_file():
                    raise OutputError(f"there is no interrupted run to resume in {out} (no {STATE}); "
                                      "run without --resume, into a new or empty --out folder.")
                stored = json.loads(path.read_text(encoding="utf-8")).get("fingerprint")
                if stored != key:
                    raise OutputError(
                        f"the run in {out} was started with a different scenario, seed or program version; "
                        "--resume only continues the same experiment. Use a new --out folder, or --force "
                        "to start over in this one.")
            else:
                shutil.rmtree(state.runs, ignore_errors=True)
                for name in (PARTIAL, LOG):
                    (out / name).unlink(missing_ok=True)
            state.runs.mkdir(parents=True, exist_ok=True)
            write_text(path, json.dumps({"fingerprint": key, "scenario": loaded.base.name,
                                         "seed": loaded.base.seed, "version": __version__}, indent=2) + "\n")
        except (OSError, json.JSONDecodeError) as exc:
            raise OutputError(f"cannot set up the run state in {out}: {getattr(exc, 'strerror', None) or exc}.") from None
        return state

    def _file(self, variant: str, replication: int) -> Path:
        return self.runs / f"{variant}-{replication}.pkl"

    def finished(self, task: Task) -> bool:
        return self._file(task.variant, task.replication).is_file()

    def load(self, task: Task) -> RunResult:
        with self._file(task.variant, task.replication).open("rb") as fh:
            result = pickle.load(fh)
        if not isinstance(result, RunResult) or (result.variant, result.replication) != (task.variant, task.replication):
            raise OutputError(f"{self._file(task.variant, task.replication)} does not hold the result of "
                              f"{task.variant} replication {task.replication}; delete it and --resume again.")
        return result

    def save(self, result: RunResult) -> None:
        """Keep a finished replication: its full result, then its summary row.

        Ctrl-C and SIGTERM wait until both are written (a few milliseconds), so the
        partial summary always lists exactly the kept replications.
        """
        with _signals_held():
            self._save(result)

    def _save(self, result: RunResult) -> None:
        try:
            data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)

            def write(p: Path) -> None:
                with p.open("wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())

            atomic_write(self._file(result.variant, result.replication), write)
            self._append_summary(result)
        except OSError as exc:
            raise OutputError(f"cannot save a finished replication in {self.runs}: {exc.strerror or exc}.") from None

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

    def record_failure(self, failure: Failure) -> None:
        """Log a replication that raised, with what is needed to reproduce it."""
        self.failures.append(failure)
        t = failure.task
        entry = (f"=== {dt.datetime.now().isoformat(timespec='seconds')} replication failed: variant '{t.variant}', "
                 f"replication {t.replication}, seed {t.scenario.seed}\n"
                 f"reproduce: sim.model.world.run_replication(scenario_of('{t.variant}'), '{t.variant}', "
                 f"{t.replication})\n{failure.traceback.rstrip()}\n\n")
        try:
            with self.log.open("a", encoding="utf-8") as fh:
                fh.write(entry)
        except OSError as exc:
            raise OutputError(f"cannot write the run log {self.log}: {exc.strerror or exc}.") from None

    def run(self, tasks: list[Task], workers: int, progress: bool | None = None,
            on_result: Callable[[RunResult], None] | None = None) -> list[RunResult]:
        """Results of ``tasks`` in task order: reused when finished before, else run and saved.

        Failed replications are logged and left out.
        """
        todo = [t for t in tasks if not self.finished(t)]
        have = {(t.variant, t.replication): self.load(t) for t in tasks if self.finished(t)}
        self.reused += len(have)

        def keep(result: RunResult) -> None:
            self.save(result)
            if on_result is not None:
                on_result(result)

        for result in execute(todo, workers, on_result=keep, progress=progress, on_error=self.record_failure):
            have[(result.variant, result.replication)] = result
        return [have[k] for k in ((t.variant, t.replication) for t in tasks) if k in have]

    def count_finished(self) -> int:
        return sum(1 for _ in self.runs.glob("*.pkl")) if self.runs.is_dir() else 0

    def clean_up(self) -> None:
        """After the final tables are written: drop the per-replication files unless some failed."""
        if self.failures:
            return
        shutil.rmtree(self.runs, ignore_errors=True)
        for name in (PARTIAL, STATE):
            (self.out / name).unlink(missing_ok=True)

    def interrupted_message(self, file: str, out: Path, total: int) -> str:
        done = self.count_finished()
        return (f"\nInterrupted: {done} of {total} replication(s) finished and are kept in {self.runs}. "
                f"To finish the run, resume it (finished replications are not run again):\n"
                f"  python -m sim run {file} --out {out} --resume")

    def failure_message(self, total: int) -> str:
        n = len(self.failures)
        which = ", ".join(f"{f.task.variant}#{f.task.replication}" for f in self.failures[:5])
        more = f" and {n - 5} more" if n > 5 else ""
        return (f"{n} of {total} replication(s) failed ({which}{more}); their seeds and tracebacks are in "
                f"{self.log}. The tables hold the {total - n} that finished; after a fix, "
                f"`--resume` with the same --out runs only the failed ones.")


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for a short critical section; they arrive right after it."""
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):  # a platform without signal masks
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


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
