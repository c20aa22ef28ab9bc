"""A calibration run: fit, then write the calibrated scenario, fit.csv, fit.png and calibration.json.

``python -m sim calibrate`` is this module with a command line around it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sim.calibration.fit import (
    DEFAULT_SERIES,
    Evaluation,
    FitResult,
    fit,
    fit_plot,
    fit_table,
)
from sim.calibration.targets import Target
from sim.experiment.executors import Executor
from sim.results.output import write_file, write_text
from sim.scenario.loader import LoadedScenario, load_scenario
from sim.scenario.paths import get_value, set_value
from sim.scenario.ranges import Binding


@dataclass
class Calibration:
    """What to fit to what, and where the results go."""

    loaded: LoadedScenario
    file: Path  # the scenario file, copied with the fitted values
    targets: list[Target]
    target_file: Path
    slots: list[Binding]
    out: Path
    command: list[str]  # the command that reproduces the fit
    region: str | None = None
    series: str = DEFAULT_SERIES
    maxiter: int = 4
    popsize: int = 5
    optimizer_seed: int = 1


@dataclass
class Calibrated:
    result: FitResult
    table: Any  # DataFrame: observed and simulated at each target
    wall_seconds: float


def calibrate(req: Calibration, executor: Executor,
              on_evaluation: Callable[[Evaluation], None] | None = None) -> Calibrated:
    """Fit on ``executor`` and write the results folder."""
    base = req.loaded.base
    t0 = time.perf_counter()
    result = fit(base, req.slots, req.targets, str(req.target_file), base.replications, executor, req.maxiter,
                 req.popsize, req.optimizer_seed, req.series, on_evaluation)
    wall = time.perf_counter() - t0
    table = fit_table(result, req.targets)
    out = req.out
    calibrated = calibrated_document(req.file, base.model_dump(mode="json", by_alias=True), result, req.targets,
                                     req.target_file, base.replications, base.seed)
    write_text(out / "scenario.calibrated.yaml", yaml.safe_dump(calibrated, allow_unicode=True, sort_keys=False))
    load_scenario(out / "scenario.calibrated.yaml")  # the copy must itself be a valid scenario
    write_file(out / "fit.csv", lambda p: table.to_csv(p, index=False))
    write_file(out / "fit.png", lambda p: fit_plot(result, req.targets, p, req.series,
                                                   f"Calibration of {base.name}: {req.series}"))
    report = {
        "scenario_file": str(req.file), "targets": str(req.target_file), "region": req.region, "series": req.series,
        "seed": base.seed, "replications": base.replications,
        "parameters": [{"path": s.parameter.label, "low": s.parameter.low, "high": s.parameter.high,
                        "integer": s.whole, "start": s.start, "fitted": v} for s, v in zip(req.slots, result.x, strict=True)],
        "loss": result.loss, "evaluations": result.evaluations, "distinct_candidates": result.distinct,
        "optimizer": result.optimizer, "command": req.command, "wall_seconds": round(wall, 2),
        "fit": json.loads(table.to_json(orient="records")),
    }
    write_text(out / "calibration.json", json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return Calibrated(result, table, wall)


def calibrated_document(file: Path, resolved: dict[str, Any], result: FitResult, targets: list[Target],
                        target_file: Path, replications: int, seed: int) -> dict[str, Any]:
    """A copy of the input file's YAML with the fitted values set and provenance notes added."""
    raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    points = ", ".join(f"{t.date}: {t.share:g}" for t in targets)
    region = ", ".join(sorted({t.region for t in targets}))
    provenance = raw.get("provenance") or {}
    raw["provenance"] = provenance
    for slot, value in zip(result.slots, result.x, strict=True):
        v: float | int = int(round(value)) if slot.whole else round(float(value), 6)
        for path in slot.dotted:
            set_value(raw, path, v, resolved)
            key, field = provenance_key(resolved, path)
            note = (f"calibrated: {field}fitted to {target_file.name} points ({region}: {points}), "
                    f"range {slot.parameter.low:g}–{slot.parameter.high:g}, {replications} replications, "
                    f"seed {seed}; loss {result.loss:.2e}")
            old = provenance.get(key)
            provenance[key] = f"{note}; before: {old}" if old and not old.startswith("calibrated:") else note
    return raw


def provenance_key(resolved: dict[str, Any], path: str) -> tuple[str, str]:
    """The provenance key of a fitted path: a distribution's own key for its fields (mean, cv …)."""
    parent, dot, last = path.rpartition(".")
    if dot:
        try:
            node = get_value(resolved, parent)
        except (KeyError, IndexError, TypeError):
            return path, ""
        if isinstance(node, dict) and "dist" in node:
            return parent, f"{last} "
    return path, ""
