"""Production: what a firm makes once open, and the restart, workers and production results.

A firm's capacity in use is ``workers present ÷ workforce`` times the factors
of the modules that cut it (open problems, …) — what its labour allows — but
at most the least of the limits other modules put on it (its orders, its
inputs, what its cash can finance), while it is open; 0 otherwise.
Every change of a firm (:meth:`Enterprise.update`) comes here: the output
since the last change is booked at the old capacity, the new capacity is
computed and logged (one append to the change log, turned into daily series
after the run), and the modules that follow a firm's capacity (money:
income; outbreaks: the hazard of the workers present) are told. Full
production (达产) is the first time capacity reaches the threshold.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Protocol

import numpy as np

from sim.model.enterprise import FAILED, OPEN
from sim.model.firm_classes import SIZE_CLASSES
from sim.model.module import City, Metric, Module, ResultView, Series, groups, nan_stat
from sim.model.records import Outcome, level_at_days
from sim.scenario.params import Strict, param

if TYPE_CHECKING:
    from sim.model.enterprise import Enterprise


class Metrics(Strict):
    full_production_threshold: float = param(0.9, unit="share of capacity", meaning="capacity counted as full production (达产)",
                                             provenance="assumption: DESIGN default", ge=0.0, le=1.0, allow_inf_nan=False)


class Workers(Protocol):
    present: list[int]


def _first_day(series: np.ndarray, level: float) -> float:
    hit = np.nonzero(series >= level - 1e-12)[0]
    return float(hit[0]) if len(hit) else math.nan


class ProductionModule(Module):
    """Capacity and output of every firm; the change log; restart and production results."""

    name = "production"
    SECTIONS = {"config": "metrics"}
    OUTCOMES = (
        Outcome("restart_day", "f8", "first restart (复工)"),
        Outcome("full_production_day", "f8", "capacity first reached the full-production threshold (达产)"),
        Outcome("output_lost", "f8", "revenue lost against full capacity over the horizon, yuan"),
        Outcome("workers_at_post_end", "i4", "workers at post at the horizon"),
    )
    METRICS = (
        Metric("enterprises", "enterprises simulated", ("enterprises", "企业数"), "firms", "count"),
        Metric("restarted_share", "share restarted by the horizon", ("restarted by the horizon", "期末已复工"),
               "share", "share", "higher", 0.01, rank=4),
        Metric("mean_restart_day", "mean restart day of the restarted", ("mean restart day", "平均复工日"),
               "day", "day", "lower", 1.0, rank=1),
        Metric("median_restart_day", "median restart day of the restarted", ("median restart day", "复工日中位数"),
               "day", "day", "lower", 1.0),
        Metric("p90_restart_day", "90th percentile restart day of the restarted", ("90th pct restart day", "复工日90分位"),
               "day", "day", "lower", 1.0),
        Metric("mean_full_production_day", "mean day of full production (达产) of those that reached it",
               ("mean full-production day (达产)", "平均达产日"), "day", "day", "lower", 1.0),
        Metric("median_full_production_day", "median day of full production",
               ("median full-production day", "达产日中位数"), "day", "day", "lower", 1.0),
        Metric("p90_full_production_day", "90th percentile day of full production",
               ("90th pct full-production day", "达产日90分位"), "day", "day", "lower", 1.0),
        Metric("full_production_share", "share that reached full production", ("reached full production", "已达产"),
               "share", "share", "higher", 0.01, rank=5,
               views=("headline", "scorecard", "comparison")),
        Metric("day_resumed_50", "first day the resumption rate (复工率) reached 50% (NaN: never)",
               ("day resumption (复工率) ≥ 50 %", "复工率达50%之日"), "day", "day", "lower", 1.0, rank=2,
               censored=True),
        Metric("day_resumed_90", "first day the resumption rate reached 90% (NaN: never)",
               ("day resumption (复工率) ≥ 90 %", "复工率达90%之日"), "day", "day", "lower", 1.0, rank=3,
               censored=True),
        Metric("resumed_share_end", "resumption rate at the horizon", ("resumption rate (复工率) at the horizon", "期末复工率"),
               "share", "share", "higher", 0.01),
        Metric("workers_back_share_end", "workers at post (复岗率) at the horizon",
               ("workers back (复岗率) at the horizon", "期末复岗率"), "share", "share", "higher", 0.01),
        Metric("production_index_end", "production index (达产率) at the horizon",
               ("production index (达产率) at the horizon", "期末达产率"), "share", "share", "higher", 0.01, rank=6,
               views=("scorecard",)),
        Metric("output_lost", "revenue lost against full capacity, yuan", ("output lost, yuan", "产值损失（元）"),
               "yuan", "yuan", "lower", 1e7),
        Metric("output_lost_share", "output lost ÷ full-capacity output", ("output lost, share", "产值损失占比"),
               "share", "share", "lower", 0.01, rank=9),
        Metric("events", "simulation events", ("simulation events", "仿真事件数"), "events", "count"),
    )
    SERIES = (
        Series("resumed_share", "share of firms open (复工率)",
               ("Resumption rate (复工率): share of enterprises open", "复工率：已复工企业占比"), "share",
               by=("size_class", "county"), short=("复工率", "复工率")),
        Series("restarted_share", "share of firms that have restarted at least once",
               ("Restarted at least once: share of enterprises", "曾复工企业占比"), "share"),
        Series("workers_back_share", "share of the workers at their posts (复岗率); a group's share is of its own workers",
               ("Workers back (复岗率): share of workers at their posts", "复岗率：已返岗职工占比"), "share",
               by=("size_class", "county"), short=("复岗率", "复岗率")),
        Series("production_index", "capacity in use, weighted by workers (达产率); a group's index is of its own workers",
               ("Production index (达产率): capacity in use", "达产率：产能恢复程度"), "share",
               by=("size_class", "county"), short=("达产率", "达产率")),
        Series("capacity_use", "production of the firms open ÷ their capacity, weighted by workers (产能利用率 of "
               "the firms open, 1 = normal); 0 while no firm is open",
               ("Capacity use of the firms open (产能利用率)", "开工企业产能利用率"), "share", by=("size_class",),
               short=("capacity use", "产能利用率")),
    )

    def __init__(self, city: City, config: Metrics) -> None:
        super().__init__(city)
        self.threshold = config.full_production_threshold
        pop = city.pop
        n = pop.n
        self.revenue: list[float] = pop.revenue_per_day.tolist()
        self.logged_open = [0] * n
        self.logged_workers = [0] * n
        self.logged_cap = [0.0] * n
        self.cap_now = np.zeros(n)  # the same as an array, for the modules that read every firm's at once
        self.open_now = np.zeros(n, dtype=bool)  # open, at the last change
        self.produced = [0.0] * n
        self.t_prod = [0.0] * n
        self.reached_full = [False] * n
        self.present: list[int] = []
        self.factors: list[list[float]] = []
        self.limits: list[list[float]] = []
        self.labour = np.zeros(n)  # what labour and problems allow, at the last change (for what binds)

    def connect(self, workforce: Workers) -> None:
        """Capacity follows the workers present and the factors of the modules that cut it."""
        self.present = workforce.present
        self.factors = [m.factor for m in self.city.hooks["cuts_capacity"]]
        self.limits = [m.limit for m in self.city.hooks["limits_capacity"]]
        self.capacity_listeners = self.city.hooks["capacity_changed"]
        self.open_listeners = self.city.hooks["open_changed"]

    # -- the hub every change of a firm goes through --------------------------------------------

    def restarting(self, ent: Enterprise) -> None:
        ent.record("restart_day", self.city.env.now)

    def update(self, ent: Enterprise) -> None:
        """Book output up to now, recompute capacity, log it, tell the modules that follow it."""
        i = ent.i
        now = self.city.env.now
        logged_cap = self.logged_cap
        self.produced[i] += logged_cap[i] * self.revenue[i] * (now - self.t_prod[i])
        self.t_prod[i] = now
        is_open = ent.state == OPEN
        present = self.present[i]
        at_post = present if is_open else 0
        if is_open:
            cap = present / ent.workers
            for factor in self.factors:
                cap *= factor[i]
            self.labour[i] = cap
            for limit in self.limits:
                if limit[i] < cap:
                    cap = limit[i]
        else:
            cap = 0.0
        d_open = int(is_open) - self.logged_open[i]
        d_workers = at_post - self.logged_workers[i]
        d_cap = cap - logged_cap[i]
        if d_open or d_workers or d_cap:
            self.city.log.record(now, i, d_open, d_workers, d_cap * ent.workers)
            if d_open:
                for listener in self.open_listeners:
                    listener.open_changed(ent, d_open)
            self.logged_open[i] = int(is_open)
            self.open_now[i] = is_open
            self.logged_workers[i] = at_post
            logged_cap[i] = cap
            self.cap_now[i] = cap
        if cap >= self.threshold and not self.reached_full[i]:
            self.reached_full[i] = True
            ent.record("full_production_day", now)
        for listener in self.capacity_listeners:
            listener.capacity_changed(ent, now, cap, at_post)

    def finish(self) -> None:
        horizon = self.city.horizon
        out = self.city.outcomes
        lost, at_post = out["output_lost"], out["workers_at_post_end"]
        for ent in self.city.enterprises:
            i = ent.i
            if ent.state != FAILED:
                self.produced[i] += self.logged_cap[i] * self.revenue[i] * (horizon - self.t_prod[i])
            lost[i] = self.revenue[i] * horizon - self.produced[i]
            at_post[i] = self.logged_workers[i]

    # -- results ---------------------------------------------------------------------------------

    def daily(self, view: ResultView) -> dict[str, np.ndarray]:
        """Shares are of firms (a cohort counts its members); worker series of workers."""
        city = self.city
        days, members = view.days, view.members
        n = max(int(members.sum()), 1)
        log = city.log
        t = np.asarray(log.times, dtype=float)
        ents = np.asarray(log.ents, dtype=np.int64)
        d_open = np.asarray(log.d_open, dtype=float)
        d_workers = np.asarray(log.d_workers, dtype=float)
        d_prod = np.asarray(log.d_prod, dtype=float)
        sim_pop = city.pop
        firm_workers = sim_pop.workers.astype(np.int64) * members  # a cohort's workers in all its firms
        d_capacity = d_open * firm_workers[ents] if len(ents) else d_open  # capacity opened (+) or closed (−)
        if sim_pop.has_cohorts and len(ents):  # a cohort's change is a change of each of its firms
            w = members[ents].astype(float)
            d_open, d_workers, d_prod = d_open * w, d_workers * w, d_prod * w
        total_workers = max(int(firm_workers.sum()), 1)
        out: dict[str, np.ndarray] = {}
        out["resumed_share"] = level_at_days(t, d_open, days) / n
        restart = view.outcomes["restart_day"]
        r = restart[~np.isnan(restart)]
        out["restarted_share"] = level_at_days(r, np.ones_like(r), days) / n
        out["workers_back_share"] = level_at_days(t, d_workers, days) / total_workers
        out["production_index"] = level_at_days(t, d_prod, days) / total_workers
        out["capacity_use"] = _share(level_at_days(t, d_prod, days), level_at_days(t, d_capacity, days))
        for name, in_group in groups(sim_pop, ("size_class", "county")):
            count = int(members[in_group].sum())
            if not count:
                continue
            # Each group's worker and production series are shares of the group's own workers, so
            # that the city series is their average weighted by workers.
            group_workers = max(int(firm_workers[in_group].sum()), 1)
            sel = in_group[ents] if len(ents) else np.zeros(0, bool)
            ts = t[sel]
            out[f"resumed_share_{name}"] = level_at_days(ts, d_open[sel], days) / count
            out[f"workers_back_share_{name}"] = level_at_days(ts, d_workers[sel], days) / group_workers
            out[f"production_index_{name}"] = level_at_days(ts, d_prod[sel], days) / group_workers
            if name in SIZE_CLASSES:
                out[f"capacity_use_{name}"] = _share(level_at_days(ts, d_prod[sel], days),
                                                     level_at_days(ts, d_capacity[sel], days))
        return out

    def summary(self, view: ResultView) -> dict[str, float]:
        o = view.outcomes
        pop = view.pop
        n = max(pop.n, 1)
        restart = o["restart_day"]
        full = o["full_production_day"]
        series = view.series
        full_output = float(pop.revenue_per_day.sum()) * view.horizon
        return {
            "enterprises": float(pop.n),
            "restarted_share": float((~np.isnan(restart)).sum() / n),
            "mean_restart_day": nan_stat(restart, "mean"),
            "median_restart_day": nan_stat(restart, "quantile", 0.5),
            "p90_restart_day": nan_stat(restart, "quantile", 0.9),
            "mean_full_production_day": nan_stat(full, "mean"),
            "median_full_production_day": nan_stat(full, "quantile", 0.5),
            "p90_full_production_day": nan_stat(full, "quantile", 0.9),
            "full_production_share": float((~np.isnan(full)).sum() / n),
            "day_resumed_50": _first_day(series["resumed_share"], 0.5),
            "day_resumed_90": _first_day(series["resumed_share"], 0.9),
            "resumed_share_end": float(series["resumed_share"][-1]),
            "workers_back_share_end": float(series["workers_back_share"][-1]),
            "production_index_end": float(series["production_index"][-1]),
            "output_lost": float(o["output_lost"].sum()),
            "output_lost_share": float(o["output_lost"].sum() / full_output) if full_output else math.nan,
            "events": float(view.events),
        }


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part ÷ whole, 0 where whole is 0."""
    return np.divide(part, whole, out=np.zeros_like(part, dtype=float), where=whole > 1e-9)
