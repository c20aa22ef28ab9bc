"""Orders: what a firm can sell, from customers outside the city and from firms of the city.

A sector's sales go partly to firms of the city (``city_share``) and the rest to
households, investors and firms outside, whose demand fell and recovered month
by month in 2020 (``index``: derived from NBS industrial value added, retail
sales, catering revenue and fixed-asset investment, weighted by where the
sector's output goes in China's 2018 input-output table). A firm's orders, as
a share of what it sells at full capacity, are

    (1 − city_share) × own(firm, day) + city_share × (its city customers' capacity in use),
    own(firm, day) = index(sector, day) ** exposure(firm),

its city customers being the firms that drew it as a supplier
(:mod:`sim.model.network`), weighted by what they buy from it, a customer that
has made nothing for ``network.replace_after_days`` replaced by the rest of its
sector in the city; a firm no city
firm buys from sells its city share at its own outside demand too.

The sector's index is an average over its firms; a firm's own customers fell
by more or less than the average (``exposure``, drawn once per firm, mean 1,
spread ``exposure_cv`` by size class: above 1 the firm's orders fall deeper
than its sector's, below 1 less deep; a sector at 0 or at normal is so for
all its firms). A firm with few customers is far from its
sector's average more often than one with many, so the spread is wider for
small firms. Since the decision to reopen (:mod:`sim.model.reopening`) has a
threshold, the spread turns a sector's recovery into a gradual reopening of
its firms instead of a step, and leaves some firms open on thin orders. A firm produces
at most what it can sell: orders are a limit on production, updated once a day
for all firms, told in steps.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Annotated, Any, Protocol

import numpy as np
import simpy
from pydantic import Field, model_validator

from sim.model import sectors
from sim.model.firm_classes import SIZE_CLASSES, check_size_keys
from sim.model.module import City, Metric, Module, ResultView
from sim.model.network import quantise, tell_moved
from sim.scenario.distributions import lognormal
from sim.scenario.params import Strict, param
from sim.scenario.types import Probability


def _city_share() -> dict[str, float]:
    """Share of a sector's output bought by firms: what goes to intermediate use, times the share bought locally."""
    from sim.model.network import _local_share

    local = _local_share()
    return {s: round(a.get("intermediate_use_share", 0.0) * local.get(s, 0.0), 3) for s, a in sectors.accounts().items()}


class Demand(Strict):
    """Orders by sector: the shock and recovery outside the city, and the city's own customers."""

    enabled: bool = param(True, unit="yes/no", meaning="firms produce at most what they can sell (false: orders "
                          "never bind)", provenance="source: small firms lacked orders in February 2020")
    index: dict[str, list[tuple[float, float]]] = param(
        sectors.demand_index, unit="[day, demand ÷ normal]", meaning="sector -> demand from outside the city by day "
        "(linear between points, flat before the first and after the last)",
        provenance="literature: NBS monthly 2020 figures (industrial value added −26.6 % m/m in February, −1.1 %, "
                   "+3.9 %, +4.4 %, +4.8 % y/y Mar-Jun; retail sales −20.5 %, −15.8 %, −7.5 % …; catering "
                   "−43.1 % …; fixed-asset investment −24.5 % … cumulative) over their 2019 trends, weighted by "
                   "the 2018 input-output table's uses (data/demand/derive_demand_index.py)")
    city_share: dict[str, Probability] = param(
        _city_share, unit="share of sales", meaning="sector -> share of its sales bought by firms of the city",
        provenance="assumption: derived from the 2018 table's intermediate-use share of the sector × network.local_share's default "
                   "for it (range ±50 %)")
    exposure_cv: dict[str, Annotated[float, Field(ge=0, le=3, allow_inf_nan=False)]] = param(
        lambda: {"above_scale": 0.2, "sme": 0.5, "micro": 0.5}, unit="coefficient of variation by size class",
        meaning="spread of firms' exposure to their sector's fall in outside orders (a firm's orders are the "
                "sector's index to the power of its exposure; lognormal, mean 1; 0: every firm at its sector's index)",
        provenance="assumption: a firm's orders are the sum of its customers', so their spread around the sector's "
                   "average shrinks with the number of customers; small firms have few (Inoue & Todo 2020: the "
                   "median firm has a handful of partners), above-scale firms many (range 0-0.8 for small firms, "
                   "0-0.4 above scale)")

    @model_validator(mode="after")
    def _sectors(self) -> Demand:
        check_size_keys(self.exposure_cv, "demand.exposure_cv")
        for name in ("index", "city_share"):
            for key in getattr(self, name):
                sectors.check_sector(key, f"demand.{name}")
        for key, points in self.index.items():
            if any(v < 0 or d < 0 for d, v in points):
                raise ValueError(f"demand.index.{key}: days and demand must be at least 0")
        return self


