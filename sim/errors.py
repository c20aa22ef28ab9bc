"""Errors that reach the planner as a clear message instead of a traceback.

Every input problem becomes an :class:`InputProblem` (file, line, column, dotted
key, what is wrong, what is allowed). The CLI prints them one paragraph each and
exits with code 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MAX_SHOWN = 100  # problems printed for one input (the loader already stops at 40 per base or variant)


@dataclass(frozen=True)
class InputProblem:
    """One thing wrong with an input file."""

    file: str
    message: str
    key: str | None = None
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based

    def render(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        key = f" key '{self.key}':" if self.key else ""
        return f"{where}:{key} {self.message}"


class InputError(Exception):
    """Bad input from the planner (exit code 2). Holds one or more problems."""

    def __init__(self, problems: list[InputProblem]) -> None:
        super().__init__("\n".join(p.render() for p in problems[:MAX_SHOWN]))
        self.problems = problems

    @classmethod
    def single(
        cls,
        file: str | Path,
        message: str,
        key: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> InputError:
        return cls([InputProblem(str(file), message, key, line, column)])

    def render(self) -> str:
        """Every problem, one paragraph each; past MAX_SHOWN, a count of the rest (a file with 90,000
        mistakes gets a readable message, not megabytes)."""
        count = len(self.problems)
        head = "error" if count == 1 else f"{count:,} errors"
        body = "\n\n".join(p.render() for p in self.problems[:MAX_SHOWN])
        if count > MAX_SHOWN:
            body += (f"\n\n... and {count - MAX_SHOWN:,} more problems (only the first {MAX_SHOWN} are shown); "
                     "fix the ones above first.")
        return f"{head} in input:\n\n{body}"


class OutputError(Exception):
    """The results cannot be written (unwritable folder, full disk, folder not empty)."""

    out: Path | None = None  # set when a run stopped by it keeps its finished replications there (for --resume)


class FolderRefused(OutputError, ValueError):
    """The results folder belongs to another experiment, or cannot take this one without an option.

    A ValueError too, so that a Python caller of :func:`sim.run` may catch it as one; its message
    names the options as the caller spells them (:class:`OptionNames`).
    """


@dataclass(frozen=True)
class OptionNames:
    """How the caller spells the options a message tells the planner to use."""

    force: str
    resume: str
    out: str


COMMAND_LINE = OptionNames(force="--force", resume="--resume", out="--out")
PYTHON_API = OptionNames(force="force=True", resume="resume=True", out="out=")


class ClusterError(Exception):
    """The workers cannot run the jobs (a Dask cluster lost every worker or its scheduler; worker processes
    keep dying). Exit code 2: the planner can fix the environment; finished runs are kept."""

    out: Path | None = None  # the results folder whose finished runs are kept, when known
