"""Cadres with a working day: the liaisons' and supervisors' hours as a budget.

A cadre works ``cadres.hours_per_day`` hours on ``cadres.days_per_week`` days
a week from the dispatch day. Cadres work in *teams* that share one queue of
tasks: one cadre (``dedicated``, 1+1+1 as in Tieling), a county's cadres
(``pooled``, each task paying a travel and familiarisation overhead) or a
grid's cadres (``grid``, 调兵山; a grid without a cadre of its own is served by
its zone's, a zone without one by the county's first staffed grid).

Each working day is ONE event for the whole city, which allocates every team's
hours in this priority order (lower first):

liaisons
    0. first visits (no first visit, no preparation help and no lower rework);
    1. follow-up of each problem carried from the daily dispatch (日调度): the
       meeting sets a deadline, and a followed-up problem joins its
       department's queue ahead of problems firms bring themselves;
    2. help asked through :func:`ask_liaison` (loan applications, job postings);
    3. daily check-ins (日检查) with every covered firm that is preparing or open,
       with the hours left: a problem reaches the dispatch only after a
       check-in collected it.
supervisors
    0. re-inspection after an incident; 1. pre-restart inspection;
    2. guidance on the prevention plan; 3. daily prevention checks of the open
       covered firms, with the hours left: the share of them checked scales the
       prevention effect until the next working day; 4. with
       ``supervisors_help_inspection``, waiting inspections of uncovered firms
       from the county team's queue.

Routine checks are accounted in bulk at their mean time (how many fit, not one
event per firm): check-ins rotate through a team's firms, so a problem is
collected when the rotation reaches its firm. A task asked for during a
working day starts at once if the team has hours left that day and nothing
waiting; otherwise it waits for the next working day. A task longer than the
hours left carries over. Busy hours never exceed the hours available.

Cost: a team whose last day was routine only, with nothing queued, nothing to
collect and the same load, repeats that day; such "steady" teams are summed in
bulk and the daily event processes only the teams whose day changed (in the
city's team order, so that results equal processing every team every day).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Generator
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import simpy
from simpy.core import NORMAL

from sim.model.cadres.coverage import Assignment, NoCoverage, OnePlusOnePlusOne
from sim.model.cadres.schema import Cadres
from sim.model.enterprise import OPEN
from sim.model.module import City, Metric, Module, ResultView, Series

if TYPE_CHECKING:
    from sim.model.enterprise import Enterprise
    from sim.model.servers import ServicePoint
    from sim.scenario.population_schema import County

LIAISON, SUPERVISOR = "liaison", "supervisor"
ROLES = (LIAISON, SUPERVISOR)
# liaison task priorities
FIRST_VISIT, FOLLOW_UP, HELP = 0, 1, 2
# supervisor task priorities
REINSPECTION, INSPECTION, GUIDANCE = 0, 1, 2
SHARE_STEP = 0.1  # prevention share is pushed to the firms in steps, so that small daily swings cost no updates
EPS = 1e-9


class Task:
    """Hours of a team's time for one firm; ``done`` succeeds when they are worked."""

    __slots__ = ("ent", "left", "done", "requested")

    def __init__(self, ent: Enterprise | None, hours: float, done: simpy.Event, requested: float) -> None:
        self.ent = ent
        self.left = hours
        self.done = done
        self.requested = requested


class Team:
    """Cadres of one role who share a queue: one cadre, a county's or a grid's."""

    __slots__ = ("role", "county", "size", "overhead", "queue", "seq", "active", "open", "counter",
                 "uncollected", "share", "members", "today", "clocks", "dirty", "steady", "routine", "pending", "since", "advance", "index")

    def __init__(self, role: str, county: int, size: int, overhead: float, pending: list[Team]) -> None:
        self.role = role
        self.county = county
        self.size = size
        self.overhead = overhead  # hours added to every task (travel, familiarisation)
        self.queue: list[tuple[int, int, Task]] = []
        self.seq = 0
        self.active = 0  # covered firms not failed (check-ins are owed to them)
        self.open = 0  # covered firms open (prevention checks are owed to them)
        self.counter = 0.0  # check-in rotations done: a firm at phase f is checked as it passes k + f
        self.uncollected: list[tuple[float, int, Any]] = []
        self.share = 0.0  # share of open firms given their prevention check (0 before the first day)
        self.members: list[Enterprise] = []
        self.today = -1  # the working day whose hours are being used (-1: none)
        self.clocks = [0.0] * size  # heap: hours each cadre has worked today (a task goes to the least busy)
        # A team with nothing queued, nothing to collect and an unchanged load repeats yesterday's
        # routine day: it is then "steady" and counted in bulk, not processed (see CadreService).
        self.steady = False
        self.routine = (0.0, 0, 0)  # a steady day: routine hours, checks done, checks missed
        self.since = 0  # working days counted when it became steady
        self.advance = 0.0  # check-in rotations a steady day adds
        self.index = 0  # place in the city's list of teams of its role (the daily processing order)
        self.pending = pending  # the teams to process on the next working day
        self.dirty = True
        pending.append(self)

    def touch(self) -> None:
        """Something changed (a task, a problem, the load): process the team on its next working day."""
        if not self.dirty:
            self.dirty = True
            self.pending.append(self)

    @property
    def used(self) -> float:
        return sum(self.clocks)


