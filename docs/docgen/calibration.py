"""What the calibration points can and cannot identify: the loss around the fit, one parameter at a time.

The loss is the one ``python -m sim calibrate`` minimises
(:class:`sim.calibration.fit.Objective`: squared distance between the mean
simulated above-scale resumption share and the observed Liaoning and Shenyang
points), on the same replications and seed. Each parameter moves alone, the
others at the default scenario's values; a loss that rises on both sides marks
a value the points identify, one that stays low on a side a bound.
"""

from __future__ import annotations

import os

import numpy as np

from docgen import ROOT
from docgen.results import Json, _r
from docgen.workspace import Workspace

TARGETS = "data/targets/resumption_above_scale_2020.csv"
REGIONS = "liaoning,shenyang"
REPLICATIONS = 4
# (parameter, values tried besides the scenario's own): the three fitted, then tasks that were not fitted
PROFILE: tuple[tuple[str, tuple[float, ...]], ...] = (
    ("preparation.supplies.market_days.mean", (4.0, 5.5, 8.0, 10.0)),
    ("preparation.supplies.market_days.cv", (1.0, 1.5, 2.5)),
    ("preparation.supplies.allocation_days.mean", (5.0, 8.0, 15.0)),
    ("preparation.supplies.initial_availability", (0.05, 0.3)),
    ("approval.preparation_days.mean", (2.0, 8.0)),
    ("preparation.plan.plan_days.mean", (2.0, 8.0)),
)


def profile(ws: Workspace) -> Json:
    from sim.calibration.fit import DEFAULT_SERIES, Objective, check_targets, resolve_params
    from sim.calibration.targets import read_targets
    from sim.experiment.executors import LocalExecutor
    from sim.scenario.loader import load_scenario
    from sim.scenario.ranges import Parameter

    file = ws.root / "scenarios" / "tieling-2020.yaml"
    base = load_scenario(file).base
    targets = read_targets(ROOT / TARGETS, REGIONS)
    slots = resolve_params(base, [Parameter(paths=[p], low=0.0, high=1e9) for p, _ in PROFILE], str(file))
    start = [s.start for s in slots]
    replications = ws.replications(REPLICATIONS)
    executor = LocalExecutor(min(2, os.cpu_count() or 1))
    try:
        days = check_targets(base, targets, TARGETS, DEFAULT_SERIES)
        objective = Objective(base, slots, days, np.array([t.share for t in targets]), replications,
                              executor=executor)
        at_fit = objective(np.array(start))
        rows: list[Json] = []
        for i, (path, values) in enumerate(PROFILE):
            tried = []
            for v in sorted({*values, start[i]}):
                x = list(start)
                x[i] = v
                tried.append({"value": _r(v), "loss": _r(objective(np.array(x))), "scenario": v == start[i]})
            rows.append({"parameter": path, "scenario_value": _r(start[i]), "tried": tried})
    finally:
        executor.close()
    return {"targets": TARGETS, "regions": REGIONS, "replications": replications, "seed": base.seed,
            "loss_at_scenario": _r(at_fit), "profile": rows,
            "commands": [{"command": f"sim.calibration.fit.Objective on scenarios/tieling-2020.yaml, {TARGETS} "
                                     f"({REGIONS}), {replications} replications, seed {base.seed}: "
                                     f"{sum(len(r['tried']) for r in rows) - len(rows) + 1} evaluations",
                          "seconds": 0.0}]}

