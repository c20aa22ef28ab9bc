"""Optimisation of a staff budget: the optimisation file, the NSGA-II search, Kim–Nelson selection.

``python -m sim optimize FILE`` (:mod:`sim.cli.optimize`) runs
:func:`sim.optimize.run.run_optimization`.
"""