class Dispatch(Protocol):
    """The daily dispatch of problems (日调度), kept by the problems module."""

    def enqueue(self, problem: Any) -> None: ...
    def meet(self) -> list[Any]: ...
    def submit(self, problem: Any, priority: int = 1) -> None: ...


class Teams(Protocol):
    def inspection_team(self, county: int) -> ServicePoint: ...


class CadresModule(Module):
    """Every cadre team of the city and its daily allocation of hours; the 1+1+1 coverage."""

    name = "cadres"
    SECTIONS = {"config": "cadres", "coverage": "policies.coverage", "counties": "counties"}
    STREAMS = ("liaison_visit", "supervisor_guidance", "followup", "assignment_tie", "checkin_phase")
    METRICS = (
        Metric("cadre_days", "busy cadre-days: hours worked by liaisons and supervisors ÷ hours a day",
               ("busy cadre-days", "干部工作人日"), "cadre-days", "days"),
        Metric("cadre_days_deployed", "cadres in service × days from the dispatch day to the horizon, busy or not",
               ("cadre-days deployed", "干部派驻人日"), "cadre-days", "days", cost=1),
        Metric("liaison_busy_share", "liaisons' hours worked ÷ their working hours",
               ("liaisons' busy share", "联络员工作时间占比"), "share", "share"),
        Metric("supervisor_busy_share", "supervisors' hours worked ÷ their working hours",
               ("supervisors' busy share", "监督指导员工作时间占比"), "share", "share"),
        Metric("checkins_done", "liaison check-ins (日检查) done, firm-days", ("check-ins done (日检查)", "已完成日检查"),
               "firm-days", "count"),
        Metric("checkins_missed", "liaison check-ins owed but not done for lack of hours, firm-days",
               ("check-ins missed (日检查)", "未完成日检查"), "firm-days", "count"),
        Metric("prevention_checks_done", "supervisors' daily prevention checks done, firm-days",
               ("prevention checks done", "已完成防疫检查"), "firm-days", "count"),
        Metric("prevention_checks_missed", "prevention checks owed but not done for lack of hours, firm-days",
               ("prevention checks missed", "未完成防疫检查"), "firm-days", "count"),
        Metric("mean_cadre_wait", "mean days from asking a cadre for a task (visit, inspection, follow-up) to its end",
               ("days waiting for a cadre", "等待干部天数"), "days", "days"),
        Metric("liaison_coverage", "share of enterprises with a liaison (by county: liaison_coverage_<county>)",
               ("with a liaison (帮扶联络员)", "有帮扶联络员的企业占比"), "share", "share", "higher", 0.01, by=("county",),
               rank=12, views=("headline",)),
        Metric("supervisor_coverage", "share of enterprises with a supervisor (by county: supervisor_coverage_<county>)",
               ("with a supervisor (卫生防疫监督指导员)", "有卫生防疫监督指导员的企业占比"), "share", "share", "higher", 0.01, by=("county",)),
    )
    SERIES = (
        Series("liaison_utilisation", "liaisons' busy share of the day's working hours",
               ("liaisons (帮扶联络员)", "帮扶联络员"), "share", kind="average"),
        Series("supervisor_utilisation", "supervisors' busy share of the day's working hours",
               ("supervisors (卫生防疫监督指导员)", "卫生防疫监督指导员"), "share", kind="average"),
    )

    def __init__(self, city: City, config: Cadres, coverage: NoCoverage | OnePlusOnePlusOne,
                 counties: list[County]) -> None:
        super().__init__(city)
        self.config = config
        self.hours = config.hours_per_day
        self.days_per_week = config.days_per_week
        self.dispatch_day = config.dispatch_day
        self.start_day = int(math.ceil(config.dispatch_day - EPS))
        liaisons, supervisors = config.liaisons, config.supervisors
        self.preparation_factor = liaisons.preparation_factor
        self._rework_factor = liaisons.rework_factor
        self.readiness_gain = supervisors.readiness_gain
        self.prevention_effect = supervisors.prevention_effect
        self.n_counties = len(counties)
        days = int(math.ceil(city.horizon)) + 1
        self.busy = {r: np.zeros(days) for r in ROLES}  # hours worked on day d
        self.available = {r: np.zeros(days) for r in ROLES}  # hours of working time on day d
        self.counts = {k: 0 for k in ("checkins_done", "checkins_missed", "prevention_checks_done",
                                      "prevention_checks_missed", "tasks_done", "county_inspections")}
        self.wait_sum = 0.0  # request to completion of discrete tasks, days
        self.over_budget = 0.0  # largest excess of a team-day's busy hours over its hours (must stay 0)
        self.visited = np.zeros(city.pop.n, dtype=bool)  # first visit done
        self.today = -1  # the working day under way (-1: a day off, or before the dispatch day)
        self.workdays = 0  # working days so far
        self.pending: dict[str, list[Team]] = {r: [] for r in ROLES}
        # a steady day of all steady teams of a role: routine hours, hours available, checks done, missed
        self.steady_sum = {r: [0.0, 0.0, 0, 0] for r in ROLES}
        self.organisation = coverage.organisation
        self.help_inspection = coverage.supervisors_help_inspection
        self.travel = coverage.travel_overhead_hours
        self.grid_overhead = coverage.grid_overhead_hours
        self.phase = self._phases()
        self.assignment: Assignment = coverage.build().assign(city.pop, config, counties, self._tie_breaks())
        self.teams: dict[str, list[Team]] = {}
        self.team_of: dict[str, list[Team | None]] = {}
        for role in ROLES:
            self.teams[role], self.team_of[role] = self._build(role)
            for k, team in enumerate(self.teams[role]):
                team.index = k
        self.liaison_of = self.team_of[LIAISON]  # each firm's liaison team (None: no liaison)
        self.supervisor_of = self.team_of[SUPERVISOR]
        self.heads = {r: sum(t.size for t in self.teams[r]) for r in ROLES}
        if any(self.teams.values()) and self.start_day < city.horizon:
            city.env.process(self._days())

    # -- building --------------------------------------------------------------

    def _phases(self) -> np.ndarray:
        city = self.city
        parts = [city.streams.for_purpose("checkin_phase", g).random(size) for g, size in enumerate(city.pop.group_sizes)]
        return np.concatenate(parts) if parts else np.zeros(0)

    def _tie_breaks(self) -> np.ndarray:
        """A random draw per firm, breaking ties in the assignment order."""
        city = self.city
        parts = [city.streams.for_purpose("assignment_tie", g).random(size) for g, size in enumerate(city.pop.group_sizes)]
        return np.concatenate(parts) if parts else np.zeros(0)

    def _build(self, role: str) -> tuple[list[Team], list[Team | None]]:
        a = self.assignment
        pop = self.city.pop
        cadre = a.liaison if role == LIAISON else a.supervisor
        team_of: list[Team | None] = [None] * pop.n
        teams: list[Team] = []
        covered = np.nonzero(cadre >= 0)[0]
        if not len(covered):
            return teams, team_of
        if self.organisation == "dedicated":
            count = int(cadre.max()) + 1
            by_cadre: list[Team | None] = [None] * count
            block = a.liaison_block if role == LIAISON else a.supervisor_block  # a cohort's own team
            for i in covered:
                k = int(cadre[i])
                if by_cadre[k] is None:
                    size = 1 if block is None else int(block[i])
                    by_cadre[k] = Team(role, int(pop.county[i]), size, 0.0, self.pending[role])
                team_of[i] = by_cadre[k]
            teams = [t for t in by_cadre if t is not None]
            return teams, team_of
        in_county = a.liaison_in_county if role == LIAISON else a.supervisor_in_county
        assert in_county is not None
        for c in range(self.n_counties):
            k = int(in_county[c])
            if k == 0:
                continue
            members = covered[pop.county[covered] == c]
            if self.organisation == "pooled":
                team = Team(role, c, k, self.travel, self.pending[role])
                teams.append(team)
                for i in members:
                    team_of[i] = team
                continue
            assert a.grids_in_county is not None and a.zones_in_county is not None
            n_grids, n_zones = int(a.grids_in_county[c]), max(1, int(a.zones_in_county[c]))
            # deal cadres zone by zone (every zone gets a cadre before any zone a second grid)
            order = sorted(range(n_grids), key=lambda g: (g // n_zones, g % n_zones))
            sizes = [0] * n_grids
            for j in range(k):
                sizes[order[j % n_grids]] += 1
            grid_team: list[Team | None] = [
                Team(role, c, s, self.grid_overhead, self.pending[role]) if s else None
                for s in sizes]
            staffed = [g for g in range(n_grids) if sizes[g]]
            for g in range(n_grids):
                if grid_team[g] is None:
                    same_zone = [h for h in staffed if h % n_zones == g % n_zones]
                    grid_team[g] = grid_team[(same_zone or staffed)[0]]
            teams.extend(grid_team[g] for g in staffed)  # type: ignore[misc]
            for i in members:
                team_of[i] = grid_team[int(a.grid[i])]
        return teams, team_of

    def connect(self, problems: Dispatch, offices: Teams) -> None:
        self.dispatch = problems
        self.offices = offices

    def add_firm(self, ent: Enterprise) -> None:
        """Register a firm with its teams."""
        liaison = self.liaison_of[ent.i]
        if liaison is not None:
            liaison.members.append(ent)
            liaison.active += ent.members
        supervisor = self.supervisor_of[ent.i]
        if supervisor is not None:
            supervisor.members.append(ent)
            supervisor.active += ent.members

    # -- state changes the firms report ------------------------------------------

    def failed(self, ent: Enterprise) -> None:
        for team in (self.liaison_of[ent.i], self.supervisor_of[ent.i]):
            if team is not None:
                team.active -= ent.members
                self.unsteady(team)

    def open_changed(self, ent: Enterprise, change: int) -> None:
        """A covered firm opened (+1) or closed (-1): prevention checks are owed to open firms."""
        team = self.supervisor_of[ent.i]
        if team is not None:
            team.open += change * ent.members
            self.unsteady(team)

    # -- the declared interface: what a firm gets from its cadres ------------------------

    def has_liaison(self, ent: Enterprise) -> bool:
        return self.liaison_of[ent.i] is not None

    def has_supervisor(self, ent: Enterprise) -> bool:
        return self.supervisor_of[ent.i] is not None

    def rework_factor(self, ent: Enterprise) -> float:
        """Rework chance with a liaison's first visit done ÷ without (1 without a liaison or the visit)."""
        if self.liaison_of[ent.i] is not None and self.visited[ent.i]:
            return self._rework_factor
        return 1.0

    def prevention_cut(self, ent: Enterprise) -> float | None:
        """Share of the outbreak hazard a firm's supervisor removes (None: no supervisor).

        The effect is scaled by the share of its team's open firms it checked on its last working day
        (0 before the cadres arrive).
        """
        team = self.supervisor_of[ent.i]
        if team is None:
            return None
        return self.prevention_effect * team.share

    def unsteady(self, team: Team) -> None:
        if team.steady:
            self._wake(team)
            team.steady = False
            # the steady days' check-ins moved the rotation on, as daily processing would have
            team.counter += team.advance * (self.workdays - team.since)
            hours, done, missed = team.routine
            acc = self.steady_sum[team.role]
            acc[0] -= hours
            acc[1] -= self.capacity(team)
            acc[2] -= done
            acc[3] -= missed
        team.touch()

    # -- asking for time ---------------------------------------------------------

    def request(self, team: Team, ent: Enterprise | None, hours: float, priority: int) -> simpy.Event:
        """An event that succeeds (value: days from request to done) when ``hours`` of ``team`` are worked.

        ``hours`` are one firm's; a cohort's task takes them for each of its firms.
        """
        env = self.city.env
        done = env.event()
        hours = max(0.0, hours) + team.overhead
        if ent is not None and ent.members != 1:
            hours *= ent.members
        now = env.now
        today = math.floor(now)
        if team.steady:
            self._wake(team)
        if team.today == today and not team.queue:
            start = max(team.clocks[0], (now - today) * self.hours)
            if start + hours <= self.hours + EPS:
                heapq.heapreplace(team.clocks, start + hours)
                self.busy[team.role][today] += hours
                finish = today + (start + hours) / self.hours
                self._complete(done, finish - now, finish - now)
                return done
        team.seq += 1
        heapq.heappush(team.queue, (priority, team.seq, Task(ent, hours, done, now)))
        self.unsteady(team)
        return done

    def _wake(self, team: Team) -> None:
        """A steady team did its routine checks this morning, as yesterday: set its cadres' clocks."""
        if self.today >= 0 and team.today != self.today and self.today == math.floor(self.city.env.now):
            team.today = self.today
            team.clocks = [0.0] * team.size
            self._fill(team, team.routine[0])

    def capacity(self, team: Team) -> float:
        return team.size * self.hours

    def first_visit(self, ent: Enterprise) -> simpy.Event | None:
        """The liaison's first visit, on its working day (None: no liaison). Ask once per firm."""
        team = self.liaison_of[ent.i]
        if team is None:
            return None
        hours = self.config.liaisons.first_visit_hours.quantile(ent.u("liaison_visit"))
        done = self.request(team, ent, hours, FIRST_VISIT)
        done.callbacks.append(lambda _ev: self._visited(ent))
        return done

    def _visited(self, ent: Enterprise) -> None:
        self.visited[ent.i] = True

    def inspection(self, ent: Enterprise, u: float, after_incident: bool) -> simpy.Event:
        """The supervisor's inspection visit (``u``: the firm's draw for the visit's length)."""
        team = self.supervisor_of[ent.i]
        assert team is not None
        hours = self.config.supervisors.inspection_hours.quantile(u)
        return self.request(team, ent, hours, REINSPECTION if after_incident else INSPECTION)

    def guidance(self, ent: Enterprise) -> simpy.Event | None:
        """The supervisor's guidance visit on the prevention plan (None: no supervisor). Ask once per firm."""
        team = self.supervisor_of[ent.i]
        if team is None:
            return None
        hours = self.config.supervisors.guidance_hours.quantile(ent.u("supervisor_guidance"))
        return self.request(team, ent, hours, GUIDANCE)

    def ask_liaison(self, ent: Enterprise, hours: float, priority: int = HELP) -> simpy.Event | None:
        """Ask ``ent``'s liaison for ``hours`` of help (a loan application, job postings …).

        Returns None when the firm has no liaison; otherwise an event that succeeds
        (value: days from the request to the end of the help) once the liaison's
        team has worked those hours on its working day, after first visits and
        follow-ups (priority ``HELP``). Use the firm's own stream for the hours,
        e.g. ``hours = dist.quantile(ent.u("loan_help"))``, to keep common random numbers.
        """
        team = self.liaison_of[ent.i]
        if team is None:
            return None
        return self.request(team, ent, hours, priority)

    def follow_up(self, problem: tuple[Enterprise, int, float]) -> simpy.Event | None:
        ent = problem[0]
        team = self.liaison_of[ent.i]
        if team is None or ent.failed:
            return None
        hours = self.config.liaisons.followup_hours.quantile(ent.u("followup"))
        return self.request(team, ent, hours, FOLLOW_UP)

    def carry(self, ent: Enterprise, problem: Any) -> None:
        """A problem waits at the firm until the rotation of check-ins reaches it."""
        team = self.liaison_of[ent.i]
        assert team is not None
        self.unsteady(team)  # brings its rotation up to date first
        f = float(self.phase[ent.i])
        target = math.floor(team.counter - f) + 1.0 + f  # the firm's next turn after now
        team.seq += 1
        heapq.heappush(team.uncollected, (target, team.seq, problem))

    # -- the working day ---------------------------------------------------------

    def _days(self) -> Generator[simpy.Event, Any, None]:
        env = self.city.env
        yield env.timeout(self.start_day - env.now)
        while True:
            d = int(round(env.now))
            if (d - self.start_day) % 7 < self.days_per_week:
                # the dispatch meeting's follow-ups queue before the day starts, so that they
                # come before the routine checks of the teams they wake
                self.today = -1
                self._dispatch_meeting()
                self.today = d
                self.workdays += 1
                self._working_day(d)
            else:
                self.today = -1
            yield env.timeout(1.0)

    def _dispatch_meeting(self) -> None:
        """The daily dispatch (日调度): yesterday's collected problems get a deadline and a follow-up."""
        for problem in self.dispatch.meet():
            ev = self.follow_up(problem)
            if ev is not None:
                ev.callbacks.append(partial(self._submit_followed_up, problem))

    def _submit_followed_up(self, problem: Any, _ev: simpy.Event) -> None:
        self.dispatch.submit(problem, priority=0)

    def _working_day(self, d: int) -> None:
        liaisons = self.config.liaisons
        supervisors = self.config.supervisors
        checkin = liaisons.checkin_hours.mean
        check = supervisors.prevention_check_hours.mean
        for role in ROLES:
            # steady teams repeat yesterday's routine day: counted in bulk
            acc = self.steady_sum[role]
            self.busy[role][d] += acc[0]
            self.available[role][d] += acc[1]
            name = "checkins" if role == LIAISON else "prevention_checks"
            self.counts[name + "_done"] += int(acc[2])
            self.counts[name + "_missed"] += int(acc[3])
        for team in self._take_pending(LIAISON):
            had_tasks = bool(team.queue)
            spare = self._work_queue(team, d)
            done, owed = self._routine(team, spare, checkin, "checkins")
            if owed:
                team.counter += 1.0 if done == owed else done / owed
            while team.uncollected and team.uncollected[0][0] <= team.counter + EPS:
                self.dispatch.enqueue(heapq.heappop(team.uncollected)[2])
            self._close_day(team, d, done, owed, had_tasks)
        for team in self._take_pending(SUPERVISOR):
            had_tasks = bool(team.queue)
            spare = self._work_queue(team, d)
            done, owed = self._routine(team, spare, check, "prevention_checks")
            self._set_share(team, done / owed if owed else 1.0)
            if self.help_inspection:
                self._help_county(team, d)
                had_tasks = True  # the county queue may change any day: never steady
            self._close_day(team, d, done, owed, had_tasks)

    def _take_pending(self, role: str) -> list[Team]:
        pending = self.pending[role]  # the teams hold this list: empty it in place
        teams = sorted(pending, key=_by_index)  # the same order whichever changed first
        pending.clear()
        for team in teams:
            team.dirty = False
        return teams

    def _work_queue(self, team: Team, d: int) -> float:
        """Work the queued tasks in priority order; the hours left."""
        team.today = d
        clocks = team.clocks = [0.0] * team.size
        env = self.city.env
        hpd = self.hours
        while team.queue and clocks[0] < hpd - EPS:
            task = team.queue[0][2]
            if task.ent is not None and task.ent.failed:
                heapq.heappop(team.queue)  # nobody is waiting for it any more
                continue
            # the least busy cadre takes it; what does not fit today carries over
            take = min(task.left, hpd - clocks[0])
            end = clocks[0] + take
            heapq.heapreplace(clocks, end)
            task.left -= take
            if task.left <= EPS:
                heapq.heappop(team.queue)
                finish = d + end / hpd
                self._complete(task.done, finish - env.now, finish - task.requested)
        return self.capacity(team) - sum(clocks)

    def _routine(self, team: Team, spare: float, mean_hours: float, name: str) -> tuple[int, int]:
        owed = team.active if team.role == LIAISON else team.open
        if owed <= 0:
            return 0, 0
        per = mean_hours + team.overhead
        fit = owed if per <= 0 else int((spare + EPS) // per)
        done = min(owed, fit)
        self._fill(team, done * per)
        self.counts[name + "_done"] += done
        self.counts[name + "_missed"] += owed - done
        return done, owed

    def _fill(self, team: Team, hours: float) -> None:
        """Spread routine hours over the cadres with time left (they come after the queued tasks)."""
        if hours <= 0:
            return
        clocks = sorted(team.clocks)
        for k, c in enumerate(clocks):
            add = min(hours, self.hours - c)
            if add > 0:
                clocks[k] = c + add
                hours -= add
        heapq.heapify(clocks)
        team.clocks = clocks

    def _set_share(self, team: Team, share: float) -> None:
        share = math.floor(share / SHARE_STEP + EPS) * SHARE_STEP
        if share != team.share:
            team.share = share
            for ent in team.members:
                if ent.state == OPEN:  # its hazard changes now
                    ent.update()

    def _help_county(self, team: Team, d: int) -> None:
        point = self.offices.inspection_team(team.county)
        env = self.city.env
        while point.queue_length:
            # the county team's visit is in inspector-days; a supervisor from another firm travels
            item = point.peek_waiting()
            assert item is not None
            hours = item[0] * self.hours + self.travel
            if team.clocks[0] + hours > self.hours + EPS:
                return
            taken = point.take_waiting()
            assert taken is not None
            _, done, arrived = taken
            end = team.clocks[0] + hours
            heapq.heapreplace(team.clocks, end)
            finish = d + end / self.hours
            self.counts["county_inspections"] += 1
            self._complete(done, finish - env.now, finish - arrived)

    def _close_day(self, team: Team, d: int, done: int, owed: int, had_tasks: bool) -> None:
        self.over_budget = max(self.over_budget, max(team.clocks) - self.hours)
        used = team.used
        self.busy[team.role][d] += used
        self.available[team.role][d] += self.capacity(team)
        if had_tasks or team.queue or team.uncollected or team.dirty:
            team.touch()  # process it again tomorrow
            return
        # only routine work today, and nothing waiting: tomorrow is the same day again
        team.steady = True
        team.routine = (used, done, owed - done)
        team.since = self.workdays
        team.advance = (1.0 if done == owed else done / owed) if owed else 0.0
        acc = self.steady_sum[team.role]
        acc[0] += used
        acc[1] += self.capacity(team)
        acc[2] += done
        acc[3] += owed - done

    def _complete(self, done: simpy.Event, delay: float, wait: float) -> None:
        # scheduled like a Timeout: one event per task
        done._ok = True  # type: ignore[attr-defined]
        done._value = wait  # type: ignore[attr-defined]
        self.city.env.schedule(done, NORMAL, max(0.0, delay))
        self.counts["tasks_done"] += 1
        self.wait_sum += wait

    # -- results -----------------------------------------------------------------

    def summary(self, view: ResultView) -> dict[str, float]:
        deployed_days = max(0.0, self.city.horizon - self.dispatch_day)
        out: dict[str, float] = {
            "cadre_days_deployed": float((self.heads[LIAISON] + self.heads[SUPERVISOR]) * deployed_days),
            "cadre_days": float((self.busy[LIAISON].sum() + self.busy[SUPERVISOR].sum()) / self.hours),
        }
        for role in ROLES:
            avail = self.available[role].sum()
            out[f"{role}_busy_share"] = float(self.busy[role].sum() / avail) if avail else math.nan
        for k in ("checkins_done", "checkins_missed", "prevention_checks_done", "prevention_checks_missed"):
            out[k] = float(self.counts[k])
        tasks = self.counts["tasks_done"]
        out["mean_cadre_wait"] = self.wait_sum / tasks if tasks else math.nan
        n = max(view.pop.n, 1)
        liaison, supervisor = self.firm_teams(view)
        out["liaison_coverage"] = float((liaison >= 0).sum() / n)
        out["supervisor_coverage"] = float((supervisor >= 0).sum() / n)
        for role, cadre in (("liaison", liaison), ("supervisor", supervisor)):
            for name, members in view.groups(("county",)):
                count = int(members.sum())
                out[f"{role}_coverage_{name}"] = float((cadre[members] >= 0).sum() / count) if count else math.nan
        return out

    def firm_teams(self, view: ResultView) -> tuple[np.ndarray, np.ndarray]:
        """Each firm's liaison and supervisor cadre (−1: none), one row per firm."""
        cols = self.firm_columns(view)
        return cols["liaison"], cols["supervisor"]

    def firm_columns(self, view: ResultView) -> dict[str, np.ndarray]:
        """Each firm's liaison cadre, supervisor cadre (−1: none) and grid (−1: not gridded)."""
        a = self.assignment
        cols = {"liaison": a.liaison, "supervisor": a.supervisor, "grid": a.grid}
        if len(view.members) and int(view.members.max()) > 1:
            return {k: np.repeat(v, view.members) for k, v in cols.items()}
        return cols

    def daily(self, view: ResultView) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for role in ROLES:
            # busy share of day d's working hours, in row d + 1 like the other time averages
            u = self.utilisation(role)[: view.days + 1]
            shifted = np.zeros_like(u)
            shifted[1:] = u[:-1]
            out[f"{role}_utilisation"] = shifted
        return out

    def utilisation(self, role: str) -> np.ndarray:
        """Busy share of each day's working hours (0 on days without working hours)."""
        avail = self.available[role]
        return np.divide(self.busy[role], avail, out=np.zeros_like(avail), where=avail > 0)


def _by_index(team: Team) -> int:
    return team.index


