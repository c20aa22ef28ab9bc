"""The planner's workbench: ``python -m sim app [SCENARIO]``, what-ifs in the browser.

A planner picks a scenario file and sees its levers as controls (:mod:`sim.app.levers`); "Run"
saves the edited what-if as a scenario file that ``extends:`` the base with only the changed keys
(:mod:`sim.app.whatifs`) and runs it against the base on common random numbers through the
ordinary experiment, in a separate process (:mod:`sim.app.runs`); results are shown as they arrive
(:mod:`sim.app.live`) on a Panel page (:mod:`sim.app.page`) served on 127.0.0.1 only
(:mod:`sim.app.server`).
"""
