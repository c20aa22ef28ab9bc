"""A run's paired differences against its reference as one Markdown table: a row per variant, a column per metric.

    python data/validation/difference_table.py RESULTS_DIR [--metrics M1 M2 ...]

Reads ``comparison.csv`` of a finished run (``python -m sim run FILE``; ``python -m sim compare`` rewrites it
against another reference). Each cell is the mean paired difference (variant − reference) over the common
replications with its 95 % CI half-width; a cell whose interval excludes 0 is in bold. The reference's own
mean is the first row, so that a difference can be read against the level.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

DEFAULT = ["mean_restart_day", "resumed_share_end", "failed_share", "production_index_end", "output_lost_share",
           "loans_disbursed", "green_loans"]


def cell(mean: float, half: float, low: float, high: float, share: bool) -> str:
    scale, unit = (100.0, " pp") if share else (1.0, "")
    text = f"{mean * scale:+.2f} ± {half * scale:.2f}{unit}"
    return f"**{text}**" if low > 0 or high < 0 else text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="results folder of a finished run")
    parser.add_argument("--metrics", nargs="+", default=DEFAULT, help="metrics to show (columns of summary.csv)")
    args = parser.parse_args(argv)
    frame = pd.read_csv(args.folder / "comparison.csv")
    metrics = [m for m in args.metrics if m in set(frame["metric"])]
    missing = [m for m in args.metrics if m not in metrics]
    if missing:
        print(f"(not in this run: {', '.join(missing)})", file=sys.stderr)
    shares = {m for m in metrics if m.endswith("share") or m.endswith("share_end") or m.endswith("index_end")}
    reference = frame["reference"].iloc[0]
    n = int(frame["n"].max())
    print(f"Paired differences against '{reference}' over {n} replications (95 % CI half-width; bold: excludes 0; "
          "shares in percentage points).\n")
    print("| variant | " + " | ".join(metrics) + " |")
    print("|---|" + "---:|" * len(metrics))
    level = frame.drop_duplicates("metric").set_index("metric")["mean_reference"]
    print(f"| {reference} (level) | " + " | ".join(
        f"{level[m] * (100 if m in shares else 1):.2f}{' %' if m in shares else ''}" for m in metrics) + " |")
    for variant, rows in frame.groupby("variant", sort=False):
        by = rows.set_index("metric")
        cells = [cell(by.at[m, "mean_difference"], by.at[m, "half_width"], by.at[m, "ci_low"], by.at[m, "ci_high"],
                      m in shares) if m in by.index else "" for m in metrics]
        print(f"| {variant} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
