"""An enterprise: who it is, and the state machine of its life (DESIGN section 4).

States: ``CLOSED`` at day 0 → ``OPEN`` at its first restart (复工) ↔
``SUSPENDED`` (a failed inspection, an outbreak incident's shutdown) →
``FAILED`` (closed for good). What moves a firm between states belongs to the
mechanisms (:mod:`sim.model.registry`): the approval procedure drives it to
its restart, money fails it, outbreaks and inspections suspend and reopen it.
Each transition calls the hooks of the modules that listen (a firm restarted,
failed), and every change of a firm calls :meth:`Enterprise.update`, which
hands the firm to the production module: it books output and recomputes
capacity, and the modules that follow a firm's capacity (money, outbreaks)
reschedule what they had planned.

A firm that fails leaves every queue it waits in.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from sim.model.firm_classes import size_code
from sim.model.sectors import upstream_sectors

if TYPE_CHECKING:
    import simpy

    from sim.model.population import Population
    from sim.model.records import Outcomes
    from sim.model.servers import ServicePoint
    from sim.random_streams import Streams

CLOSED, OPEN, SUSPENDED, FAILED = 0, 1, 2, 3
STATE_NAMES = ("closed", "open", "suspended", "failed")


class Listener(Protocol):
    def restarting(self, ent: Enterprise) -> None: ...
    def restarted(self, ent: Enterprise) -> None: ...
    def failed(self, ent: Enterprise) -> None: ...


class Home(Protocol):
    """What a firm needs of its city: the clock, its draws, the outcome table and the hooks."""

    env: simpy.Environment
    pop: Population
    streams: Streams
    outcomes: Outcomes
    hooks: dict[str, list[Listener]]
    update: Callable[[Enterprise], None]


class Enterprise:
    """One enterprise's identity (from the population arrays) and its state."""

    __slots__ = ("city", "i", "group", "local", "county", "size_class", "essential", "high_tech", "gazelle",
                 "new_project", "upstream", "workers", "members", "state", "shut_until", "queued")

    def __init__(self, city: Home, i: int) -> None:
        pop = city.pop
        self.city = city
        self.i = i
        self.group = int(pop.group[i])
        self.local = int(pop.local[i])
        self.county = int(pop.county[i])
        self.size_class = int(pop.size_class[i])
        self.essential = bool(pop.essential[i])
        self.high_tech = bool(pop.high_tech[i])
        self.gazelle = bool(pop.gazelle[i])
        self.new_project = bool(pop.new_project[i])
        self.upstream = pop.sector[i] in upstream_sectors()  # sells most of its output to other firms
        self.workers = int(pop.workers[i])
        self.members = int(pop.members[i])  # identical firms this one stands for (a cohort's size, else 1)
        self.state = CLOSED
        self.shut_until = 0.0  # a suspension may not end before this day (an incident's shutdown)
        self.queued: list[tuple[ServicePoint, simpy.Event]] = []

    # -- who it is -------------------------------------------------------------

    def u(self, purpose: str) -> float:
        """Next uniform draw of this enterprise for ``purpose`` (common random numbers)."""
        return self.city.streams.uniform(purpose, self.group, self.local)

    def has_key(self, key: str) -> bool:
        """Whether the enterprise has a firm key (a size class or a flag: above_scale, essential …)."""
        if key in ("above_scale", "sme", "micro"):
            return self.size_class == size_code(key)
        return bool(getattr(self, key))

    @property
    def failed(self) -> bool:
        return self.state == FAILED

    @property
    def is_open(self) -> bool:
        return self.state == OPEN

    def record(self, column: str, value: float) -> None:
        """Write this firm's value of a declared outcome column."""
        self.city.outcomes[column][self.i] = value

    def record_first(self, column: str, value: float) -> None:
        col = self.city.outcomes[column]
        if math.isnan(col[self.i]):
            col[self.i] = value

    # -- queues it waits in ------------------------------------------------------

    def ask(self, point: ServicePoint, duration: float, priority: int = 0) -> simpy.Event:
        """Queue at a service point for ``duration`` of a server's time per firm; fires when served.

        A cohort asks once for all its firms (see :meth:`ServicePoint.request`).
        """
        return self.wait_at(point, point.request(duration, priority, self.members))

    def wait_at(self, point: ServicePoint, request: simpy.Event) -> simpy.Event:
        """Remember a request at a service point, so that failing withdraws it."""
        entry = (point, request)
        self.queued.append(entry)
        request.callbacks.append(lambda _ev: self._served(entry))  # type: ignore[union-attr]
        return request

    def _served(self, entry: tuple[ServicePoint, simpy.Event]) -> None:
        if entry in self.queued:  # failing cleared the list; a service under way still ends
            self.queued.remove(entry)

    # -- state changes ---------------------------------------------------------

    def open(self) -> None:
        """First restart (复工)."""
        self.state = OPEN
        hooks = self.city.hooks
        for m in hooks["restarting"]:
            m.restarting(self)
        self.update()
        for m in hooks["restarted"]:
            m.restarted(self)

    def suspend(self, until: float | None = None) -> None:
        """Close an open firm for now; ``until``: the suspension lasts at least until that day."""
        if until is not None:
            self.shut_until = until
        if self.state == OPEN:
            self.state = SUSPENDED
            self.update()

    def reopen(self) -> None:
        # An incident's shutdown lasts its full term: a passed inspection does not end it early.
        if self.state == SUSPENDED and self.city.env.now >= self.shut_until:
            self.state = OPEN
            self.update()

    def fail(self) -> None:
        """Close for good and leave every queue."""
        self.state = FAILED
        for m in self.city.hooks["failed"]:
            m.failed(self)
        for point, request in list(self.queued):
            point.withdraw(request)
        self.queued.clear()
        self.update()

    def update(self) -> None:
        """Something about the firm changed: book up to now and recompute (see the production module)."""
        self.city.update(self)