class Links(Protocol):
    sector: np.ndarray
    keys: tuple[str, ...]
    partners: np.ndarray

    def customers_of(self) -> tuple[np.ndarray, np.ndarray]: ...


class Production(Protocol):
    logged_cap: list[float]
    cap_now: np.ndarray


class DemandModule(Module):
    """Every firm's orders, updated once a day, and the limit they put on production."""

    name = "demand"
    SECTIONS = {"config": "demand"}
    LIMITS_CAPACITY = "orders"
    STREAMS = ("orders_exposure",)
    METRICS = (
        Metric("orders_short_firm_days", "firm-days on which orders held an open firm below full capacity",
               ("firm-days short of orders", "订单不足企业日"), "firm-days", "count", "lower", 100.0),
    )

    def __init__(self, city: City, config: Demand) -> None:
        super().__init__(city)
        self.config = config
        n = city.pop.n
        self.limit = [1.0] * n
        self.limit_now = np.ones(n)  # the same as an array
        self.raw = np.ones(n)
        self.short_days = 0.0

    def connect(self, network: Links, production: Production) -> None:
        self.network = network
        self.production = production
        n = self.city.pop.n
        keys = network.keys
        sec = network.sector
        self.share = np.array([self.config.city_share.get(k, 0.0) for k in keys])[sec] if n else np.zeros(0)
        self.points = [self.config.index.get(k, []) for k in keys]
        buyer, seller = network.customers_of()
        # what a buyer buys from each of its suppliers: its revenue, spread over its links
        revenue = self.city.pop.revenue_per_day * self.city.pop.members
        self.buyer, self.seller = buyer, seller
        self.weight = revenue[buyer] if len(buyer) else np.zeros(0)
        self.exposure = self._exposure()
        self.sold = np.bincount(seller, weights=self.weight, minlength=n) if len(seller) else np.zeros(n)
        if self.config.enabled and n:
            self._update(0.0, told=False)

    def start(self) -> None:
        if self.config.enabled and self.city.pop.n:
            self.city.env.process(self._days())

    def _days(self) -> Generator[simpy.Event, Any, None]:
        env = self.city.env
        while True:
            yield env.timeout(1.0)
            self._update(env.now)

    def _exposure(self) -> np.ndarray:
        """Each firm's exposure to its sector's fall in outside orders: lognormal with mean 1 and its size class's
        spread, drawn from its stratum's own generator (common random numbers across variants)."""
        pop = self.city.pop
        n = pop.n
        out = np.ones(n)
        cv = np.array([self.config.exposure_cv.get(s, 0.0) for s in SIZE_CLASSES])[pop.size_class] if n else out
        for g in np.unique(pop.group) if n else ():
            mine = np.nonzero(pop.group == g)[0]
            u = self.city.streams.for_purpose("orders_exposure", int(g)).random(len(mine))
            for c in np.unique(cv[mine]):
                if c > 0:
                    sel = cv[mine] == c
                    out[mine[sel]] = lognormal(1.0, float(c)).quantiles(u[sel])
        return out

    def external(self, day: float) -> np.ndarray:
        """Each firm's demand from outside the city on ``day`` (÷ normal): its sector's index to the power of its
        exposure."""
        by_sector = np.array([sectors.at(p, day) for p in self.points])
        return np.power(by_sector[self.network.sector], self.exposure)

    def _update(self, day: float, told: bool = True) -> None:
        external = self.external(day)
        city = external.copy()
        if len(self.buyer):
            cap = self.network.partners  # customers down for long are replaced by their sector's average
            bought = np.bincount(self.seller, weights=self.weight * cap[self.buyer], minlength=len(city))
            has = self.sold > 0
            city[has] = bought[has] / self.sold[has]
        raw = np.minimum(1.0, (1.0 - self.share) * external + self.share * city)
        self.raw = raw
        if told:
            open_ = self.production.cap_now > 0
            self.short_days += float(self.city.pop.members[(raw < 1.0 - 1e-9) & open_].sum())
        new = quantise(raw, self.limit_now)
        moved = np.nonzero(np.abs(new - self.limit_now) > 1e-9)[0]
        self.limit_now = new
        if told:
            tell_moved(self.limit, new, moved, self.city.enterprises, self.production.logged_cap)
        else:
            for i in moved.tolist():
                self.limit[i] = float(new[i])

    def summary(self, view: ResultView) -> dict[str, float]:
        return {"orders_short_firm_days": float(self.short_days)}
