"""Experimental designs over the swept parameters, and the sensitivity indices they allow.

Every design is first drawn in the unit hypercube [0, 1]^D and then mapped
to each parameter's values (:meth:`Parameter.from_unit`), so the SALib
problem is always the unit cube: Morris elementary effects are then in
outcome units per full range of the parameter, which makes parameters with
different units comparable. Random and Latin hypercube samples come from
``scipy.stats.qmc`` / a numpy Generator, Sobol' and Morris samples and indices
from SALib; every sampler is seeded.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.sweep.spec import (
    GridDesign,
    LatinHypercubeDesign,
    MorrisDesign,
    Parameter,
    RandomDesign,
    Scalar,
    SobolDesign,
)

AnyDesign = GridDesign | RandomDesign | LatinHypercubeDesign | SobolDesign | MorrisDesign
SOBOL_COLUMNS = ["S1", "S1_conf", "ST", "ST_conf"]
MORRIS_COLUMNS = ["mu_star", "mu_star_conf", "sigma", "mu"]
MAX_POINTS = 1_000_000


@dataclass
class DesignPoints:
    """The points of a design: unit-cube coordinates and the parameter values they map to."""

    unit: np.ndarray  # (points, parameters), in [0, 1]
    values: list[dict[str, Scalar]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.values)


def salib_problem(params: list[Parameter]) -> dict[str, Any]:
    return {"num_vars": len(params), "names": [p.path for p in params], "bounds": [[0.0, 1.0]] * len(params)}


def point_count(params: list[Parameter], design: AnyDesign) -> int:
    """How many points a design has, without drawing it."""
    d = len(params)
    if isinstance(design, GridDesign):
        return int(np.prod([len(p.grid(design.levels)) for p in params]))
    if isinstance(design, SobolDesign):
        return design.samples * (d + 2)
    if isinstance(design, MorrisDesign):
        return design.samples * (d + 1)
    return design.samples


def generate(params: list[Parameter], design: AnyDesign, seed: int) -> DesignPoints:
    """Draw the design's points (``seed`` is used when the design sets none)."""
    n = point_count(params, design)
    if n > MAX_POINTS:
        raise ValueError(f"the design has {n:,} points; the limit is {MAX_POINTS:,}")
    seed = design.seed if design.seed is not None else seed
    d = len(params)
    if isinstance(design, GridDesign):
        axes = [p.grid(design.levels) for p in params]
        values = [dict(zip((p.path for p in params), combo, strict=True)) for combo in itertools.product(*axes)]
        unit = np.array([[i / max(1, len(ax) - 1) for i, ax in zip(idx, axes, strict=True)]
                         for idx in itertools.product(*(range(len(ax)) for ax in axes))], dtype=float)
        return DesignPoints(unit.reshape(len(values), d), values)
    if isinstance(design, RandomDesign):
        unit = np.random.default_rng(seed).random((design.samples, d))
    elif isinstance(design, LatinHypercubeDesign):
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(design.samples)
    elif isinstance(design, SobolDesign):
        from SALib.sample import sobol

        unit = sobol.sample(salib_problem(params), design.samples, calc_second_order=False, seed=seed)
    else:
        from SALib.sample import morris

        unit = morris.sample(salib_problem(params), design.samples, num_levels=design.levels, seed=seed)
    return DesignPoints(unit, _values(params, unit))


def _values(params: list[Parameter], unit: np.ndarray) -> list[dict[str, Scalar]]:
    columns = [p.from_unit(unit[:, j]) for j, p in enumerate(params)]
    return [{p.path: columns[j][i] for j, p in enumerate(params)} for i in range(unit.shape[0])]


def has_sensitivity(design: AnyDesign) -> bool:
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
            rows.append(SensitivityRow(outcome, p.path, p.group, {c: float(indices[c][j]) for c in columns}))
    return rows, notes
