"""Far-future timers kept in day buckets (a timer wheel).

Every enterprise has timers set weeks ahead: when its cash would run out,
when its workers come back, when its problems arrive. In SimPy's event heap
100,000 firms' timers make every push and pop slow (the heap no longer fits
in the processor's cache), and most cash timers go stale before they fire
because the firm restarts first. Here a timer due on a later day waits in
that day's bucket; at the start of each day one event moves the day's timers
that are still valid into SimPy. Timers due today go straight to SimPy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import simpy

Action = Callable[[], None]
Valid = Callable[[], bool]


class TimerWheel:
    """``at(when, action)`` runs ``action()`` at time ``when``, cheaply for far-future times."""

    __slots__ = ("env", "horizon", "_buckets")

    def __init__(self, env: simpy.Environment, horizon: float) -> None:
        self.env = env
        self.horizon = horizon
        self._buckets: dict[int, list[tuple[float, Action, Valid | None]]] = {}
        env.process(self._turn())

    def at(self, when: float, action: Action, valid: Valid | None = None) -> None:
        """Run ``action`` at ``when`` (not before now); ``valid()`` false at the day's start drops it."""
        if when >= self.horizon:
            return
        now = self.env.now
        day = math.floor(when)
        if day <= math.floor(now):
            self._schedule(max(0.0, when - now), action)
        else:
            bucket = self._buckets.get(day)
            if bucket is None:
                self._buckets[day] = bucket = []
            bucket.append((when, action, valid))

    def _schedule(self, delay: float, action: Action) -> None:
        ev = self.env.timeout(delay)
        ev.callbacks.append(lambda _ev: action())

    def _turn(self) -> Generator[simpy.Event, Any, None]:
        env = self.env
        while True:
            yield env.timeout(math.floor(env.now) + 1.0 - env.now)
            due = self._buckets.pop(int(env.now), None)
            if not due:
                continue
            now = env.now
            for when, action, valid in due:
                if valid is not None and not valid():  # stale: never enters SimPy's heap
                    continue
                self._schedule(when - now, action)
