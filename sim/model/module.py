"""A mechanism is a module: what it declares, and the hooks a city calls.

A module (approval, offices, inspection, cadres, preparation, workforce,
problems, money, loans, a relief measure, outbreaks, production …) is one
class that declares, as class attributes:

- ``SECTIONS``: the scenario sections it is built from, as dotted paths
  (``{"config": "outbreak"}``): the city resolves them and passes each as the
  keyword argument of that name, so a module never reads the scenario itself;
- ``STREAMS``: the purposes of the per-firm random draws it makes
  (``ent.u(purpose)``); a purpose belongs to one module (checked across the
  registry); a name ending in ``*`` is a family (``return:*``);
- ``OUTCOMES``: the per-firm columns of ``enterprises.csv`` it fills;
- ``METRICS``: the summary metrics it computes (``summary.csv``), each with
  its labels, unit, which way is better, format and minimal important
  difference;
- ``SERIES``: the daily series it computes (``timeseries.csv``).

The summary, time series, comparison, scorecard, report tables and plots read
these declarations (through :mod:`sim.model.catalogue`); none keeps a list of
its own.

A module gets the city (:class:`City`, a protocol: the environment, the
population, the streams, the other modules through their declared
interfaces) and its configuration when built; it keeps the per-firm state it
owns (arrays or lists indexed by firm), schedules its processes and events,
and listens to the hooks it overrides (a firm restarted, failed, changed;
the run started or ended). At the end it contributes its results through
:meth:`Module.summary` and :meth:`Module.daily`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

import numpy as np

from sim.model.firm_classes import SIZE_CLASSES
from sim.model.records import Outcome

if TYPE_CHECKING:
    import simpy

    from sim.model.enterprise import Enterprise
    from sim.model.population import Population
    from sim.model.records import ChangeLog, Outcomes
    from sim.model.timers import TimerWheel
    from sim.random_streams import Streams

Better = Literal["lower", "higher"]
Format = Literal["day", "days", "share", "count", "yuan", "number", "hours"]
SeriesKind = Literal["level", "flow", "average"]
Group = Literal["size_class", "county", "sector"]
View = Literal["headline", "scorecard", "comparison", "forest"]


@dataclass(frozen=True)
class Metric:
    """One summary metric (a column of ``summary.csv``), declared by the module that computes it.

    ``by``: the metric also exists per size class and/or county, as ``<key>_<group>`` columns.
    ``better``: which way is better (None: neither, e.g. more loans can mean more help or more
    distress). ``mid``: the default minimal important difference in the metric's own unit.
    ``rank``: its place among the headline metrics (None: not a headline metric), shown in the
    ``views`` named (the report's headline table, the decision scorecard, the comparison table,
    the forest plot). ``cost``: its place among what a variant costs (None: not a cost).
    ``censored``: a threshold day, empty when a replication never reaches it.
    """

    key: str
    meaning: str
    label: tuple[str, str]  # short name (English, Chinese)
    unit: str
    fmt: Format = "number"
    better: Better | None = None
    mid: float | None = None
    by: tuple[Group, ...] = ()
    rank: float | None = None
    views: tuple[View, ...] = ("headline", "scorecard", "comparison", "forest")
    cost: int | None = None
    censored: bool = False

    @property
    def direction(self) -> int:
        """-1 when lower is better, +1 when higher is better, 0 when neither."""
        return {"lower": -1, "higher": 1}.get(self.better or "", 0)


@dataclass(frozen=True)
class Series:
    """One daily series (a column of ``timeseries.csv``), declared by the module that computes it.

    ``kind``: a level at t = d, a flow over (d−1, d], or a time average over that day (row 0 holds 0).
    ``by``: the series also exists per size class and/or county.
    """

    key: str
    meaning: str
    label: tuple[str, str]  # title of a plot of the series (English, Chinese)
    unit: str
    kind: SeriesKind = "level"
    by: tuple[Group, ...] = ()
    short: tuple[str, str] | None = None  # a short name, used in the labels of its groups


@dataclass
class ResultView:
    """What a module's results hooks see: one row per firm (a cohort's row repeated for its members).

    ``pop`` and ``outcomes`` are per firm; ``members`` are the firms each *simulated* enterprise
    stands for (1 without cohorts); ``days`` is the last day of the daily series (rows 0 … days).
    """

    pop: Population
    outcomes: dict[str, np.ndarray]
    members: np.ndarray
    days: int
    horizon: float
    events: int
    series: dict[str, np.ndarray] = field(default_factory=dict)  # every series computed so far

    def per_day(self, times: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Count (or sum of ``weights``) of events in (d−1, d] for row d."""
        out = np.zeros(self.days + 1)
        if len(times):
            idx = np.clip(np.ceil(times).astype(np.int64), 0, self.days)
            out += np.bincount(idx, weights=weights, minlength=self.days + 1)[: self.days + 1]
        return out

    def groups(self, by: tuple[Group, ...]) -> list[tuple[str, np.ndarray]]:
        """(suffix, which firms) of each size class and/or county."""
        return groups(self.pop, by)


