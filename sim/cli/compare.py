"""``python -m sim compare RESULTS_DIR``: compare the variants of a finished run again, without rerunning it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.analysis.comparison import compare, comparison_table
from sim.analysis.stats import TESTS
from sim.cli.arguments import command_parser, path_arg
from sim.cli.run import HEADLINE
from sim.errors import InputError
from sim.experiment.folder import reading
from sim.results.output import update_manifest, write_frame


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = command_parser(sub, "compare",
                       description="Read summary.csv of a finished run's results folder and rewrite comparison.csv: "
                                   "paired differences on common random numbers of every variant against a "
                                   "reference (or every pair), with 95% t intervals and Holm-adjusted p-values. "
                                   "Nothing is simulated again; `python -m sim report RESULTS_DIR` then redraws "
                                   "the report.")
    p.add_argument("folder", type=path_arg, help="results folder of a finished run (holding summary.csv)")
    p.add_argument("--reference", default="base", help="the variant the others are compared with (default: base)")
    p.add_argument("--all-pairs", action="store_true", help="compare every pair of variants")
    p.add_argument("--test", choices=TESTS, default="t",
                   help="p-value: paired t-test (t, default) or Wilcoxon signed-rank (wilcoxon)")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    folder: Path = args.folder
    with reading(folder, "compare", ("run",), ["python", "-m", "sim", *sys.argv[1:]]):
        frame = _compare(args, folder)
    table = comparison_table(frame, HEADLINE)
    if table:
        print(table)
    print(f"\ncomparison.csv rewritten in {folder}; `python -m sim report {folder}` redraws the report.",
          file=sys.stderr)
    return 0


def _compare(args: argparse.Namespace, folder: Path) -> Any:
    """Read summary.csv, compare again, rewrite comparison.csv (and note it in the manifest)."""
    import pandas as pd

    path = folder / "summary.csv"
    if not path.is_file():
        raise InputError.single(folder, "there is no summary.csv here: give the results folder of a finished "
                                "`python -m sim run`.")
    try:
        summary = pd.read_csv(path)
    except (ValueError, OSError) as exc:
        raise InputError.single(path, f"cannot read the table: {exc}.") from None
    if not {"variant", "replication"} <= set(summary.columns):
        raise InputError.single(path, "this is not the summary.csv of a run (no 'variant' and 'replication' columns).")
    variants = list(dict.fromkeys(summary["variant"]))
    if len(variants) < 2:
        raise InputError.single(path, f"the run has one variant ({variants[0] if variants else 'none'}): "
                                "there is nothing to compare.")
    if args.reference not in variants:
        raise InputError.single(path, f"--reference {args.reference}: no such variant; the run has "
                                f"{', '.join(variants)}.")
    frame = compare(summary, reference=args.reference, all_pairs=args.all_pairs, test=args.test)
    write_frame(folder / "comparison.csv", frame)
    if (folder / "manifest.json").is_file():
        update_manifest(folder, {"comparison": {"reference": args.reference, "all_pairs": args.all_pairs,
                                                "test": args.test}})
    return frame
