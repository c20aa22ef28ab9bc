"""Sensitivity indices of a sweep: Sobol' (first-order and total) and Morris elementary effects.

A Sobol' or Morris design (:mod:`sim.experiment.designs`) is drawn in the unit
cube, so the indices are computed by SALib on that cube: Morris effects are in
outcome units per full range of a parameter, which makes parameters with
different units comparable. Each index comes with its bootstrap confidence
interval, seeded like the design.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from sim.experiment.designs import AnyDesign, DesignPoints, MorrisDesign, SobolDesign, salib_problem
from sim.scenario.ranges import Parameter

SOBOL_COLUMNS = ["S1", "S1_conf", "ST", "ST_conf"]
MORRIS_COLUMNS = ["mu_star", "mu_star_conf", "sigma", "mu"]


def has_sensitivity(design: AnyDesign) -> bool:
    """Whether the design gives sensitivity indices (Sobol' and Morris designs do)."""
    return isinstance(design, SobolDesign | MorrisDesign)


@dataclass
class SensitivityRow:
    outcome: str
    parameter: str
    group: str
    indices: dict[str, float]


def analyze(params: list[Parameter], design: AnyDesign, points: DesignPoints, y: dict[str, np.ndarray],
            seed: int) -> tuple[list[SensitivityRow], list[str]]:
    """Sobol' (S1, ST with bootstrap CIs) or Morris (mu*, its CI, sigma) indices per parameter × outcome.

    ``y[outcome]`` holds one value per design point (the mean over replications).
    Returns the rows and notes on outcomes whose indices are undefined.
    """
    if not has_sensitivity(design):
        return [], []
    seed = design.seed if design.seed is not None else seed
    problem = salib_problem(params)
    columns = SOBOL_COLUMNS if isinstance(design, SobolDesign) else MORRIS_COLUMNS
    rows: list[SensitivityRow] = []
    notes: list[str] = []
    for outcome, values in y.items():
        values = np.asarray(values, dtype=float)
        indices: dict[str, np.ndarray]
        if not np.all(np.isfinite(values)):
            notes.append(f"'{outcome}' is undefined at {int(np.sum(~np.isfinite(values)))} of {len(values)} "
                         "points (e.g. a day never reached); its indices are left empty.")
            indices = {c: np.full(len(params), np.nan) for c in columns}
        elif np.ptp(values) == 0.0:
            notes.append(f"'{outcome}' is the same at every point; no parameter moves it (indices 0).")
            indices = {c: np.zeros(len(params)) for c in columns}
        elif isinstance(design, SobolDesign):
            from SALib.analyze import sobol

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                res = sobol.analyze(problem, values, calc_second_order=False, num_resamples=design.resamples,
                                    conf_level=0.95, seed=seed)
            indices = {c: np.asarray(res[c], dtype=float) for c in columns}
        else:
            assert isinstance(design, MorrisDesign)
            from SALib.analyze import morris

            res = morris.analyze(problem, points.unit, values, num_resamples=design.resamples, conf_level=0.95,
                                 num_levels=design.levels, seed=seed)
            indices = {c: np.asarray(res[c], dtype=float) for c in columns}
        for j, p in enumerate(params):
            rows.append(SensitivityRow(outcome, p.label, p.group, {c: float(indices[c][j]) for c in columns}))
    return rows, notes
