"""``python -m sim optimize FILE``: the best use of a fixed staff budget, with a selection guarantee."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.arguments import path_arg
from sim.cli.report import add_language_option, check_language, write_after_run
from sim.cli.run import add_executor_options
from sim.experiment.executors import make_executor
from sim.experiment.folder import ClaimedFolder
from sim.experiment.store import STORE_FILES, STORE_NAME


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "optimize", help="deploy a fixed staff budget best: NSGA-II search, then a selection with a guarantee",
        description="Search the integer decisions of an optimisation file (dotted scenario paths with bounds) "
                    "within its budget with NSGA-II (Optuna) on two or more objectives, averaged over the "
                    "uncertainties, on common random numbers; re-run the Pareto candidates and select the best "
                    "on the primary objective with the Kim–Nelson procedure (probability ≥ 1 − α of being within "
                    "δ of the best). Every run goes to " + STORE_NAME + " at once: run the same command again "
                    "to resume a stopped optimisation (finished runs and identical candidates are reused). "
                    "Writes candidates.csv, pareto.csv, recommendation.json, points.csv, summary.csv, "
                    "manifest.json and plots/pareto_front.png.")
    p.add_argument("file", help="optimisation YAML file")
    p.add_argument("--out", type=path_arg, default=None,
                   help="results folder (default: results/optimize/<file name>); reusing it resumes")
    add_executor_options(p)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no messages")
    p.add_argument("--no-report", action="store_true", help="do not write report.html at the end")
    add_language_option(p)
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from sim.optimize.run import run_optimization
    from sim.optimize.spec import load_optimize
    from sim.plotting.decisions import write_pareto_plot
    from sim.scenario.loader import load_scenario
    from sim.sweep.run import ScenarioModel

    if not args.no_report:
        check_language(args.lang)
    spec = load_optimize(args.file)
    loaded = load_scenario(spec.scenario_path)
    model = ScenarioModel(loaded.base, spec.sweep)
    out: Path = args.out or Path("results") / "optimize" / Path(args.file).stem
    say = (lambda text: None) if args.quiet else (lambda text: print(text, file=sys.stderr))
    command = ["python", "-m", "sim", *sys.argv[1:]]
    identity = {"optimisation_file": Path(args.file).name, "scenario": loaded.base.name}
    with ClaimedFolder(out, "optimisation", identity, f"{Path(args.file).name} on scenario '{loaded.base.name}'",
                       command, differs="optimisation file or base scenario",
                       kept=(*STORE_FILES, "optimize.log"), continues=True, can_force=False) as claim:
        with claim.starting(lambda: make_executor(args.executor, args.workers, args.scheduler)) as executor:
            report = run_optimization(spec, model, out, executor, progress=False if args.quiet else None, say=say,
                                      command=command)
        write_pareto_plot(out, args.lang)
        claim.finished()
        rec = report.recommendation
        say(f"Done: {report.candidates} candidate(s), {report.feasible} within the budget, {report.pareto} on "
            f"the Pareto front; {report.ran} run(s) now, {report.reused} reused from the store; "
            f"{report.wall_seconds:.1f} s. Files in {out}.")
        print(f"Recommended: {', '.join(f'{k} = {v}' for k, v in rec['decisions'].items())}")
        print(rec["guarantee"])
        if not args.no_report:  # while the folder is still held: no reader sees it half-reported
            write_after_run(out, args.lang)
    return 1 if report.failed else 0
