"""``python -m sim run FILE``: run the base and every variant, R replications each."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import numpy as np

from sim.analysis.comparison import DEFAULT_MAX_REPLICATIONS, comparison_table, parse_target
from sim.analysis.stats import TESTS, t_halfwidth
from sim.analysis.survival import median_text
from sim.cli.arguments import command_parser, path_arg
from sim.cli.report import add_language_option, check_language, write_after_run
from sim.errors import ClusterError, InputError, OutputError
from sim.experiment.executors import EXECUTORS
from sim.experiment.experiment import Interrupted, NothingFinished, RunOutcome
from sim.experiment.run_state import sigterm_as_interrupt
from sim.results.run_result import RunResult
from sim.scenario.loader import LoadedScenario, load_scenario

DEFAULT_LANGUAGE = "en"
HEADLINE = [
    ("restarted_share", "restarted", "pct"),
    ("mean_restart_day", "mean restart day", "num"),
    ("day_resumed_50", "day 50%", "num"),
    ("day_resumed_90", "day 90%", "num"),
    ("failed_share", "failed", "pct"),
    ("incidents", "incidents", "num"),
    ("loans_disbursed", "loans", "num"),
]


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def seed_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError("must be between 0 and 2**63-1")
    return value


def precision_target(text: str) -> tuple[str, float]:
    try:
        return parse_target(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_executor_options(p: argparse.ArgumentParser) -> None:
    """--workers, --executor and --scheduler: where the replications run (results do not depend on it)."""
    p.add_argument("--workers", "-w", type=positive_int, default=None,
                   help="worker processes (default: one per core); results do not depend on it")
    p.add_argument("--executor", choices=EXECUTORS, default=None,
                   help="local process pool (default) or dask.distributed (a LocalCluster unless --scheduler)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", default=None,
                   help="address of an existing Dask scheduler (implies --executor dask); its workers need this "
                        "package installed")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = command_parser(sub, "run",
                       description="Run the base and every variant of a scenario file. Writes "
                                   "scenario.resolved.yaml, manifest.json, summary.csv, timeseries.csv, "
                                   "enterprises.csv, resumption.png, comparison.csv (paired differences "
                                   "of every variant against the base), restart_km.csv and "
                                   "restart_survival.csv (Kaplan–Meier restart curves) to the results "
                                   "folder, and prints the headline results (mean ± 95% CI half-width "
                                   "over replications) and the paired differences.")
    p.add_argument("file", help="scenario YAML file")
    p.add_argument("--replications", "-r", type=positive_int, default=None,
                   help="replications per variant (default: the scenario's 'replications')")
    p.add_argument("--seed", type=seed_int, default=None, help="master seed (default: the scenario's 'seed')")
    p.add_argument("--out", type=path_arg, default=None,
                   help="results folder (default: results/<scenario name>/<timestamp>, made anew)")
    add_executor_options(p)
    p.add_argument("--force", action="store_true", help="write into a non-empty results folder")
    p.add_argument("--resume", action="store_true",
                   help="finish an interrupted run in --out: replications finished there are reused, "
                        "not run again (the final tables are the same as an uninterrupted run's)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--no-report", action="store_true",
                   help="do not write report.html and plots/ (write them later with `python -m sim report DIR`)")
    add_language_option(p)
    p.add_argument("--all-pairs", action="store_true",
                   help="compare every pair of variants in comparison.csv, not only each variant against the base")
    p.add_argument("--test", choices=TESTS, default="t",
                   help="p-value of the paired comparison: paired t-test (t, default) or Wilcoxon "
                        "signed-rank (wilcoxon); Holm-corrected over all metrics and pairs either way")
    p.add_argument("--precision", type=precision_target, action="append", default=None,
                   metavar="METRIC=HALFWIDTH",
                   help="add replications in batches until the 95%% CI half-width of every variant's paired "
                        "difference from the base (every pair with --all-pairs) on METRIC (of the mean, with a "
                        "single variant) is at most "
                        "HALFWIDTH, in the metric's unit; repeat for several metrics "
                        "(e.g. --precision mean_restart_day=0.5 --precision restarted_share=0.01)")
    p.add_argument("--max-replications", type=positive_int, default=DEFAULT_MAX_REPLICATIONS,
                   help=f"with --precision: stop at this many replications per variant even if a target "
                        f"is not met (default {DEFAULT_MAX_REPLICATIONS})")
    p.add_argument("--robustness", type=positive_int, default=None, metavar="N",
                   help="instead of one run: run every variant at N Latin-hypercube points of the scenario's "
                        "uncertainty: section (common random numbers) and report, per variant, the share of points "
                        "where it is best on the primary metric, its regret, and whether the ranking changes "
                        "(robustness.csv, robustness_points.csv, report.html); --resume continues an interrupted one")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    loaded = load_scenario(args.file).with_settings(seed=args.seed, replications=args.replications)
    for note in [] if args.quiet else loaded.notices:  # defaults a minimal file took without saying so
        print(f"{args.file}: note: {note}", file=sys.stderr)
    if loaded.base.population.csv is not None and not Path(loaded.base.population.csv).is_file():
        raise InputError.single(args.file, f"population.csv names {loaded.base.population.csv}, which does not exist.",
                                key="population.csv")
    if not args.no_report:
        check_language(args.lang)
    if args.robustness is not None:
        return robustness_main(args, loaded)
    targets = dict(args.precision or [])
    if targets and args.max_replications < loaded.base.replications:
        raise InputError.single(args.file, f"--max-replications {args.max_replications} is below the "
                                f"{loaded.base.replications} replications to start with; raise it or lower "
                                "--replications.", key="replications")
    from sim.api import run_request
    from sim.experiment.experiment import RunRequest

    def after(outcome: RunOutcome) -> None:
        """Printed (and the report written) while the results folder is still the run's."""
        print(headline_table(outcome.results))
        table = comparison_table(outcome.comparison, HEADLINE)
        if table:
            print("\n" + table)
        print("\n" + median_text(outcome.curves))
        if outcome.precision is not None:
            print("\n" + outcome.precision.describe())
        print(f"\nResults in {outcome.out} ({outcome.wall_seconds:.1f} s, "
              f"{sum(r.events for r in outcome.results):,} events).")
        if not args.no_report:
            write_after_run(outcome.out, args.lang)

    # SIGTERM (`kill PID`) is handled like Ctrl-C throughout, the report included
    with sigterm_as_interrupt():
        try:
            request = RunRequest(loaded, ["python", "-m", "sim", *sys.argv[1:]], out=args.out, force=args.force,
                                 resume=args.resume, executor=args.executor, workers=args.workers,
                                 scheduler=args.scheduler, progress=False if args.quiet else None,
                                 all_pairs=args.all_pairs, test=args.test, precision=targets,
                                 max_replications=args.max_replications)
            res = run_request(request, say=lambda m: print(m, file=sys.stderr), after=after)
        except Interrupted as stop:
            print(stop.state.interrupted_message(resume_command(args, stop.state.out)), file=sys.stderr)
            return 130
        except NothingFinished as nothing:
            print(str(nothing), file=sys.stderr)
            return 1
        except (ClusterError, OutputError) as lost:  # workers gone, disk full: what finished is kept, as after Ctrl-C
            if lost.out is None:
                raise
            print(f"error: {lost}\nTo finish the run:\n  {resume_command(args, lost.out)}", file=sys.stderr)
            return 2
    if res.failed:
        print(res.failed, file=sys.stderr)
        return 1
    return 0


