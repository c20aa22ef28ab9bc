"""Approval procedures: how the county office treats restart applications.

A procedure is chosen by name in ``policies.approval`` (see
``APPROVAL_POLICIES``). It answers four questions the enterprise process asks:
the queue priority of an enterprise, the reviewer time of a round, the cap on
review rounds, and how approval and inspection are ordered
(``sequential``, ``parallel`` or ``commitment``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.scenario.policies_schema import FastTrackApproval, StandardApproval
from sim.scenario.sections import Approval

if TYPE_CHECKING:
    from sim.model.enterprise import Enterprise


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


APPROVAL_POLICIES: dict[str, type[StandardProcedure]] = {
    "standard": StandardProcedure,
    "fast_track": FastTrackProcedure,
}


def make_procedure(config: StandardApproval | FastTrackApproval, approval: Approval) -> StandardProcedure:
    return APPROVAL_POLICIES[config.name](config, approval)
