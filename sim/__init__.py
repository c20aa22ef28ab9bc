"""Discrete-event simulator of enterprise reopening policies after a lockdown.

``sim.run`` runs a scenario and ``sim.compare`` gives its scorecard (:mod:`sim.api`); they are
imported on first use, so that ``import sim`` stays quick.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.api import Results, compare, run

try:
    __version__ = version("sim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"

_API = ("run", "compare", "Results")


def __getattr__(name: str) -> Any:
    """``sim.run``, ``sim.compare`` and ``sim.Results`` are :mod:`sim.api`'s own (``help(sim.run)`` shows its
    documentation), imported when first asked for."""
    if name in _API:
        import sim.api

        return getattr(sim.api, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


__all__ = ["Results", "__version__", "compare", "run"]
