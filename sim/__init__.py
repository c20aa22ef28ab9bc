"""Discrete-event simulator of enterprise reopening policies after a lockdown."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from os import PathLike
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.api import Results
    from sim.scenario.loader import LoadedScenario

try:
    __version__ = version("sim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"


def run(scenario: str | PathLike[str] | LoadedScenario, replications: int | None = None,
        **options: Any) -> Results:
    """Run a scenario file like ``python -m sim run``; returns its tables as DataFrames (see :mod:`sim.api`).

    ``res = sim.run("scenarios/fast-track.yaml", replications=8)``: ``res.summary``, ``res.series``,
    ``res.comparison``, ``res.enterprises`` and ``res.out`` (the results folder).
    """
    from sim.api import run as _run

    return _run(scenario, replications, **options)