def groups(pop: Population, by: tuple[Group, ...]) -> list[tuple[str, np.ndarray]]:
    """(suffix, which enterprises of ``pop``) of each size class and/or county."""
    out: list[tuple[str, np.ndarray]] = []
    if "size_class" in by:
        out += [(size, pop.size_class == k) for k, size in enumerate(SIZE_CLASSES)]
    if "county" in by:
        out += [(name, pop.county == c) for c, name in enumerate(pop.county_names)]
    if "sector" in by:
        sector = np.asarray(pop.sector)
        out += [(name, sector == name) for name in dict.fromkeys(pop.sector)]
    return out


def nan_stat(values: np.ndarray, fn: Literal["mean", "quantile"], q: float = 0.5) -> float:
    """Mean or quantile of the finite values (NaN when there are none)."""
    v = values[~np.isnan(values)]
    if not len(v):
        return math.nan
    return float(v.mean()) if fn == "mean" else float(np.quantile(v, q))


class City(Protocol):
    """What a module sees of the city it is part of (implemented by :class:`sim.model.world.City`)."""

    env: simpy.Environment
    horizon: float
    pop: Population
    streams: Streams
    timers: TimerWheel
    outcomes: Outcomes
    log: ChangeLog
    enterprises: list[Enterprise]
    hooks: dict[str, list[Any]]  # hook name -> the modules that listen, in the registry's order


class Module:
    """Base of every mechanism. Subclasses declare their sections, streams, outcomes and results.

    A module that needs other modules defines ``connect`` with one parameter per module it uses,
    named after it and typed with the small protocol of what it uses (``def connect(self, cadres:
    Liaisons, offices: Departments)``): the city passes them once every module is built. That
    signature is the module's declared dependency; it reads nothing else of another module.
    A module whose ``factor`` list (one value a firm) cuts capacity sets ``CUTS_CAPACITY``; one whose
    ``limit`` list caps it (production is at most the least limit) names the limit in ``LIMITS_CAPACITY``.
    """

    name: ClassVar[str] = ""
    SECTIONS: ClassVar[dict[str, str]] = {}
    STREAMS: ClassVar[tuple[str, ...]] = ()
    OUTCOMES: ClassVar[tuple[Outcome, ...]] = ()
    METRICS: ClassVar[tuple[Metric, ...]] = ()
    SERIES: ClassVar[tuple[Series, ...]] = ()
    CUTS_CAPACITY: ClassVar[bool] = False
    LIMITS_CAPACITY: ClassVar[str | None] = None

    def __init__(self, city: City, **config: Any) -> None:
        self.city = city

    # -- hooks (overridden where a module listens; the city calls only the overridden ones) --------

    def add_firm(self, ent: Enterprise) -> None:
        """A firm joins the city (before any process starts): set up its per-firm state."""

    def start(self) -> None:
        """Every firm is built and its process started: schedule the module's city-level events."""

    def restarting(self, ent: Enterprise) -> None:
        """``ent`` restarts for the first time; its capacity is not yet recomputed."""

    def restarted(self, ent: Enterprise) -> None:
        """``ent`` restarted for the first time and its capacity is recomputed."""

    def failed(self, ent: Enterprise) -> None:
        """``ent`` failed (closed for good); its capacity is not yet recomputed."""

    def approved(self, ent: Enterprise, now: float) -> None:
        """``ent``'s restart was approved at ``now`` (day 0 for a firm already running)."""

    def open_changed(self, ent: Enterprise, change: int) -> None:
        """``ent`` opened (+1) or closed (−1)."""

    def capacity_changed(self, ent: Enterprise, now: float, cap: float, at_post: int) -> None:
        """``ent`` changed: its capacity in use is now ``cap`` with ``at_post`` workers at their posts
        (both 0 unless it is open). Book what ran at the old values and reschedule."""

    def finish(self) -> None:
        """The run reached the horizon: book what is left."""

    # -- results -------------------------------------------------------------------------------

    def daily(self, view: ResultView) -> dict[str, np.ndarray]:
        """The module's daily series (keys as declared in SERIES, with their groups)."""
        return {}

    def summary(self, view: ResultView) -> dict[str, float]:
        """The module's summary metrics (keys as declared in METRICS, with their groups)."""
        return {}

    def firm_columns(self, view: ResultView) -> dict[str, np.ndarray]:
        """Per-firm descriptions the module adds to ``enterprises.csv`` besides its outcomes (one row per firm)."""
        return {}


HOOKS = ("add_firm", "start", "restarting", "restarted", "failed", "approved", "open_changed", "capacity_changed",
         "finish")


def listens(module: Module, hook: str) -> bool:
    """Whether ``module`` overrides ``hook`` (the city calls only those that do)."""
    return getattr(type(module), hook) is not getattr(Module, hook)
