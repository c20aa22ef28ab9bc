"""``python -m sim discover SWEEP_DIR --outcome METRIC --condition "…"``: where a condition holds (PRIM)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sim.cli.arguments import command_parser, path_arg
from sim.errors import InputError
from sim.plotting.folder import manifest_of

DISCOVERY = "discovery"


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = command_parser(
        sub, "discover",
        description="Scenario discovery on a finished sweep: marks each design point where the condition on the "
                    "outcome's mean over replications holds (e.g. \"mean_restart_day > 20\"), then PRIM finds "
                    "boxes of the swept parameters that hold most of those points (coverage) and mostly those "
                    "points (density). Writes discovery/boxes.csv, discovery/trajectory.csv, "
                    "discovery/discovery.json and plots/peeling_trajectory.png in the sweep folder.")
    p.add_argument("folder", type=path_arg, help="results folder of `python -m sim sweep` (points.csv, summary.csv)")
    p.add_argument("--outcome", required=True, help="an outcome of the sweep, e.g. mean_restart_day")
    p.add_argument("--condition", required=True,
                   help="when a point is a case of interest: \"OUTCOME OP NUMBER\" or \"OP NUMBER\" "
                        "(OP one of >, >=, <, <=, ==, !=)")
    p.add_argument("--parameters", default=None,
                   help="comma-separated parameters to search over (default: the sweep's uncertainties, or all "
                        "its parameters if it has none)")
    p.add_argument("--boxes", type=int, default=3, help="at most this many boxes (default 3)")
    p.add_argument("--min-density", type=float, default=0.8,
                   help="choose on each peeling trajectory the box of largest coverage with at least this density "
                        "(default 0.8)")
    p.add_argument("--peel-alpha", type=float, default=0.05, help="share of points peeled per step (default 0.05)")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from sim.experiment.folder import reading

    with reading(args.folder, "discover", ("sweep", "optimisation"), ["python", "-m", "sim", *sys.argv[1:]]):
        return _discover(args)


def _discover(args: argparse.Namespace) -> int:
    import pandas as pd

    from sim.analysis.discovery import discover, parse_condition
    from sim.plotting.decisions import write_peeling_plot
    from sim.results.output import atomic_write, write_text

    folder: Path = args.folder
    summary_file, points_file = folder / "summary.csv", folder / "points.csv"
    if not summary_file.is_file() or not points_file.is_file():
        raise InputError.single(folder, "is not a finished sweep folder: it needs points.csv and summary.csv "
                                "(written by `python -m sim sweep`).")
    if not 0 < args.min_density <= 1 or not 0 < args.peel_alpha < 0.5 or args.boxes < 1:
        raise InputError.single("--min-density/--peel-alpha/--boxes", "--min-density must be in (0, 1], "
                                "--peel-alpha in (0, 0.5) and --boxes at least 1.")
    summary = pd.read_csv(summary_file)
    column = f"{args.outcome}_mean"
    outcomes = [c[: -len("_mean")] for c in summary.columns if c.endswith("_mean")]
    if column not in summary.columns:
        raise InputError.single("--outcome", f"'{args.outcome}' is not an outcome of this sweep; its outcomes: "
                                f"{', '.join(outcomes)}.")
    try:
        condition = parse_condition(args.condition, args.outcome)
    except ValueError as exc:
        raise InputError.single("--condition", f"{exc}.") from None
    manifest = manifest_of(folder)
    names = _parameters(args.parameters, manifest, summary)
    values = summary[column].to_numpy(dtype=float)
    keep = pd.notna(values)
    x = summary.loc[keep, names].reset_index(drop=True)
    found = discover(x, condition.holds(values[keep]), condition, args.boxes, args.min_density, args.peel_alpha)
    out = folder / DISCOVERY
    rows = [{"box": b.number, "parameter": p, "min": lo, "max": hi, "quasi_p": b.quasi_p.get(p),
             "coverage": b.coverage, "density": b.density, "mass": b.mass}
            for b in found.boxes for p, (lo, hi) in (b.limits.items() or {"(none)": (None, None)}.items())]
    frame = pd.DataFrame(rows, columns=["box", "parameter", "min", "max", "quasi_p", "coverage", "density", "mass"])
    atomic_write(out / "boxes.csv", lambda p: frame.to_csv(p, index=False))
    traj = pd.DataFrame(found.trajectory, columns=["box", "step", "coverage", "density", "mass", "restricted"])
    atomic_write(out / "trajectory.csv", lambda p: traj.to_csv(p, index=False))
    info: dict[str, Any] = {
        "outcome": args.outcome, "condition": str(condition), "parameters": names, "points": found.points,
        "cases": found.cases, "base_rate": found.base_rate, "min_density": args.min_density,
        "peel_alpha": args.peel_alpha, "skipped_points": int((~keep).sum()),
        "boxes": [{"box": b.number, "limits": b.limits, "coverage": b.coverage, "density": b.density,
                   "mass": b.mass, "quasi_p": b.quasi_p} for b in found.boxes],
        "command": ["python", "-m", "sim", *sys.argv[1:]],
    }
    write_text(out / "discovery.json", json.dumps(info, indent=2, ensure_ascii=False, default=str) + "\n")
    if found.boxes:
        write_peeling_plot(folder)
    if not args.quiet:
        print(f"{found.cases} of {found.points} point(s) have {condition} (base rate {found.base_rate:.2f}).")
        for b in found.boxes:
            where = "; ".join(_limit_text(p, lo, hi) for p, (lo, hi) in b.limits.items()) or "no restriction"
            print(f"box {b.number}: {where} — coverage {b.coverage:.2f}, density {b.density:.2f}, "
                  f"mass {b.mass:.2f}")
        if not found.boxes:
            print("no box: " + ("no point, or every point, meets the condition." if found.cases in (0, found.points)
                                else "no box is denser in cases than the sweep as a whole."))
        print(f"Files in {out}.")
    return 0


def _parameters(text: str | None, manifest: dict[str, Any], summary: Any) -> list[str]:
    listed = [p for p in manifest.get("parameters", []) if isinstance(p, dict) and p.get("path") in summary.columns]
    if text:
        names = [n.strip() for n in text.split(",") if n.strip()]
        unknown = [n for n in names if n not in summary.columns]
        if unknown:
            known = [str(p["path"]) for p in listed]
            raise InputError.single("--parameters", f"{', '.join(unknown)} not swept; the sweep's parameters: "
                                    f"{', '.join(known)}.")
        return names
    uncertain = [str(p["path"]) for p in listed if p.get("group") == "uncertainty"]
    names = uncertain or [str(p["path"]) for p in listed]
    if not names:
        raise InputError.single("--parameters", "the sweep's manifest.json lists no parameters; name them with "
                                "--parameters.")
    return names


def _limit_text(name: str, lo: Any, hi: Any) -> str:
    if isinstance(lo, list):
        return f"{name} in {{{', '.join(map(str, lo))}}}"
    return f"{lo:.4g} ≤ {name} ≤ {hi:.4g}"
