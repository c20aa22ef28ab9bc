"""``python -m sim run FILE``: run the base and every variant, R replications each."""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

from sim.errors import InputError
from sim.model.world import RunResult
from sim.output import default_folder, prepare_folder, write_results
from sim.runner import default_workers, execute, tasks_for
from sim.scenario.loader import load_scenario

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


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("run", help="run a scenario: the base and every variant, R replications each",
                       description="Run the base and every variant of a scenario file. Writes "
                                   "scenario.resolved.yaml, manifest.json, summary.csv, timeseries.csv, "
                                   "enterprises.csv and resumption.png to the results folder, and prints "
                                   "the headline results (mean ± 95%% CI half-width over replications).")
    p.add_argument("file", help="scenario YAML file")
    p.add_argument("--replications", "-r", type=positive_int, default=None,
                   help="replications per variant (default: the scenario's 'replications')")
    p.add_argument("--seed", type=seed_int, default=None, help="master seed (default: the scenario's 'seed')")
    p.add_argument("--out", type=Path, default=None,
                   help="results folder (default: results/<scenario name>/<timestamp>)")
    p.add_argument("--workers", "-w", type=positive_int, default=None,
                   help="worker processes (default: one per core); results do not depend on it")
    p.add_argument("--force", action="store_true", help="write into a non-empty results folder")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    loaded = load_scenario(args.file)
    updates: dict[str, int] = {}
    if args.seed is not None:
        updates["seed"] = args.seed
    if args.replications is not None:
        updates["replications"] = args.replications
    if updates:
        loaded = loaded.with_settings(**updates)
    if loaded.base.population.csv is not None and not Path(loaded.base.population.csv).is_file():
        raise InputError.single(args.file, f"population.csv names {loaded.base.population.csv}, which does not exist.",
                                key="population.csv")
    out = prepare_folder(args.out or default_folder(loaded), args.force)
    workers = args.workers or default_workers()
    tasks = tasks_for(loaded, loaded.base.replications)
    print(f"Running '{loaded.base.name}': {len(loaded.all_variants())} variant(s) × "
          f"{loaded.base.replications} replication(s) on {min(workers, len(tasks))} worker(s) → {out}",
          file=sys.stderr)
    t0 = time.perf_counter()
    results = execute(tasks, workers, progress=False if args.quiet else None)
    wall = time.perf_counter() - t0
    write_results(out, loaded, results, wall, ["python", "-m", "sim", *sys.argv[1:]], workers)
    print(headline_table(results))
    print(f"\nResults in {out} ({wall:.1f} s, {sum(r.events for r in results):,} events).")
    return 0


def headline_table(results: list[RunResult]) -> str:
    """Mean ± 95% half-width (t) over replications, one row per variant."""
    from scipy import stats

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
                half = stats.t.ppf(0.975, len(finite) - 1) * finite.std(ddof=1) / math.sqrt(len(finite)) * scale
                text += f" ±{half:.1f}"
            if len(finite) < len(values):
                text += f" ({len(values) - len(finite)} never)"
            row.append(text)
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
