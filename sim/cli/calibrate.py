"""``python -m sim calibrate FILE --targets CSV --fit PARAM=LOW:HIGH``: fit parameters to observed points."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.calibration.calibration import Calibration, calibrate
from sim.calibration.fit import DEFAULT_SERIES, Evaluation, FitResult, parse_fit, resolve_params
from sim.calibration.targets import Target, read_targets
from sim.cli.arguments import command_parser, path_arg
from sim.cli.run import add_executor_options, positive_int, seed_int
from sim.experiment.executors import Executor, make_executor
from sim.experiment.folder import ClaimedFolder
from sim.experiment.memory import workers_that_fit
from sim.results.output import default_folder
from sim.scenario.loader import LoadedScenario, load_scenario
from sim.scenario.ranges import Binding, Parameter


def fit_arg(text: str) -> Parameter:
    try:
        return parse_fit(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = command_parser(
        sub, "calibrate",
        description="Fit scenario parameters so that the mean simulated series (default: the share of above-scale "
                    "enterprises resumed) matches observed points at their dates. Loss: sum of squared differences, "
                    "on common random numbers (replications 0..R-1 for every candidate); optimizer: differential "
                    "evolution with a fixed seed. Writes the calibrated scenario (a copy of the input with the "
                    "fitted values and provenance notes), fit.csv, fit.png and calibration.json.")
    p.add_argument("file", help="scenario YAML file")
    p.add_argument("--targets", required=True, type=path_arg,
                   help="CSV of observed points: columns region, date (YYYY-MM-DD), share_of_firms_resumed")
    p.add_argument("--fit", dest="fits", action="append", required=True, type=fit_arg, metavar="PARAM=LOW:HIGH",
                   help="a parameter to fit and its range, as a dotted path, e.g. approval.review_days.mean=0.1:2 "
                        "or counties[*].approval_reviewers=1:8 (repeat for several)")
    p.add_argument("--region", default=None,
                   help="use only the target rows of this region (e.g. liaoning), or of several, comma-separated "
                        "(e.g. liaoning,shenyang)")
    p.add_argument("--series", default=DEFAULT_SERIES,
                   help=f"daily series compared with the targets (default: {DEFAULT_SERIES})")
    p.add_argument("--replications", "-r", type=positive_int, default=None,
                   help="replications per candidate (default: the scenario's 'replications')")
    p.add_argument("--seed", type=seed_int, default=None, help="master seed (default: the scenario's 'seed')")
    p.add_argument("--maxiter", type=positive_int, default=4, help="generations of differential evolution (default 4)")
    p.add_argument("--popsize", type=positive_int, default=5,
                   help="population per fitted parameter (default 5); evaluations ≈ popsize × params × (maxiter+1)")
    p.add_argument("--optimizer-seed", type=seed_int, default=1, help="seed of the optimizer (default 1)")
    p.add_argument("--out", type=path_arg, default=None,
                   help="results folder (default: results/<scenario name>/calibration-<timestamp>)")
    add_executor_options(p)
    p.add_argument("--force", action="store_true", help="write into a non-empty results folder")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    loaded = load_scenario(args.file).with_settings(seed=args.seed, replications=args.replications)
    base = loaded.base
    targets = read_targets(args.targets, args.region)
    slots = resolve_params(base, args.fits, str(args.file))
    workers = workers_that_fit(loaded, args.workers, args.scheduler, lambda text: print(text, file=sys.stderr))
    out = args.out or default_folder(loaded, prefix="calibration-")
    with ClaimedFolder(out, "calibration", {"scenario": base.name, "targets": Path(args.targets).name},
                       f"scenario '{base.name}' against {Path(args.targets).name}",
                       ["python", "-m", "sim", *sys.argv[1:]], differs="scenario or targets", force=args.force,
                       made=args.out is None) as claim:
        with claim.starting(lambda: make_executor(args.executor, workers, args.scheduler)) as executor:
            code = _calibrate(args, loaded, targets, slots, out, executor)
        claim.finished()
        return code


def _calibrate(args: argparse.Namespace, loaded: LoadedScenario, targets: list[Target], slots: list[Binding],
               out: Path, executor: Executor) -> int:
    base = loaded.base
    total = max(5, args.popsize * len(slots)) * (args.maxiter + 1)
    print(f"Calibrating '{base.name}': {', '.join(s.parameter.label for s in slots)} to {len(targets)} point(s) of "
          f"{args.targets}; {base.replications} replication(s) per candidate, about {total} candidates → {out}",
          file=sys.stderr)
    count = [0]
    best = [float("inf")]

    def progress(ev: Evaluation) -> None:
        count[0] += 1
        best[0] = min(best[0], ev.loss)
        if not args.quiet:
            values = ", ".join(f"{s.parameter.label}={v:.4g}" for s, v in zip(slots, ev.x, strict=True))
            print(f"  [{count[0]:>3}/{total}] {values}: loss {ev.loss:.5f} (best {best[0]:.5f})", file=sys.stderr)

    request = Calibration(loaded, Path(args.file), targets, Path(args.targets), slots, out,
                          ["python", "-m", "sim", "calibrate", *_argv_of(args, base.replications, base.seed)],
                          region=args.region, series=args.series, maxiter=args.maxiter, popsize=args.popsize,
                          optimizer_seed=args.optimizer_seed)
    done = calibrate(request, executor, progress)
    print(summary_text(done.result, done.table))
    print(f"\nCalibrated scenario, fit.csv, fit.png and calibration.json in {out} ({done.wall_seconds:.1f} s).")
    return 0


def _argv_of(args: argparse.Namespace, replications: int, seed: int) -> list[str]:
    """The arguments that reproduce this fit (the output folder aside)."""
    parts = [str(args.file), "--targets", str(args.targets)]
    for f in args.fits:
        parts += ["--fit", f"{f.label}={f.low:g}:{f.high:g}"]
    if args.region:
        parts += ["--region", args.region]
    if args.series != DEFAULT_SERIES:
        parts += ["--series", args.series]
    parts += ["--replications", str(replications), "--seed", str(seed), "--maxiter", str(args.maxiter),
              "--popsize", str(args.popsize), "--optimizer-seed", str(args.optimizer_seed)]
    return parts


def summary_text(result: FitResult, table: Any) -> str:
    lines = ["fitted parameters:"]
    for slot, v in zip(result.slots, result.x, strict=True):
        lines.append(f"  {slot.parameter.label} = {v:.6g}   (range {slot.parameter.low:g}–{slot.parameter.high:g}, "
                     f"was {slot.start:.6g})")
    lines.append(f"loss (sum of squared differences) = {result.loss:.3e} after {result.evaluations} evaluations "
                 f"({result.distinct} distinct)")
    lines.append("")
    lines.append(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    return "\n".join(lines)

