"""What a page needs of a results folder, as plain data (kept in ``docs/_records/*.json``).

Every figure is read from the files the run wrote (``summary.csv``,
``comparison.csv``, ``timeseries.csv``, ``robustness.csv`` …), never typed.
A metric the model no longer reports is left out, and the page then says
"not recorded" where it would have stood: the pages regenerate whatever the
model becomes. Numbers are rounded to 6 significant digits so that the records
stay readable in a diff.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.stats import paired_difference, t_halfwidth

Json = dict[str, Any]


def _r(x: Any) -> float | None:
    """A finite number rounded for the record, or None (not reached, not recorded)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return float(f"{v:.6g}") if math.isfinite(v) else None


def stats(values: Any) -> Json:
    """Mean, 95 % t half-width, range and how many replications reached a value (NaN: never)."""
    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    return {"mean": _r(finite.mean()) if len(finite) else None, "half": _r(t_halfwidth(finite)),
            "min": _r(finite.min()) if len(finite) else None, "max": _r(finite.max()) if len(finite) else None,
            "n": int(len(finite)), "of": int(len(v))}


def manifest(folder: Path) -> Json:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def run_figures(folder: Path, metrics: list[str], references: tuple[str, ...] = ("base",)) -> Json:
    """A run's variants, and for each metric and variant its statistics over replications and its paired
    differences from the ``references`` in ``comparison.csv`` (``diffs[metric]["variant|reference"]``)."""
    summary = pd.read_csv(folder / "summary.csv")
    info = manifest(folder)
    variants = list(info.get("variants") or dict.fromkeys(summary["variant"]))
    present = [m for m in metrics if m in summary.columns]
    out: Json = {"variants": variants, "seed": info.get("seed"), "replications": info.get("replications"),
                 "wall_seconds": _r(info.get("wall_seconds")), "events": info.get("events_simulated"),
                 "metrics": {}, "diffs": {}, "km": {}}
    for m in present:
        out["metrics"][m] = {v: stats(summary.loc[summary["variant"] == v, m]) for v in variants}
    comparison = folder / "comparison.csv"
    if comparison.is_file():
        table = pd.read_csv(comparison)
        # a pair is kept whichever way --all-pairs wrote it (the later variant against the earlier)
        kept = table["metric"].isin(present) & (table["reference"].isin(references)
                                                 | table["variant"].isin([r for r in references if r != "base"]))
        for row in table[kept].itertuples():
            out["diffs"].setdefault(row.metric, {})[f"{row.variant}|{row.reference}"] = {
                "diff": _r(row.mean_difference), "low": _r(row.ci_low), "high": _r(row.ci_high), "n": int(row.n)}
    survival = folder / "restart_survival.csv"
    if survival.is_file():
        for row in pd.read_csv(survival).itertuples():
            out["km"][str(row.variant)] = {"median": _r(row.km_median_restart_day), "low": _r(row.km_median_ci_low),
                                           "high": _r(row.km_median_ci_high), "censored": int(row.censored),
                                           "enterprises": int(row.enterprises)}
    return out


def series_at(folder: Path, columns: list[str], days: list[int], reference: str | None = "base") -> Json:
    """Daily series at chosen days: per column, variant and day, statistics over replications and the
    paired difference from ``reference`` (same replication, common random numbers)."""
    table = pd.read_csv(folder / "timeseries.csv")
    out: Json = {}
    for column in (c for c in columns if c in table.columns):
        per: Json = {}
        for variant, rows in table.groupby("variant", sort=False):
            per[str(variant)] = {}
            for day in days:
                at = rows[rows["day"] == day].sort_values("replication")
                entry = stats(at[column])
                if reference is not None and variant != reference:
                    ref = table[(table["variant"] == reference) & (table["day"] == day)].sort_values("replication")
                    entry["diff"] = _difference(ref[column].to_numpy(), at[column].to_numpy())
                per[str(variant)][str(day)] = entry
        out[column] = per
    return out


def _difference(reference: np.ndarray, variant: np.ndarray) -> Json:
    if len(reference) != len(variant) or not len(variant):
        return {"diff": None, "low": None, "high": None}
    d = paired_difference(reference, variant)
    return {"diff": _r(d.mean_difference), "low": _r(d.ci_low), "high": _r(d.ci_high)}


def robustness(folder: Path) -> Json:
    """A robustness run's table and what its manifest says (ranges, swaps, influence)."""
    info = manifest(folder)
    table = pd.read_csv(folder / "robustness.csv")
    rows = [{k: (_r(v) if isinstance(v, float) else v) for k, v in row.items()} for row in table.to_dict("records")]
    return {"rows": rows, "points": info.get("robustness_points"), "replications": info.get("replications"),
            "seed": info.get("seed"), "metric": info.get("primary_metric"), "mid": info.get("minimal_difference"),
            "ranking_changes": info.get("ranking_changes"), "reversals": info.get("reversals"),
            "influence": {k: _r(v) for k, v in (info.get("influence") or {}).items()},
            "uncertainty": info.get("uncertainty"), "runs": info.get("runs"),
            "wall_seconds": _r(info.get("wall_seconds"))}


def sweep(folder: Path, outcomes: list[str]) -> Json:
    """A sweep's points and each outcome's mean per point."""
    table = pd.read_csv(folder / "summary.csv")
    info = manifest(folder)
    params = [c for c in pd.read_csv(folder / "points.csv").columns if c != "point"]
    rows = []
    for row in table.to_dict("records"):
        rows.append({"point": int(row["point"]), **{p: _plain(row[p]) for p in params},
                     **{o: _r(row.get(f"{o}_mean")) for o in outcomes if f"{o}_mean" in row}})
    return {"parameters": params, "rows": rows, "replications": info.get("replications"),
            "seed": info.get("seed") or (info.get("design") or {}).get("seed"),
            "wall_seconds": _r(info.get("wall_seconds"))}


def _plain(v: Any) -> Any:
    if isinstance(v, str):
        return v
    f = _r(v)
    return int(f) if f is not None and f == int(f) else f


def discovery(folder: Path) -> Json:
    """What ``sim discover`` found: the cases and the boxes (parameter ranges, coverage, density)."""
    info = json.loads((folder / "discovery" / "discovery.json").read_text(encoding="utf-8"))
    return {k: info.get(k) for k in ("outcome", "condition", "parameters", "points", "cases", "base_rate",
                                     "min_density", "boxes")}
