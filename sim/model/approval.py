"""The road to restart: preparation, the restart application (复工申请审批), inspection, the ban.

Every firm's life starts here (:meth:`ApprovalModule.lifecycle`, one SimPy
process a firm). A firm prepares its application (:mod:`sim.model.preparation`),
queues at its approval office (:mod:`sim.model.offices`) and goes through
review rounds (rework when documents are missing; a liaison's first visit
lowers the chance), passes the epidemic-prevention inspection
(:mod:`sim.model.inspection`), waits for the restart ban (``calendar``) and
restarts. A new or expanding project goes through its own multi-step
procedure instead of the review (:mod:`sim.model.projects`).

The approval *procedure* is a policy chosen by name in ``policies.approval``
(``standard``, ``fast_track``; see :data:`sim.model.registry.PROCEDURES`). It
answers the questions the road asks: the queue priority of a firm, the
reviewer time of a round, the chance of rework at a round, and in which order
approval and inspection come (``steps``: :data:`ROADS`).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
import simpy
from pydantic import model_validator

from sim.model.firm_classes import check_keys
from sim.model.module import City, Metric, Module, ResultView
from sim.model.records import Outcome
from sim.scenario.distributions import lognormal
from sim.scenario.params import Strict, param
from sim.scenario.types import Day, Dist, Factor, Probability

if TYPE_CHECKING:
    from sim.model.enterprise import Enterprise
    from sim.model.servers import ServicePoint

Process = Generator[simpy.Event, Any, None]
# where a firm is on the road to restart, for the view of what holds it back
PREPARING, APPLYING, INSPECTING, BANNED, DECIDING, RESTARTED = range(6)
STAGES = ("preparation", "approval", "inspection", "ban", "decision", "restarted")
StepMode = Literal["sequential", "parallel", "commitment"]


# -- the scenario's sections --------------------------------------------------------------------


class Calendar(Strict):
    restart_ban_until_day: Day = param(7.0, unit="day", meaning="no restart before this day (day 0 = start_date)",
                                       provenance="policy: Liaoning order 辽政办明电〔2020〕6号, no restart before 9 Feb 24:00")
    essential_exempt: bool = param(True, unit="yes/no", meaning="essential (三必需一重要) firms may restart during the ban",
                                   provenance="policy: 辽政办明电〔2020〕6号 exempts essential sectors")


class Approval(Strict):
    """Restart application and review (复工申请审批) at the county office."""

    preparation_days: Dist = param(lambda: lognormal(4.0, 0.6), unit="days", meaning="paperwork: time to prepare the application documents without help (the other preparation tasks are in 'preparation')",
                                   provenance="assumption")
    review_days: Dist = param(lambda: lognormal(0.2, 0.6), unit="reviewer working days", meaning="reviewer time for one review round under the standard procedure",
                              provenance="assumption: about 1.5 working hours a round; 国办发明电〔2020〕6号 asks for an answer within 2 working days")
    rework_probability: Probability = param(0.35, unit="probability", meaning="chance an application is returned for missing documents at a review",
                                            provenance="assumption")
    rework_days: Dist = param(lambda: lognormal(3.0, 0.6), unit="days", meaning="time to complete a returned application",
                              provenance="assumption")
    max_rounds: int = param(6, unit="rounds", meaning="review rounds after which an application is approved whatever is missing",
                            provenance="assumption", ge=1, le=100)


class StandardApproval(Strict):
    """Ordinary procedure: first come first served, review then inspection, several rounds."""

    name: Literal["standard"] = "standard"
    steps: StepMode = param("sequential", unit="mode", meaning="sequential: approval then inspection; parallel: both at once; commitment: restart on approval, inspect after",
                            provenance="assumption: the ordinary procedure is sequential")
    review_time_factor: Factor = param(1.0, unit="factor", meaning="review time ÷ the approval.review_days draw",
                                       provenance="assumption")
    priority_order: list[str] = param(list, unit="keys", meaning="queue priority classes, highest first; empty: first come first served",
                                      provenance="assumption")
    max_rounds: int | None = param(None, unit="rounds", meaning="cap on review rounds; empty: approval.max_rounds",
                                   provenance="assumption", ge=1, le=100)
    registration: Literal["standard", "fast"] = param("standard", unit="mode", meaning="licence procedure for new projects",
                                                      provenance="literature: 国办发〔2018〕32号")
    project_steps_parallel: bool = param(False, unit="yes/no", meaning="new-project steps run in parallel instead of in sequence",
                                         provenance="assumption")

    @model_validator(mode="after")
    def _keys(self) -> StandardApproval:
        check_keys(self.priority_order)
        return self

    def build(self, approval: Approval) -> StandardProcedure:
        return StandardProcedure(self, approval)


class FastTrackApproval(Strict):
    """特事特办: online approval, green channel, priority classes, one-time notice of missing items."""

    name: Literal["fast_track"] = "fast_track"
    steps: StepMode = param("parallel", unit="mode", meaning="sequential, parallel, or commitment (approve on commitment, 告知承诺)",
                            provenance="policy: 国办发明电〔2020〕6号, parallel processing, may switch to 告知承诺")
    review_time_factor: Factor = param(0.5, unit="factor", meaning="review time ÷ the approval.review_days draw",
                                       provenance="source: 特事特办, online approval (size assumed)")
    priority_order: list[str] = param(lambda: ["essential", "above_scale", "high_tech", "gazelle"], unit="keys",
                                      meaning="queue priority classes, highest first",
                                      provenance="source: priority for 三必需一重要, above-scale and high-tech firms")
    max_rounds: int | None = param(2, unit="rounds", meaning="cap on review rounds (one-time notice of everything missing)",
                                   provenance="assumption: 一次性告知", ge=1, le=100)
    registration: Literal["standard", "fast"] = param("fast", unit="mode", meaning="licence procedure for new projects",
                                                      provenance="source: special desks for restarting firms")
    project_steps_parallel: bool = param(True, unit="yes/no", meaning="new-project steps run in parallel",
                                         provenance="source: Maiqi, all steps in one week, set-up in parallel")

    @model_validator(mode="after")
    def _keys(self) -> FastTrackApproval:
        check_keys(self.priority_order)
        return self

    def build(self, approval: Approval) -> StandardProcedure:
        return FastTrackProcedure(self, approval)


# -- procedures -------------------------------------------------------------------------------


def priority_class(order: list[str], ent: Enterprise) -> int:
    """Index of the first key in ``order`` that the enterprise has; ``len(order)`` if none."""
    for i, key in enumerate(order):
        if ent.has_key(key):
            return i
    return len(order)


class StandardProcedure:
    """Ordinary procedure: FIFO queue (unless priorities are set), review then inspection."""

    def __init__(self, config: StandardApproval | FastTrackApproval, approval: Approval) -> None:
        self.config = config
        self.steps = config.steps
        self.review_time_factor = config.review_time_factor
        self.priority_order = list(config.priority_order)
        self.max_rounds = config.max_rounds if config.max_rounds is not None else approval.max_rounds
        self.fast_registration = config.registration == "fast"
        self.project_steps_parallel = config.project_steps_parallel

    def priority(self, ent: Enterprise) -> int:
        return priority_class(self.priority_order, ent) if self.priority_order else 0

    def review_days(self, base_days: float) -> float:
        return base_days * self.review_time_factor

    def rework_probability(self, base: float, round_no: int) -> float:
        """Chance of rework at review ``round_no`` (1-based)."""
        return base if round_no < self.max_rounds else 0.0


class FastTrackProcedure(StandardProcedure):
    """特事特办: priority classes, faster review, and a one-time notice of everything missing.

    With a one-time notice (一次性告知) the office lists every gap at the first
    return, so a second return is rarer: the rework chance halves each round.
    """

    def rework_probability(self, base: float, round_no: int) -> float:
        if round_no >= self.max_rounds:
            return 0.0
        return base * 0.5 ** (round_no - 1)


# -- what the road needs of other modules (their declared interfaces) ------------------------------


class Preparing(Protocol):
    def prepare(self, ent: Enterprise) -> Process: ...


class Inspecting(Protocol):
    def until_pass(self, ent: Enterprise, after_incident: bool = False) -> Process: ...


class Projects(Protocol):
    def procedure(self, ent: Enterprise, fast_registration: bool, steps_parallel: bool) -> Process: ...
    def ready_day(self, ent: Enterprise) -> float: ...


class Liaisons(Protocol):
    def rework_factor(self, ent: Enterprise) -> float: ...


class Deciding(Protocol):
    def until_worthwhile(self, ent: Enterprise) -> Generator[simpy.Event, Any, bool]: ...


class Offices(Protocol):
    def approval_office(self, ent: Enterprise) -> ServicePoint: ...


class ApprovalModule(Module):
    """Drives every firm to its restart under the chosen procedure."""

    name = "approval"
    SECTIONS = {"calendar": "calendar", "config": "approval", "policy": "policies.approval"}
    STREAMS = ("review", "rework", "rework_days")
    OUTCOMES = (
        Outcome("application_day", "f8", "first restart application submitted"),
        Outcome("approval_day", "f8", "restart approved"),
        Outcome("rework_rounds", "i4", "applications returned for missing documents"),
    )
    METRICS = (
        Metric("mean_rework_rounds", "mean returned applications per applicant", ("returned applications", "退回补正次数"),
               "rounds", "number", "lower", 0.1),
    )

    def __init__(self, city: City, calendar: Calendar, config: Approval,
                 policy: StandardApproval | FastTrackApproval) -> None:
        super().__init__(city)
        self.config = config
        self.procedure = policy.build(config)
        self.ban_until = calendar.restart_ban_until_day
        self.essential_exempt = calendar.essential_exempt
        self.road: Callable[[ApprovalModule, Enterprise], Process] = ROADS[self.procedure.steps]
        self.stage = [PREPARING] * city.pop.n  # where each firm is on the road (STAGES)

    def connect(self, preparation: Preparing, inspection: Inspecting, projects: Projects, cadres: Liaisons,
                offices: Offices, reopening: Deciding) -> None:
        self.reopening = reopening
        self.preparation = preparation
        self.inspection = inspection
        self.projects = projects
        self.cadres = cadres
        self.offices = offices

    def restart_allowed_day(self, ent: Enterprise) -> float:
        if ent.essential and self.essential_exempt:
            return 0.0
        return self.ban_until

    # -- the life of a firm up to its restart -------------------------------------------------------

    def lifecycle(self, ent: Enterprise) -> Process:
        city = self.city
        if city.pop.already_running[ent.i]:
            ent.record("approval_day", 0.0)
            ent.record("inspection_day", 0.0)
            self._approved(ent, 0.0)
            self.stage[ent.i] = RESTARTED
            ent.open()
            return
        ent.update()  # lets the modules that follow a firm schedule what they plan while it is closed
        self.stage[ent.i] = APPLYING if ent.new_project else PREPARING
        yield from self.road(self, ent)

    def _restart(self, ent: Enterprise) -> Generator[simpy.Event, Any, bool]:
        """Wait for the firm's set-up and the restart ban, then for reopening to be worth it (the reopening
        module), then restart; False if the firm failed first."""
        if ent.failed:
            return False
        env = self.city.env
        earliest = max(self.projects.ready_day(ent), self.restart_allowed_day(ent))
        if env.now < earliest:
            self.stage[ent.i] = BANNED
            yield env.timeout(earliest - env.now)
            if ent.failed:
                return False
        self.stage[ent.i] = DECIDING
        if not (yield from self.reopening.until_worthwhile(ent)):
            return False
        self.stage[ent.i] = RESTARTED
        ent.open()
        return True

    def _sequential(self, ent: Enterprise) -> Process:
        """Approval, then inspection, then restart."""
        yield from self.obtain_approval(ent)
        if not ent.failed:
            self.stage[ent.i] = INSPECTING
            yield from self.inspection.until_pass(ent)
        yield from self._restart(ent)

    def _parallel(self, ent: Enterprise) -> Process:
        """The application is prepared first; review and inspection then run side by side."""
        if not ent.new_project:
            yield from self.preparation.prepare(ent)
        self.stage[ent.i] = APPLYING
        inspection = self.city.env.process(self.inspection.until_pass(ent))
        yield from self.obtain_approval(ent, prepared=True)
        if not inspection.triggered:
            self.stage[ent.i] = INSPECTING
            yield inspection
        yield from self._restart(ent)

    def _commitment(self, ent: Enterprise) -> Process:
        """Approve on commitment (告知承诺): restart on approval, inspect after."""
        yield from self.obtain_approval(ent)
        if ent.failed:
            return
        if (yield from self._restart(ent)):
            yield from self.inspection.until_pass(ent)

    def obtain_approval(self, ent: Enterprise, prepared: bool = False) -> Process:
        if ent.new_project:
            yield from self.projects.procedure(ent, self.procedure.fast_registration, self.procedure.project_steps_parallel)
        else:
            if not prepared:
                yield from self.preparation.prepare(ent)
            self.stage[ent.i] = APPLYING
            yield from self.review_rounds(ent)
        if not ent.failed:
            now = self.city.env.now
            ent.record("approval_day", now)
            self._approved(ent, now)

    def _approved(self, ent: Enterprise, now: float) -> None:
        for m in self.city.hooks["approved"]:
            m.approved(ent, now)

    def review_rounds(self, ent: Enterprise) -> Process:
        env = self.city.env
        config = self.config
        procedure = self.procedure
        office = self.offices.approval_office(ent)
        ent.record("application_day", env.now)
        base_rework = config.rework_probability * self.cadres.rework_factor(ent)
        rounds = 0
        while True:
            rounds += 1
            review = procedure.review_days(config.review_days.quantile(ent.u("review")))
            yield ent.ask(office, review, procedure.priority(ent))
            if ent.failed:
                return
            if ent.u("rework") < procedure.rework_probability(min(1.0, base_rework), rounds):
                self.city.outcomes["rework_rounds"][ent.i] += 1
                yield env.timeout(config.rework_days.quantile(ent.u("rework_days")))
                if ent.failed:
                    return
                continue
            return

    # -- results ---------------------------------------------------------------------------------

    def summary(self, view: ResultView) -> dict[str, float]:
        o = view.outcomes
        applicants = ~np.isnan(o["application_day"])
        return {"mean_rework_rounds": float(o["rework_rounds"][applicants].mean()) if applicants.any() else float("nan")}


ROADS: dict[str, Callable[[ApprovalModule, Enterprise], Process]] = {
    "sequential": ApprovalModule._sequential,
    "parallel": ApprovalModule._parallel,
    "commitment": ApprovalModule._commitment,
}
