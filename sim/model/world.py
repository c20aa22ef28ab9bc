"""The city of one replication: composes the modules, runs the simulation, collects the results.

Phases, as in desmod: build (the population, the random streams, every module
of :mod:`sim.model.registry` with its own sections of the scenario, then the
firms), run until the horizon, collect (each module's declared series and
metrics, one row per firm for the outcomes). Modules meet each other only
through their ``connect`` parameters and the hooks they listen to.
"""

from __future__ import annotations

import gc
import inspect
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import simpy

from sim.model.enterprise import Enterprise
from sim.model.firm_classes import SIZE_CLASSES
from sim.model.module import HOOKS, Module, ResultView, listens
from sim.model.population import Population
from sim.model.records import ChangeLog, Outcomes
from sim.model.registry import all_modules
from sim.model.timers import TimerWheel
from sim.population import build_population
from sim.random_streams import Streams
from sim.results.run_result import RunResult
from sim.scenario.schema import Scenario


def section(sc: Scenario, path: str) -> Any:
    """The value at a dotted path of the scenario (``policies.relief.targeted``)."""
    value: Any = sc
    for part in path.split("."):
        value = getattr(value, part)
    return value


class City:
    """All modules and firms of one replication.

    ``modules``: the module classes to build (default: the registry's); a test may pass its own
    list, or subclasses of the registered modules, instead of patching anything.
    """

    def __init__(self, sc: Scenario, replication: int, population: Population | None = None,
                 modules: Sequence[type[Module]] | None = None) -> None:
        self.scenario = sc
        self.replication = replication
        self.env = simpy.Environment()
        self.horizon = float(sc.horizon_days)
        self.pop = population if population is not None else build_population(sc, sc.seed, replication)
        self.streams = Streams(sc.seed, replication, self.pop.group_sizes)
        self.timers = TimerWheel(self.env, self.horizon)
        self.log = ChangeLog()
        types = tuple(modules) if modules is not None else all_modules()
        names = [cls.name for cls in types]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"two modules are named {', '.join(repr(n) for n in twice)}")
        self.outcomes = Outcomes(self.pop.n, [col for cls in types for col in cls.OUTCOMES])
        self.enterprises: list[Enterprise] = []
        self.hooks: dict[str, list[Any]] = {}
        self.modules: dict[str, Module] = {}
        for cls in types:
            config = {arg: section(sc, path) for arg, path in cls.SECTIONS.items()}
            self.modules[cls.name] = cls(self, **config)
        built = list(self.modules.values())
        self.hooks = {hook: [m for m in built if listens(m, hook)] for hook in HOOKS}
        self.hooks["cuts_capacity"] = [m for m in built if m.CUTS_CAPACITY]
        self.hooks["limits_capacity"] = [m for m in built if m.LIMITS_CAPACITY]
        for m in built:
            self._connect(m)
        self.update = self.modules["production"].update  # type: ignore[attr-defined]
        self.enterprises = [Enterprise(self, i) for i in range(self.pop.n)]
        for ent in self.enterprises:
            for m in self.hooks["add_firm"]:
                m.add_firm(ent)
        road = self.modules["approval"]
        for ent in self.enterprises:
            self.env.process(road.lifecycle(ent))  # type: ignore[attr-defined]
        for m in self.hooks["start"]:
            m.start()

    def _connect(self, m: Module) -> None:
        """Pass a module the modules its ``connect`` names."""
        connect = getattr(m, "connect", None)
        if connect is None:
            return
        wanted = list(inspect.signature(connect).parameters)
        unknown = [w for w in wanted if w not in self.modules]
        if unknown:
            raise ValueError(f"module '{m.name}' connects to {unknown}, which are not modules of this city "
                             f"({', '.join(self.modules)})")
        connect(**{w: self.modules[w] for w in wanted})

    def module(self, name: str) -> Any:
        """The module registered under ``name``."""
        return self.modules[name]

    # -- run -------------------------------------------------------------------

    def run(self) -> None:
        # The cyclic garbage collector rescans the city's live objects again and again as events
        # are allocated (half the run time at 30,000 firms) and finds almost nothing to free:
        # events are freed by reference counting. Pause it for the run.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            self.env.run(until=self.horizon)
        finally:
            if was_enabled:
                gc.enable()
        for m in self.hooks["finish"]:
            m.finish()

    def events_scheduled(self) -> int:
        # SimPy numbers every scheduled event with Environment._eid; reading it
        # costs nothing during the run, unlike counting in a schedule() override.
        return int(next(self.env._eid))  # type: ignore[attr-defined]

    # -- collect ----------------------------------------------------------------

    def collect(self, variant: str, events: int, wall: float) -> RunResult:
        """Every module's declared series and metrics; one row per firm (a cohort's repeated)."""
        pop = self.pop
        expanded = pop.expand()
        rep = pop.members
        outcomes = ({k: np.repeat(v, rep) for k, v in self.outcomes.columns.items()} if pop.has_cohorts
                    else dict(self.outcomes.columns))
        days = horizon_days(self.scenario)
        view = ResultView(pop=expanded, outcomes=outcomes, members=pop.members, days=days,
                          horizon=self.horizon, events=events)
        series: dict[str, np.ndarray] = {"day": np.arange(days + 1, dtype=float)}
        view.series = series
        built = list(self.modules.values())
        for m in built:
            series.update(m.daily(view))
        summary: dict[str, float] = {}
        for m in built:
            summary.update(m.summary(view))
        attributes: dict[str, Any] = {
            "county": np.asarray(expanded.county_names)[expanded.county] if expanded.county_names else np.asarray([], dtype=str),
            "size_class": np.asarray(SIZE_CLASSES)[expanded.size_class],
            "priority": np.where(expanded.essential, "essential", "normal"),
            "sector": np.asarray(expanded.sector),
            "high_tech": expanded.high_tech.astype(int),
            "gazelle": expanded.gazelle.astype(int),
            "new_project": expanded.new_project.astype(int),
            "workers": expanded.workers,
        }
        for m in built:
            attributes.update(m.firm_columns(view))
        if pop.has_cohorts:  # the simulated enterprise each firm belongs to (its cohort)
            attributes["cohort"] = np.repeat(np.arange(pop.n), pop.members)
        return RunResult(variant=variant, replication=self.replication, outcomes=outcomes, series=series,
                         summary=summary, events=events, wall_seconds=wall, enterprise_ids=list(expanded.ident),
                         attributes=attributes)


def run_replication(sc: Scenario, variant: str, replication: int,
                    population: Population | None = None) -> RunResult:
    """Build, run and collect one replication of one variant."""
    t0 = time.perf_counter()
    city = City(sc, replication, population)
    city.run()
    events = city.events_scheduled()
    wall = time.perf_counter() - t0
    result = city.collect(variant, events, wall)
    result.wall_seconds = time.perf_counter() - t0
    return result


def horizon_days(sc: Scenario) -> int:
    return int(math.ceil(sc.horizon_days))
