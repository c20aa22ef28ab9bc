"""``python -m sim sweep SWEEP.yaml``: a parameter sweep with a result store that loses nothing."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sim.cli.arguments import command_parser, path_arg
from sim.cli.report import add_language_option, check_language, write_after_run
from sim.cli.run import add_executor_options
from sim.experiment.executors import make_executor
from sim.experiment.folder import ClaimedFolder
from sim.experiment.memory import workers_that_fit
from sim.experiment.run_state import sigterm_as_interrupt
from sim.experiment.store import STORE_FILES, STORE_NAME
from sim.scenario.loader import LoadedScenario, load_scenario
from sim.sweep.run import ScenarioModel, run_sweep
from sim.sweep.spec import SweepSpec, load_sweep


def add_study_arguments(p: argparse.ArgumentParser, what: str, folder: str, handler: Callable[..., int]) -> None:
    """The arguments of a command that runs a file of many runs into a results folder that resumes (a sweep or
    an optimisation): the file, --out, where the runs go, --quiet, --no-report and --lang."""
    p.add_argument("file", help=f"{what} YAML file")
    p.add_argument("--out", type=path_arg, default=None,
                   help=f"results folder (default: results/{folder}/<file name>); reusing it resumes")
    add_executor_options(p)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no messages")
    p.add_argument("--no-report", action="store_true", help="do not write report.html at the end")
    add_language_option(p)
    p.set_defaults(handler=handler)


@dataclass
class Study:
    """A sweep or an optimisation as its command runs it: its base scenario and the folder it claims."""

    loaded: LoadedScenario
    out: Path
    command: list[str]
    say: Callable[[str], None]

    @classmethod
    def of(cls, args: argparse.Namespace, scenario: Path, folder: str) -> Study:
        """Check the report's language first (a long run should not fail at its end), load the base scenario."""
        if not args.no_report:
            check_language(args.lang)
        loaded = load_scenario(scenario)
        say = (lambda text: None) if args.quiet else (lambda text: print(text, file=sys.stderr))
        return cls(loaded, args.out or Path("results") / folder / Path(args.file).stem,
                   ["python", "-m", "sim", *sys.argv[1:]], say)

    def claim(self, file: str, kind: str, what: str, log: str) -> ClaimedFolder:
        """The results folder, held for this file and base scenario (rerunning the same command resumes)."""
        name = Path(file).name
        identity = {f"{what.replace(' ', '_')}_file": name, "scenario": self.loaded.base.name}
        return ClaimedFolder(self.out, kind, identity, f"{name} on scenario '{self.loaded.base.name}'", self.command,
                             differs=f"{what} file or base scenario", kept=(*STORE_FILES, log), continues=True,
                             can_force=False)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = command_parser(
        sub, "sweep",
        description="Run the base scenario at every point of a design over the swept parameters (levers and "
                    "uncertainties), R replications per point on common random numbers. Every finished run is "
                    f"written at once to {STORE_NAME} in the results folder; rerunning into the same folder skips "
                    "the runs already there, so an interrupted sweep resumes where it stopped. Writes points.csv, "
                    "results.csv, summary.csv (mean and 95% CI per point) and, for sobol and morris designs, "
                    "sensitivity.csv. Results do not depend on the executor or the number of workers.")
    add_study_arguments(p, "sweep", "sweeps", main)


def main(args: argparse.Namespace) -> int:
    spec = load_sweep(args.file)
    study = Study.of(args, spec.scenario_path, "sweeps")
    model = ScenarioModel(study.loaded.base, spec)
    workers = workers_that_fit(study.loaded, args.workers, args.scheduler, study.say)
    with study.claim(args.file, "sweep", "sweep", "sweep.log") as claim:
        return _sweep(args, spec, study, model, claim, workers)


def _sweep(args: argparse.Namespace, spec: SweepSpec, study: Study, model: ScenarioModel, claim: ClaimedFolder,
           workers: int | None) -> int:
    out, loaded, say, command = claim.folder, study.loaded, study.say, study.command
    if loaded.variants:
        say(f"note: the sweep varies the base of {spec.scenario_path}; its variants "
            f"({', '.join(loaded.variants)}) are not run.")
    executor = claim.starting(lambda: make_executor(args.executor, workers, args.scheduler))
    try:
        with sigterm_as_interrupt(), executor:
            report = run_sweep(spec, model, out, executor, progress=False if args.quiet else None, say=say,
                               command=command)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: every finished run is already in the store
        print(f"Interrupted: every run that finished is kept in {out / STORE_NAME}. To finish the sweep, run "
              f"the same command again:\n  {shlex.join(command)}", file=sys.stderr)
        return 130
    claim.finished()
    for note in report.notes:
        say(f"note: {note}")
    tables = "points.csv, results.csv, summary.csv" + (", sensitivity.csv" if (out / "sensitivity.csv").exists()
                                                        and spec.design.name in ("sobol", "morris") else "")
    say(f"Done: {report.ran} run(s) now, {report.skipped} skipped (already in the store); "
        f"{report.runs} run(s) in {report.wall_seconds:.1f} s. Tables in {out}: {tables}.")
    if not args.no_report:
        write_after_run(out, args.lang)
    if report.failed:
        print(f"error: {report.failed} run(s) failed; their outcomes are empty in the tables. Tracebacks, "
              f"seeds and parameters are in {out / 'sweep.log'} (and the store's errors table). "
              "Rerun the same command to retry them; finished runs are kept.", file=sys.stderr)
        return 1
    return 0
