"""Why each firm is held back: once a day, every firm counted under the constraint that binds it.

A firm not producing at full capacity is held back by one thing at a time:

- on the road to restart (:mod:`sim.model.approval`): its **preparation**
  (supplies, plan, paperwork), the **approval** queue and review, the
  **inspection**, or the restart **ban** (and a new project's set-up);
- allowed to restart but not reopening (:mod:`sim.model.reopening`): its
  **orders** or its **inputs** are too short to make reopening worth it;
- open below full production: whichever is least of its **workers** (and open
  problems), its **inputs** and its **orders** (:mod:`sim.model.production`);
- **suspended** (an incident's shutdown, a failed inspection), or **failed**
  (its cash ran out: closed for good).

A firm at full production (the threshold of ``metrics``) is counted as
**full**. The shares of firms in each category add up to 1 every day, overall
(``held_<constraint>``) and within each size class and sector
(``held_<constraint>_<group>``): the stacked-area view of the report, and the
comparison of variants by firm-days held (``held_days_<constraint>``).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Protocol

import numpy as np
import simpy

from sim.model.enterprise import CLOSED, FAILED, OPEN, SUSPENDED
from sim.model.module import City, Metric, Module, ResultView, Series, groups

CONSTRAINTS = ("preparation", "approval", "inspection", "ban", "orders", "inputs", "workers", "suspended", "failed",
               "full")
LABELS = {
    "preparation": ("preparation (supplies, plan, paperwork)", "复工准备（物资、方案、材料）"),
    "approval": ("approval queue and review", "审批排队与审核"),
    "inspection": ("inspection", "防疫检查"),
    "ban": ("restart ban or set-up", "禁止复工期或项目建设"),
    "orders": ("orders", "订单不足"),
    "inputs": ("inputs (suppliers)", "原材料与供应链"),
    "workers": ("workers", "用工不足"),
    "suspended": ("suspended", "停产整改"),
    "failed": ("failed (cash)", "倒闭（资金链断裂）"),
    "full": ("at full production", "已达产"),
}
CODE = {c: k for k, c in enumerate(CONSTRAINTS)}
Process = Generator[simpy.Event, Any, None]


class Road(Protocol):
    stage: list[int]


class Waiting(Protocol):
    why: dict[int, str]


class Production(Protocol):
    cap_now: np.ndarray
    labour: np.ndarray
    threshold: float


class Limits(Protocol):
    limit_now: np.ndarray


class ConstraintsModule(Module):
    """A daily count of firms by the constraint that holds them back."""

    name = "constraints"
    SERIES = tuple(
        Series(f"held_{c}", f"share of firms held back by {LABELS[c][0]} (full: at full production)",
               (f"Held back by {LABELS[c][0]}", f"受{LABELS[c][1]}制约"), "share", by=("size_class", "sector"),
               short=LABELS[c])
        for c in CONSTRAINTS)
    METRICS = tuple(
        Metric(f"held_days_{c}", f"firm-days held back by {LABELS[c][0]}", (f"firm-days: {LABELS[c][0]}",
               f"企业日：{LABELS[c][1]}"), "firm-days", "count", "lower" if c != "full" else "higher", 100.0)
        for c in CONSTRAINTS)

    def __init__(self, city: City) -> None:
        super().__init__(city)
        self.codes: list[np.ndarray] = []  # one array of every firm's code per day (row d: day d)

    def connect(self, approval: Road, reopening: Waiting, production: Production, network: Limits,
                demand: Limits) -> None:
        self.approval = approval
        self.reopening = reopening
        self.production = production
        self.network = network
        self.demand = demand

    def start(self) -> None:
        self.city.env.process(self._days())

    def _days(self) -> Process:
        env = self.city.env
        days = int(np.ceil(self.city.horizon))
        self.codes.append(self.snapshot())
        for _ in range(days):
            yield env.timeout(1.0)
            self.codes.append(self.snapshot())

    def snapshot(self) -> np.ndarray:
        """Every firm's constraint code now."""
        ents = self.city.enterprises
        n = len(ents)
        state = np.fromiter((e.state for e in ents), dtype=np.int8, count=n)
        stage = np.asarray(self.approval.stage, dtype=np.int8)
        cap = self.production.cap_now
        labour = self.production.labour
        inputs = self.network.limit_now
        orders = self.demand.limit_now
        code = np.full(n, CODE["full"], dtype=np.int8)
        closed = state == CLOSED
        # on the road: the stage; waiting to reopen: what the firm said holds it back
        road = np.array([CODE["preparation"], CODE["approval"], CODE["inspection"], CODE["ban"], CODE["orders"],
                         CODE["orders"]], dtype=np.int8)
        code[closed] = road[stage[closed]]
        for i, why in self.reopening.why.items():
            if closed[i]:
                code[i] = CODE["inputs"] if why == "inputs" else CODE["orders"]
        short = (state == OPEN) & (cap < self.production.threshold)
        least = np.argmin(np.stack([labour, inputs, orders]), axis=0)
        code[short] = np.array([CODE["workers"], CODE["inputs"], CODE["orders"]], dtype=np.int8)[least[short]]
        code[state == SUSPENDED] = CODE["suspended"]
        code[state == FAILED] = CODE["failed"]
        return code

    # -- results ---------------------------------------------------------------------------------

    def daily(self, view: ResultView) -> dict[str, np.ndarray]:
        days = view.days
        codes = np.stack(self.codes[: days + 1]) if self.codes else np.zeros((days + 1, 0), np.int8)
        if len(codes) < days + 1:  # a run stopped early: the last state holds
            codes = np.vstack([codes, np.repeat(codes[-1:], days + 1 - len(codes), axis=0)])
        members = view.members.astype(float)
        pop = self.city.pop
        out: dict[str, np.ndarray] = {}
        every = [("", np.ones(pop.n, dtype=bool))] + [(f"_{g}", m) for g, m in groups(pop, ("size_class", "sector"))]
        for suffix, mask in every:
            weight = members * mask
            total = weight.sum()
            if not total:
                continue
            for k, c in enumerate(CONSTRAINTS):
                out[f"held_{c}{suffix}"] = ((codes == k) * weight).sum(axis=1) / total
        return out

    def summary(self, view: ResultView) -> dict[str, float]:
        members = view.members.astype(float)
        codes = np.stack(self.codes) if self.codes else np.zeros((0, 0), np.int8)
        return {f"held_days_{c}": float(((codes == k) * members).sum()) for k, c in enumerate(CONSTRAINTS)}

