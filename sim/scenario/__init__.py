"""The scenario file: schema, loading and validation."""

from sim.scenario.loader import BASE, LoadedScenario, load_scenario
from sim.scenario.schema import Scenario

__all__ = ["BASE", "LoadedScenario", "Scenario", "load_scenario"]
