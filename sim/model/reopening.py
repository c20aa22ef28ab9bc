"""The decision to reopen: a firm allowed to restart reopens when it is worth it.

When the approval road lets a firm restart (approved, inspected, set up, after
the ban), the firm looks at what it could produce — the lesser of its orders
(:mod:`sim.model.demand`) and its inputs (:mod:`sim.model.network`) — and
reopens when

- that share of capacity — its orders today, and the inputs it can count on
  over the next ``outlook_days`` (its stocks spread over them plus what
  arrives) — is at least ``min_utilisation`` (below it a plant is
  not worth running: the shutdown point), and
- the margin it earns at that share covers ``margin_ratio`` times what being
  open costs more than staying closed (wages, less what it may cut while
  capacity is idle, instead of the living allowance once the first pay period
  of the stoppage is over).

Essential firms (三必需一重要) reopen as soon as they are allowed when
``essential_always``: they were ordered to run. A firm that does not reopen
looks again every day. Whether its cash lasts once it reopens is money's
business (:mod:`sim.model.money.module`): customers paid late in 2020, so a
restarting firm pays for its inputs before it is paid, and may seek a loan.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import simpy

from sim.model.module import City, Metric, Module, ResultView
from sim.model.records import Outcome
from sim.scenario.params import Strict, param
from sim.scenario.types import Day, Factor, Probability

if TYPE_CHECKING:
    from sim.model.enterprise import Enterprise

Process = Generator[simpy.Event, Any, None]
WAITING_ORDERS, WAITING_INPUTS, WAITING_MARGIN = "orders", "inputs", "margin"


class Reopening(Strict):
    """When a firm allowed to restart decides to reopen."""

    enabled: bool = param(True, unit="yes/no", meaning="a firm allowed to restart reopens only when it is worth it "
                          "(false: it reopens at once)",
                          provenance="source: 资金紧张, 供应链不畅: small firms did not reopen as soon as they were allowed")
    min_utilisation: Probability = param(0.5, unit="share of capacity", meaning="a firm does not reopen to produce "
                                         "less than this share of its capacity (the shutdown point)",
                                         provenance="assumption: about the break-even of the model's firms (fixed cost "
                                                    "÷ margin: 0.4 above-scale, 0.53 SMEs, 0.5 micro firms); running "
                                                    "a plant has costs that do not scale down (range 0.2-0.6)")
    outlook_days: Day = param(14.0, unit="days", meaning="how far ahead a firm looks at its inputs when it decides "
                              "to reopen (its stocks spread over these days plus what arrives)",
                              provenance="assumption: two weeks, a pay period's half (range 7-30)")
    margin_ratio: Factor = param(1.0, unit="factor", meaning="a firm reopens when the margin it earns at what it can "
                                 "produce covers this multiple of the extra cost of being open",
                                 provenance="assumption: break-even (1.0); 0.5-2 plausible")
    essential_always: bool = param(True, unit="yes/no", meaning="essential firms (三必需一重要) reopen as soon as "
                                   "they are allowed", provenance="policy: essential sectors were ordered to run "
                                   "(辽政办明电〔2020〕6号)")


class Limits(Protocol):
    raw: np.ndarray


class Inputs(Protocol):
    raw: np.ndarray

    def outlook(self, firms: np.ndarray, days: float) -> np.ndarray: ...


class Money(Protocol):
    def cost_of_opening(self, ent: Enterprise, now: float) -> float: ...
    def contribution(self, ent: Enterprise, capacity: float) -> float: ...


class ReopeningModule(Module):
    """Firms allowed to restart that have not yet found it worth it."""

    name = "reopening"
    SECTIONS = {"config": "reopening"}
    OUTCOMES = (Outcome("allowed_day", "f8", "allowed to restart (approved, inspected, set up, after the ban)"),)
    METRICS = (
        Metric("mean_days_allowed_to_open", "mean days from being allowed to restart to reopening, of the firms that "
               "reopened", ("days from allowed to reopened", "获准至复工天数"), "days", "days", "lower", 1.0),
        Metric("never_reopened_share", "share of the firms allowed to restart that had not reopened by the horizon",
               ("allowed but never reopened", "获准而未复工"), "share", "share", "lower", 0.01),
    )

    def __init__(self, city: City, config: Reopening) -> None:
        super().__init__(city)
        self.config = config
        self.waiting: dict[int, simpy.Event] = {}  # firm -> the event that lets it reopen
        self.why: dict[int, str] = {}  # firm -> what holds it back while it waits

    def connect(self, network: Inputs, demand: Limits, money: Money) -> None:
        self.network = network
        self.demand = demand
        self.money = money

    def start(self) -> None:
        if self.config.enabled:
            self.city.env.process(self._days())

    # -- the declared interface ---------------------------------------------------------------------

    def expected(self, ent: Enterprise) -> float:
        """The share of capacity a firm expects to produce: the lesser of its orders and its inputs ahead."""
        return min(self._ahead(np.array([ent.i]))[0], float(self.demand.raw[ent.i]))

    def _ahead(self, firms: np.ndarray) -> np.ndarray:
        return self.network.outlook(firms, self.config.outlook_days)

    def until_worthwhile(self, ent: Enterprise) -> Generator[simpy.Event, Any, bool]:
        """Wait until reopening is worth it (True), or until the firm fails (False)."""
        ent.record("allowed_day", self.city.env.now)
        if not self.config.enabled or (ent.essential and self.config.essential_always) or self._decide(ent):
            return True
        done = self.city.env.event()
        self.waiting[ent.i] = done
        yield done
        return not ent.failed

    # -- deciding ----------------------------------------------------------------------------------

    def _decide(self, ent: Enterprise) -> bool:
        """Whether the firm reopens now; if not, what holds it back."""
        now = self.city.env.now
        orders, inputs = float(self.demand.raw[ent.i]), float(self._ahead(np.array([ent.i]))[0])
        share = min(orders, inputs)
        worth = self.money.contribution(ent, share) >= self.config.margin_ratio * self.money.cost_of_opening(ent, now)
        if share >= self.config.min_utilisation and worth:
            return True
        self.why[ent.i] = WAITING_ORDERS if orders <= inputs else (WAITING_INPUTS if share < 1.0 else WAITING_MARGIN)
        return False

    def _days(self) -> Process:
        env = self.city.env
        ents = self.city.enterprises
        floor = self.config.min_utilisation
        while True:
            yield env.timeout(1.0)
            if not self.waiting:
                continue
            waiting = np.array(sorted(self.waiting), dtype=np.int64)
            orders, inputs = self.demand.raw[waiting], self._ahead(waiting)
            for i, o, p in zip(waiting.tolist(), orders.tolist(), inputs.tolist(), strict=True):
                ent = ents[i]
                if ent.failed:
                    self.why.pop(i, None)
                    self.waiting.pop(i).succeed()
                elif min(o, p) < floor:  # not worth it whatever its margin: no need to look further
                    self.why[i] = WAITING_ORDERS if o <= p else WAITING_INPUTS
                elif self._decide(ent):
                    self.why.pop(i, None)
                    self.waiting.pop(i).succeed()

    # -- results ---------------------------------------------------------------------------------

    def summary(self, view: ResultView) -> dict[str, float]:
        o = view.outcomes
        allowed, restart = o["allowed_day"], o["restart_day"]
        both = ~np.isnan(allowed) & ~np.isnan(restart)
        waited = restart[both] - allowed[both]
        allowed_n = int((~np.isnan(allowed)).sum())
        never = int((~np.isnan(allowed) & np.isnan(restart)).sum())
        return {
            "mean_days_allowed_to_open": float(waited.mean()) if len(waited) else float("nan"),
            "never_reopened_share": never / allowed_n if allowed_n else float("nan"),
        }
