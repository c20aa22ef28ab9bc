"""Service points: identical servers in front of one priority queue.

Approval offices, inspection teams, cadres, departments and registration desks
are all service points. A client asks for ``duration`` of a server's time and
gets an event that fires when the service ends. The queue is non-preemptive:
lower ``priority`` first, first come first served within a class.

This is leaner than ``simpy.PriorityResource`` (one timeout per customer, no
request/release pair), and keeps time-weighted statistics so that Little's
law can be checked on every queue.

A service point may keep office hours (:class:`sim.model.office_hours.OfficeHours`):
``duration`` is then working time, and a service ends when that much working
time has accrued after it starts (a review begun at closing time ends the next
working day). Waits and queue lengths stay in calendar time; busy *working*
time is kept beside busy calendar time.
"""

from __future__ import annotations

import heapq

import simpy
from simpy.core import NORMAL

from sim.model.office_hours import ALWAYS_OPEN, OfficeHours


class LevelLog:
    """Changes of queue length and busy servers, possibly shared by many points.

    Each entry is (time, change in queue length, change in busy servers);
    daily series are made from it after the run.
    """

    __slots__ = ("times", "dqueue", "dbusy", "capacity")

    def __init__(self) -> None:
        self.times: list[float] = []
        self.dqueue: list[int] = []
        self.dbusy: list[int] = []
        self.capacity = 0

    def record(self, t: float, dq: int, db: int) -> None:
        self.times.append(t)
        self.dqueue.append(dq)
        self.dbusy.append(db)


