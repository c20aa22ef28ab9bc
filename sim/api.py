"""The Python API: ``sim.run(FILE)`` is ``python -m sim run FILE`` returning its tables as DataFrames.

::

    import sim
    res = sim.run("scenarios/fast-track.yaml", replications=8)
    res.summary          # one row per variant × replication (summary.csv)
    res.comparison       # paired differences of every variant from the base (comparison.csv)
    res.series           # daily series (timeseries.csv)
    res.enterprises      # one row per firm × variant × replication (enterprises.csv)
    res.to_excel()       # every table in one workbook, a sheet each (needs openpyxl: pip install "sim[excel]")
    sim.compare(res)     # the decision scorecard: each variant against the base, with verdicts

    # a what-if without writing a file: changes by dotted path, checked as the file's keys are
    sim.run("scenarios/tieling-2020.yaml", overrides={"policies.loans.window_opens_day": "2020-02-20"})

The command line's ``run`` calls :func:`run` too (there is one orchestration,
:class:`sim.experiment.experiment.Experiment`); the DataFrames are read back
from the CSV files the run wrote, so they are exactly what a colleague opening
the results folder sees.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.analysis.comparison import DEFAULT_MAX_REPLICATIONS, parse_target
from sim.analysis.stats import TESTS, TestName
from sim.errors import PYTHON_API, ClusterError, InputError, InputProblem, OutputError
from sim.experiment.executors import EXECUTORS
from sim.experiment.experiment import (
    Experiment,
    Interrupted,
    NothingFinished,
    RunOutcome,
    RunRequest,
)
from sim.model import catalogue
from sim.report.parameters import load_resolved
from sim.report.scorecard import Scorecard, build_scorecard
from sim.results.run_result import RunResult
from sim.scenario.decision import Decision
from sim.scenario.loader import LoadedScenario, load_scenario, load_scenario_text
from sim.scenario.overrides import apply_overrides

SCENARIO_MAPPING = "scenario mapping"  # how messages name a scenario given as a mapping

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Results:
    """A finished run: its results folder and its tables."""

    out: Path
    outcome: RunOutcome
    failed: str | None  # why some replications failed (their rows are missing), else None

    def _csv(self, name: str) -> pd.DataFrame:
        import pandas as pd

        return pd.read_csv(self.out / name)

    @property
    def summary(self) -> pd.DataFrame:
        """summary.csv: one row per variant × replication, every summary metric."""
        return self._csv("summary.csv")

    @property
    def series(self) -> pd.DataFrame:
        """timeseries.csv: one row per variant × replication × day."""
        return self._csv("timeseries.csv")

    @property
    def comparison(self) -> pd.DataFrame:
        """comparison.csv: paired differences (variant − base, or every pair) with CIs and Holm p-values."""
        return self._csv("comparison.csv")

    @property
    def enterprises(self) -> pd.DataFrame:
        """enterprises.csv: one row per firm × variant × replication."""
        return self._csv("enterprises.csv")

    def to_excel(self, path: str | PathLike[str] | None = None) -> Path:
        """Write the run's tables into one Excel workbook, a sheet per table; return its path.

        ``path``: the workbook (default ``<results folder>/export/results.xlsx``). A table longer than
        an Excel sheet (1,048,575 rows) is left out with a warning naming its CSV file. Needs the openpyxl package (``pip install
        "sim[excel]"``): ImportError, saying so, when it is missing.
        """
        import warnings

        from sim.plotting.folder import ResultsFolder
        from sim.results.output import export_tables, missing_engine, too_long_for_a_sheet

        missing = missing_engine("xlsx", "Results.to_excel()", "read the tables as DataFrames (res.summary, …)")
        if missing is not None:
            raise ImportError(missing)
        target = Path(path) if path is not None else self.out / "export" / "results.xlsx"
        if target.suffix.lower() != ".xlsx":
            raise ValueError(f"path={str(path)!r}: an Excel workbook's name ends in .xlsx.")
        tables = ResultsFolder(self.out).run_tables()
        written, left_out = export_tables(tables, target.parent, "xlsx", workbook=target.stem)
        for name in left_out:
            warnings.warn(too_long_for_a_sheet(name, len(tables[name]), f"its CSV is {self.out / name}.csv"),
                          stacklevel=2)
        return written[0]


def run(scenario: str | PathLike[str] | LoadedScenario | Mapping[str, Any], replications: int | None = None, *,
        overrides: Mapping[str, Any] | None = None, seed: int | None = None, out: str | PathLike[str] | None = None,
        workers: int | None = None, executor: str | None = None, scheduler: str | None = None, force: bool = False,
        resume: bool = False, all_pairs: bool = False, test: TestName = "t", precision: dict[str, float] | None = None,
        max_replications: int = DEFAULT_MAX_REPLICATIONS, progress: bool | None = None,
        on_result: Callable[[RunResult], None] | None = None, say: Callable[[str], None] | None = None,
        command: Sequence[str] | None = None, after: Callable[[RunOutcome], None] | None = None) -> Results:
    """Run the base and every variant of a scenario, as ``python -m sim run`` does; return its tables.

    Args:
        scenario: a scenario file's path, a mapping with a scenario file's content (``extends:`` and
            population CSV paths relative to the working folder), or a scenario already loaded with
            :func:`sim.scenario.loader.load_scenario`.
        replications: replications per variant (default: the scenario's ``replications``).
        overrides: changes by dotted parameter path, e.g. ``{"policies.loans.window_opens_day":
            "2020-02-20", "counties[3].inspectors": 6}``; a day parameter may be given as a date. They
            change the base, and so every variant that does not set the same key itself, and are
            checked as the same keys written in the file would be: a bad one raises
            :class:`sim.errors.InputError` with the message of ``python -m sim validate``.
        seed: the master seed (default: the scenario's ``seed``).
        out: the results folder (default, as on the command line, a new ``results/<name>/<timestamp>``).
        workers: worker processes (default: one per core); the results do not depend on it.
        executor: ``"local"`` (default) or ``"dask"``.
        scheduler: the address of a running Dask scheduler (``"tcp://host:8786"``); implies ``"dask"``.
        force: write into a folder that holds another finished run.
        resume: finish an interrupted run in ``out``: replications finished there are reused.
        all_pairs: compare every pair of variants, not only each variant with the base.
        test: the p-value of the paired comparison: ``"t"`` (paired t-test) or ``"wilcoxon"``.
        precision: ``{metric: half-width}``: add replications until each paired difference's 95 %
            CI half-width on the metric is at most that (in the metric's unit).
        max_replications: with ``precision``, stop at this many replications per variant.
        progress: a progress bar (in a notebook, the notebook's own); None (default): in a notebook
            or on a terminal only.
        on_result: called with each replication's :class:`~sim.results.run_result.RunResult` as it
            arrives (replication r of every variant before r + 1), e.g. to draw live curves.
        say: called with each line of news about the run (what runs where, notes), else silent.
        command: the words recorded in the results folder as how the run was made.
        after: called with the run's outcome while its results folder is still locked (the command
            line prints and writes the report there).

    Returns:
        :class:`Results`: the results folder and its tables as DataFrames.

    Raises:
        ValueError: an argument that cannot be right, before anything runs; also
            :class:`sim.errors.FolderRefused`, a folder that cannot take this run (a finished run is
            there: give ``resume=True`` or ``force=True``, or another ``out``).
        sim.errors.InputError: a bad scenario or override (every problem, with file and key).
        sim.experiment.experiment.Interrupted: Ctrl-C; the finished replications are kept in ``out``
            for ``resume=True``.
    """
    _check_arguments(replications=replications, seed=seed, workers=workers, executor=executor, test=test,
                     max_replications=max_replications, out=out, scheduler=scheduler)
    try:
        loaded = load(scenario)
        if overrides:
            if not isinstance(overrides, Mapping):
                raise ValueError(f"overrides={overrides!r}: give a mapping of dotted parameter path to value, e.g. "
                                 "{'policies.loans.window_opens_day': '2020-02-20'}.")
            loaded = apply_overrides(loaded, overrides)
        loaded = loaded.with_settings(seed=seed, replications=replications)
        targets = _check_precision(precision, max_replications, loaded.base.replications)
        words = list(command) if command is not None else ["sim.run", str(loaded.path)]
        bar = _ProgressBar(progress, len(loaded.all_variants()) * loaded.base.replications)
        request = RunRequest(loaded, words, out=Path(out) if out is not None else None, force=force, resume=resume,
                             executor=executor, workers=workers, scheduler=scheduler, progress=False,
                             all_pairs=all_pairs, test=test, precision=targets, max_replications=max_replications,
                             options=PYTHON_API, on_result=bar.wrap(on_result))
        with bar:
            return run_request(request, say, after)
    except (InputError, OutputError, ClusterError, Interrupted, NothingFinished) as exc:
        raise _in_python_terms(exc) from None


def load(scenario: str | PathLike[str] | LoadedScenario | Mapping[str, Any]) -> LoadedScenario:
    """A scenario given as a file's path, a mapping with a file's content, or one already loaded."""
    if isinstance(scenario, LoadedScenario):
        return scenario
    if isinstance(scenario, Mapping):
        import yaml

        text = yaml.safe_dump(dict(scenario), allow_unicode=True, sort_keys=False)
        try:
            return load_scenario_text(text, SCENARIO_MAPPING, base_dir=Path.cwd())
        except InputError as exc:  # the lines of a text made from the mapping would mean nothing
            raise InputError([InputProblem(p.file, p.message, p.key) if p.file == SCENARIO_MAPPING else p
                              for p in exc.problems]) from None
    if isinstance(scenario, str | PathLike):
        return load_scenario(Path(scenario))
    raise ValueError(f"scenario={scenario!r}: give a scenario file's path, a mapping with a scenario's content, or "
                     "a loaded scenario.")


def compare(results: Results | str | PathLike[str], reference: str = "base", decision: Decision | None = None
            ) -> pd.DataFrame:
    """The decision scorecard of a run as a DataFrame: every variant against ``reference`` on each headline metric.

    One row per variant × metric: the metric's ``label`` and ``unit`` (from the metric catalogue), ``n``
    pairs on common random numbers, the mean paired ``difference`` (variant − reference) with its 95 %
    CI (``ci_low``, ``ci_high``), the minimal important difference ``mid`` and the ``verdict``
    (better, worse, higher, lower, negligible, uncertain, not_reached by either, no_data; see
    :mod:`sim.report.scorecard`), and the
    replications that never reached a threshold day (``censored_variant``, ``censored_reference``).
    ``results``: what :func:`run` returned, or a results folder. ``decision``: the primary metric and
    minimal important differences (default: the run's scenario's ``decision:`` section).
    """
    folder = Path(results.out if isinstance(results, Results) else results)
    summary = _read_summary(folder)
    resolved = load_resolved(folder)
    if decision is None:
        decision = resolved.base.decision if resolved is not None else Decision()
    horizon = float(resolved.base.horizon_days) if resolved is not None else math.nan
    variants = [str(v) for v in dict.fromkeys(summary["variant"].astype(str))]
    if reference not in variants:
        raise ValueError(f"reference={reference!r}: the run in {folder} has the variants "
                         f"{', '.join(repr(v) for v in variants)}.")
    return scorecard_frame(build_scorecard(summary, variants, decision, reference, horizon))


def scorecard_frame(card: Scorecard | None) -> pd.DataFrame:
    """A scorecard's cells as rows (empty, with the columns, when there is nothing to compare)."""
    import pandas as pd

    rows = []
    for (variant, metric), cell in (card.cells.items() if card is not None else []):
        rows.append({"variant": variant, "reference": cell.reference, "metric": metric,
                     "label": catalogue.label(metric) or metric, "unit": _unit_of(metric), "n": cell.n,
                     "difference": cell.difference, "ci_low": cell.ci_low, "ci_high": cell.ci_high, "mid": cell.mid,
                     "verdict": cell.verdict, "primary": metric == card.primary if card is not None else False,
                     "censored_variant": cell.censored_variant, "censored_reference": cell.censored_reference})
    return pd.DataFrame(rows, columns=SCORECARD_COLUMNS)


SCORECARD_COLUMNS = ["variant", "reference", "metric", "label", "unit", "n", "difference", "ci_low", "ci_high", "mid",
                     "verdict", "primary", "censored_variant", "censored_reference"]


def _unit_of(metric: str) -> str:
    declared = catalogue.metric(metric)
    return declared.unit if declared is not None else ""


def _read_summary(folder: Path) -> pd.DataFrame:
    import pandas as pd

    path = folder / "summary.csv"
    if not path.is_file():
        raise ValueError(f"{folder} holds no summary.csv: give a finished run's results folder (or what sim.run "
                         "returned).")
    return pd.read_csv(path)


class _ProgressBar:
    """A bar of the replications finished, drawn by tqdm.auto (a widget in a notebook, text on a terminal)."""

    def __init__(self, progress: bool | None, total: int) -> None:
        self.enabled = _interactive() if progress is None else bool(progress)
        self.total = total
        self.bar: Any = None

    def wrap(self, on_result: Callable[[RunResult], None] | None) -> Callable[[RunResult], None] | None:
        if not self.enabled:
            return on_result

        def counted(result: RunResult) -> None:
            if self.bar is not None:
                self.bar.update(1)
            if on_result is not None:
                on_result(result)
        return counted

    def __enter__(self) -> _ProgressBar:
        if self.enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.total, unit="run", desc="replications")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def _interactive() -> bool:
    """In a notebook (an IPython kernel) or on a terminal."""
    shell = sys.modules.get("IPython")
    ip = getattr(shell, "get_ipython", lambda: None)() if shell is not None else None
    return (ip is not None and "IPKernelApp" in getattr(ip, "config", {})) or sys.stderr.isatty()


# The command line's options that messages from the shared layers may name, as sim.run's arguments.
PYTHON_WORDS = {"--workers": "workers", "--executor dask": "executor='dask'", "--executor": "executor",
                "--scheduler": "scheduler", "--resume": "resume=True", "--force": "force=True", "--out": "out=",
                "--replications": "replications", "--max-replications": "max_replications",
                "--precision": "precision"}
_OPTION = re.compile("(" + "|".join(re.escape(w) for w in sorted(PYTHON_WORDS, key=len, reverse=True))
                     + r")(?![\w-])(?: (\d+)\b)?")


def python_terms(text: str) -> str:
    """A message with the command line's options named as :func:`run`'s arguments ("--workers 2": "workers=2")."""
    def word(m: re.Match[str]) -> str:
        name = PYTHON_WORDS[m.group(1)]
        return f"{name.rstrip('=')}={m.group(2)}" if m.group(2) else name
    return _OPTION.sub(word, text)


def _in_python_terms(exc: BaseException) -> BaseException:
    """The same exception, its message naming :func:`run`'s arguments instead of command-line options."""
    if isinstance(exc, InputError):
        problems = [InputProblem(python_terms(p.file), python_terms(p.message), p.key, p.line, p.column)
                    for p in exc.problems]
        exc.problems = problems
        exc.args = (InputError(problems).args[0],)
    elif isinstance(exc, Interrupted):
        state = exc.state
        exc.args = (f"interrupted: {state.finished()} of {state.planned()} replication(s) finished and are kept in "
                    f"{state.out}; to finish the run, call sim.run again with out={str(state.out)!r} and "
                    "resume=True (finished replications are not run again).",)
    elif exc.args and isinstance(exc.args[0], str):
        exc.args = (python_terms(exc.args[0]), *exc.args[1:])
    return exc


def run_request(request: RunRequest, say: Callable[[str], None] | None = None,
                after: Callable[[RunOutcome], None] | None = None) -> Results:
    """Run a checked request (the command line builds its own, worded for the command line)."""
    with Experiment(request, say=say) as experiment:
        outcome = experiment.run()
        if after is not None:
            after(outcome)
        failed = experiment.finish()
    return Results(outcome.out, outcome, failed)


def _whole(name: str, value: object, low: int, high: int | None = None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        limit = f"at least {low}" if high is None else f"from {low} to {high}"
        raise ValueError(f"{name}={value!r}: must be a whole number, {limit}.")


def _check_arguments(*, replications: object, seed: object, workers: object, executor: object, test: object,
                     max_replications: object, out: object, scheduler: object = None) -> None:
    """ValueError, in the API's own terms, for an argument that cannot be right (before anything runs)."""
    _whole("replications", replications, 1)
    _whole("seed", seed, 0, 2**63 - 1)
    _whole("workers", workers, 1)
    _whole("max_replications", max_replications, 1)
    if executor is not None and executor not in EXECUTORS:
        raise ValueError(f"executor={executor!r}: allowed: {' or '.join(repr(e) for e in EXECUTORS)}.")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
        raise ValueError(f"scheduler={scheduler!r}: give a Dask scheduler's address, e.g. 'tcp://127.0.0.1:8786'.")
    if scheduler is not None and executor == "local":
        raise ValueError(f"scheduler={scheduler!r} needs executor='dask' (or leave executor out).")
    if test not in TESTS:
        raise ValueError(f"test={test!r}: allowed: {' or '.join(repr(t) for t in TESTS)}.")
    if out is not None and not str(out).strip():
        raise ValueError(f"out={str(out)!r}: an empty path names no folder; give a folder (or '.' for the current "
                         "one), or leave out= out for a new default folder.")


def _check_precision(precision: dict[str, float] | None, cap: int, start: int) -> dict[str, float]:
    """The precision targets, each checked as ``--precision METRIC=HALFWIDTH`` is."""
    if not precision:
        return {}
    if not isinstance(precision, dict):
        raise ValueError(f"precision={precision!r}: give a mapping of metric to half-width, e.g. "
                         "{'mean_restart_day': 0.5}.")
    targets = {}
    for metric, width in precision.items():
        try:
            name, half = parse_target(f"{metric}={width!r}")
        except ValueError as exc:
            raise ValueError(f"precision={precision!r}: {exc}.") from None
        targets[name] = half
    if cap < start:
        raise ValueError(f"max_replications={cap} is below the {start} replications to start with; raise it or "
                         "lower replications=.")
    return targets


__all__ = ["Results", "compare", "load", "python_terms", "run", "run_request", "scorecard_frame"]
