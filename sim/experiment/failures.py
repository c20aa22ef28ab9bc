"""Replications that raised: what failed, and the one log file that records them.

``run`` writes ``run.log`` and ``sweep`` writes ``sweep.log`` in the results
folder, both through :class:`FailureLog`: one entry per failure with what is
needed to reproduce it (variant or point, replication, seed) and the worker's
traceback.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.errors import OutputError


@dataclass(frozen=True)
class Failure:
    """A replication that raised: which one, with what seed, and the traceback."""

    task: Any  # a runner.Task
    error: str
    traceback: str

    @classmethod
    def of(cls, task: Any, traceback_text: str) -> Failure:
        lines = [line for line in traceback_text.strip().splitlines() if line.strip()]
        return cls(task, lines[-1].strip() if lines else "error", traceback_text)

    @property
    def seed(self) -> int:
        return int(self.task.scenario.seed)


class FailureLog:
    """Appends failures to a log file in the results folder."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, head: str, traceback_text: str, reproduce: str | None = None) -> None:
        stamp = dt.datetime.now().isoformat(timespec="seconds")
        entry = f"=== {stamp} {head}\n" + (f"reproduce: {reproduce}\n" if reproduce else "")
        entry += traceback_text.rstrip() + "\n\n"
        try:
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(entry)
        except OSError as exc:
            raise OutputError(f"cannot write the failure log {self.path}: {exc.strerror or exc}.") from None

    def replication(self, failure: Failure) -> None:
        t = failure.task
        self.write(f"replication failed: variant '{t.variant}', replication {t.replication}, seed {failure.seed}",
                   failure.traceback,
                   f"sim.model.world.run_replication(scenario_of('{t.variant}'), '{t.variant}', {t.replication})")