class ServicePoint:
    """``servers`` identical servers with a non-preemptive priority queue."""

    __slots__ = (
        "env", "name", "servers", "busy", "_queue", "_waiting", "_seq", "log", "hours", "withdrawn", "_gone",
        "arrivals", "completions", "wait_sum", "service_sum", "_t_last", "_area_queue", "_area_busy",
        "_w_last", "_area_busy_work", "_always_open", "firms_started", "firm_wait_sum",
    )

    def __init__(self, env: simpy.Environment, name: str, servers: int, log: LevelLog | None = None,
                 hours: OfficeHours = ALWAYS_OPEN) -> None:
        if servers < 1:
            raise ValueError(f"{name}: a service point needs at least one server")
        self.env = env
        self.name = name
        self.servers = servers
        self.busy = 0
        self._queue: list[tuple[int, int, float, float, simpy.Event, int]] = []
        # The clients still waiting. A withdrawn client leaves this set at once and its
        # heap entry is skipped when it comes to the top (lazy deletion): no O(n) heapify
        # per withdrawal. The heap's keys (priority, seq) are unique, so the order in
        # which live clients are served does not depend on the heap's layout.
        self._waiting: set[simpy.Event] = set()
        self._seq = 0
        self.log = log
        self.hours = hours
        self._always_open = hours.always_open
        self.withdrawn = 0  # requests withdrawn before service (their client failed)
        self._gone: set[simpy.Event] = set()  # withdrawn before they joined the queue
        if log is not None:
            log.capacity += servers
        self.arrivals = 0
        self.completions = 0
        self.wait_sum = 0.0
        self.service_sum = 0.0
        self.firms_started = 0  # firms whose service started (a cohort counts its members)
        self.firm_wait_sum = 0.0  # their waits, each firm's counted
        self._t_last = 0.0
        self._area_queue = 0.0
        self._area_busy = 0.0
        self._w_last = 0.0
        self._area_busy_work = 0.0

    @property
    def queue_length(self) -> int:
        return len(self._waiting)

    def request(self, duration: float, priority: int = 0, members: int = 1) -> simpy.Event:
        """Join the queue for ``duration`` of server time; the event's value is the wait.

        A cohort of ``members`` identical firms (``duration`` is one firm's) holds one server for
        all of them, back to back, and its event fires when its average member would be done:
        ``(members + 1) / 2`` services after the start, not at the end of the last one.
        """
        done = self.env.event()
        self._enqueue(done, duration, priority, members)
        return done

    def request_after(self, start: float, duration: float, priority: int = 0) -> simpy.Event:
        """Like :meth:`request`, but the client joins the queue only at time ``start``."""
        env = self.env
        done = env.event()
        if start <= env.now:
            self._enqueue(done, duration, priority)
        else:
            delay = env.timeout(start - env.now)
            delay.callbacks.append(lambda _ev: self._enqueue(done, duration, priority))
        return done

    def withdraw(self, done: simpy.Event) -> bool:
        """The client leaves: drop its request if it has not started service (True if dropped)."""
        if done.triggered:
            return False  # in service or served: non-preemptive, the service runs out
        if done in self._waiting:
            self._advance()
            self._waiting.discard(done)
            self.withdrawn += 1
            if self.log is not None:
                self.log.record(self.env.now, -1, 0)
            return True
        self._gone.add(done)  # a request_after that has not joined the queue yet
        self.withdrawn += 1
        return True

    def _enqueue(self, done: simpy.Event, duration: float, priority: int, members: int = 1) -> None:
        if self._gone and done in self._gone:
            self._gone.discard(done)
            return
        env = self.env
        self._advance()
        self.arrivals += 1
        if self.busy < self.servers:
            self.busy += 1
            if self.log is not None:
                self.log.record(env.now, 0, 1)
            self._start(duration, done, 0.0, members)
        else:
            self._seq += 1
            heapq.heappush(self._queue, (priority, self._seq, env.now, duration, done, members))
            self._waiting.add(done)
            if self.log is not None:
                self.log.record(env.now, 1, 0)

    def peek_waiting(self) -> tuple[float, float] | None:
        """(duration, arrival time) of the first waiting client, or None."""
        if not self._waiting:
            return None
        queue = self._queue
        while queue[0][4] not in self._waiting:  # withdrawn: drop it now
            heapq.heappop(queue)
        _, _, arrived, duration, _, members = queue[0]
        return duration * members, arrived

    def _pop_waiting(self) -> tuple[int, int, float, float, simpy.Event, int]:
        """The first client still waiting, off the queue (there must be one)."""
        queue, waiting = self._queue, self._waiting
        entry = heapq.heappop(queue)
        while entry[4] not in waiting:
            entry = heapq.heappop(queue)
        waiting.discard(entry[4])
        return entry

    def take_waiting(self) -> tuple[float, simpy.Event, float] | None:
        """Hand the first waiting client to someone else: (duration, its event, arrival time).

        The caller must make the event succeed; the client no longer counts as
        an arrival here.
        """
        if not self._waiting:
            return None
        self._advance()
        _, _, arrived, duration, done, members = self._pop_waiting()
        self.arrivals -= 1
        if self.log is not None:
            self.log.record(self.env.now, -1, 0)
        return duration * members, done, arrived

    def _start(self, duration: float, done: simpy.Event, wait: float, members: int = 1) -> None:
        self.wait_sum += wait
        self.firms_started += members
        self.firm_wait_sum += wait * members
        self.service_sum += duration * members
        # The client's event itself is scheduled for the end of its service, as a Timeout would
        # be: one event per service instead of a timeout plus the event it triggers.
        done._ok = True  # type: ignore[attr-defined]
        done._value = wait  # type: ignore[attr-defined]
        if members == 1:  # the server's bookkeeping runs first among the client's callbacks
            done.callbacks.insert(0, self._finish)  # type: ignore[union-attr]
            self._schedule(done, duration)
            return
        # a cohort goes after one service; the server is released after all of its members'
        release = self.env.event()
        release._ok = True  # type: ignore[attr-defined]
        release._value = None  # type: ignore[attr-defined]
        release.callbacks.append(self._finish)  # type: ignore[union-attr]
        self._schedule(done, duration)
        self._schedule(release, duration * members)

    def _schedule(self, event: simpy.Event, work: float) -> None:
        """Schedule ``event`` for when ``work`` of server time, begun now, is done (in office hours)."""
        if self._always_open:
            self.env.schedule(event, NORMAL, work)
        else:
            now = self.env.now
            self.env.schedule(event, NORMAL, self.hours.end_of_service(now, work) - now)

    def _finish(self, _done: simpy.Event) -> None:
        self._advance()
        self.completions += 1
        if self._waiting:
            _, _, arrived, duration, nxt, members = self._pop_waiting()
            if self.log is not None:
                self.log.record(self.env.now, -1, 0)
            self._start(duration, nxt, self.env.now - arrived, members)
        else:
            self.busy -= 1
            if self.log is not None:
                self.log.record(self.env.now, 0, -1)

    def _advance(self) -> None:
        # Maintain the time-weighted areas under queue length and busy servers.
        now = self.env.now
        dt = now - self._t_last
        if dt:
            self._area_queue += len(self._waiting) * dt
            self._area_busy += self.busy * dt
            self._t_last = now
            w = now if self._always_open else self.hours.worked(now)
            self._area_busy_work += self.busy * (w - self._w_last)
            self._w_last = w

    def stats(self) -> dict[str, float]:
        """Time-averaged queue length (Lq), busy servers, mean wait, counts, up to now.

        ``utilisation`` is busy working time ÷ working time available (the calendar
        share for an office that never closes); ``busy_work_time`` is in working days.
        """
        self._advance()
        t = self.env.now or 1.0
        available = self.hours.worked(self.env.now) or 1.0
        started = self.completions + self.busy
        return {
            "arrivals": float(self.arrivals),
            "completions": float(self.completions),
            "mean_queue_length": self._area_queue / t,
            "mean_busy": self._area_busy / t,
            "utilisation": self._area_busy_work / (available * self.servers),
            "mean_wait": self.wait_sum / started if started else 0.0,
            "busy_time": self._area_busy,
            "busy_work_time": self._area_busy_work,
        }
