"""``python -m sim optimize FILE``: the best use of a fixed staff budget, with a selection guarantee."""

from __future__ import annotations

import argparse

from sim.cli.arguments import command_parser
from sim.cli.report import write_after_run
from sim.cli.sweep import Study, add_study_arguments
from sim.experiment.executors import make_executor
from sim.experiment.store import STORE_NAME


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = command_parser(
        sub, "optimize",
        description="Search the integer decisions of an optimisation file (dotted scenario paths with bounds) "
                    "within its budget with NSGA-II (Optuna) on two or more objectives, averaged over the "
                    "uncertainties, on common random numbers; re-run the Pareto candidates and select the best "
                    "on the primary objective with the Kim–Nelson procedure (probability ≥ 1 − α of being within "
                    "δ of the best). Every run goes to " + STORE_NAME + " at once: run the same command again "
                    "to resume a stopped optimisation (finished runs and identical candidates are reused). "
                    "Writes candidates.csv, pareto.csv, recommendation.json, points.csv, summary.csv, "
                    "manifest.json and plots/pareto_front.png.")
    add_study_arguments(p, "optimisation", "optimize", main)


def main(args: argparse.Namespace) -> int:
    from sim.optimize.run import run_optimization
    from sim.optimize.spec import load_optimize
    from sim.plotting.decisions import write_pareto_plot
    from sim.sweep.run import ScenarioModel

    spec = load_optimize(args.file)
    study = Study.of(args, spec.scenario_path, "optimize")
    model = ScenarioModel(study.loaded.base, spec.sweep)
    out, say = study.out, study.say
    with study.claim(args.file, "optimisation", "optimisation", "optimize.log") as claim:
        with claim.starting(lambda: make_executor(args.executor, args.workers, args.scheduler)) as executor:
            report = run_optimization(spec, model, out, executor, progress=False if args.quiet else None, say=say,
                                      command=study.command)
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
