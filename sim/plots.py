"""Plots of a run (kept for ``sim.output``); the figures live in :mod:`sim.plotting`."""

from __future__ import annotations

from sim.plotting import make_plots, resumption_plot

__all__ = ["make_plots", "resumption_plot"]