def robustness_main(args: argparse.Namespace, loaded: LoadedScenario) -> int:
    """``run FILE --robustness N``: the variants over the declared uncertainty (sim.experiment.robustness)."""
    from sim.analysis.robustness import summary_text
    from sim.experiment.robustness import RobustnessInterrupted, RobustnessRequest, run_robustness

    if args.precision:
        raise InputError.single(args.file, "--precision and --robustness cannot be combined; give the replications "
                                "per point with --replications.")
    request = RobustnessRequest(loaded, args.robustness, ["python", "-m", "sim", *sys.argv[1:]], out=args.out,
                                force=args.force, resume=args.resume, executor=args.executor, workers=args.workers,
                                scheduler=args.scheduler, progress=False if args.quiet else None,
                                report=not args.no_report)
    say = (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr))
    with sigterm_as_interrupt():
        try:
            outcome = run_robustness(request, say)
        except RobustnessInterrupted as stop:
            print(f"\nInterrupted: {stop.finished} of {stop.total} run(s) finished and are kept in "
                  f"{stop.out / 'store.sqlite'}. To finish, resume (finished runs are not run again):\n  "
                  f"{resume_command(args, stop.out)}", file=sys.stderr)
            return 130
    print(summary_text(outcome.robustness, next(iter(outcome.influence), None)))
    print(f"\nResults in {outcome.out} ({outcome.runs} run(s), {outcome.ran} now, {outcome.reused} reused; "
          f"{outcome.wall_seconds:.1f} s): robustness.csv, robustness_points.csv"
          + ("." if args.no_report else ", report.html."))
    if outcome.failed:
        print(f"error: {outcome.failed} run(s) failed (see {outcome.out / 'robustness.log'}); rerun with --resume "
              "to retry them.", file=sys.stderr)
        return 1
    return 0


def resume_command(args: argparse.Namespace, out: Path) -> str:
    """The command that finishes an interrupted run: every option it was given, --resume, shell-quoted."""
    words = ["python", "-m", "sim", "run", str(args.file), "--out", str(out), "--resume"]
    for flag, value in (("--replications", args.replications), ("--seed", args.seed), ("--workers", args.workers),
                        ("--executor", args.executor), ("--scheduler", args.scheduler),
                        ("--robustness", getattr(args, "robustness", None))):
        if value is not None:
            words += [flag, str(value)]
    for flag, on in (("--quiet", args.quiet), ("--no-report", args.no_report), ("--all-pairs", args.all_pairs)):
        if on:
            words.append(flag)
    if not args.no_report and args.lang != DEFAULT_LANGUAGE:
        words += ["--lang", args.lang]
    if args.test != "t":
        words += ["--test", args.test]
    for metric, width in args.precision or []:
        words += ["--precision", f"{metric}={width!r}"]
    if args.precision and args.max_replications != DEFAULT_MAX_REPLICATIONS:
        words += ["--max-replications", str(args.max_replications)]
    return shlex.join(words)


def headline_table(results: list[RunResult]) -> str:
    """Mean ± 95% half-width (t) over replications, one row per variant."""
    variants = list(dict.fromkeys(r.variant for r in results))
    header = ["variant"] + [label for _, label, _ in HEADLINE]
    rows = [header]
    for name in variants:
        runs = [r.summary for r in results if r.variant == name]
        row = [name]
        for key, _, kind in HEADLINE:
            values = np.array([s[key] for s in runs], dtype=float)
            finite = values[~np.isnan(values)]
            if not len(finite):
                row.append("never" if key.startswith("day_") else "–")
                continue
            scale = 100.0 if kind == "pct" else 1.0
            mean = finite.mean() * scale
            text = f"{mean:.1f}" + ("%" if kind == "pct" else "")
            if len(finite) > 1:
                text += f" ±{t_halfwidth(finite) * scale:.1f}"
            if len(finite) < len(values):
                text += f" ({len(values) - len(finite)} never)"
            row.append(text)
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
