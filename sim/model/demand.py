"""Orders: what a firm can sell, from customers outside the city and from firms of the city.

A sector's sales go partly to firms of the city (``city_share``) and the rest to
households, investors and firms outside, whose demand fell and recovered month
by month in 2020 (``index``: derived from NBS industrial value added, retail
sales, catering revenue and fixed-asset investment, weighted by where the
sector's output goes in China's 2018 input-output table). A firm's orders, as
a share of what it sells at full capacity, are

    (1 − city_share) × index(sector, day) + city_share × (its city customers' capacity in use),

its city customers being the firms that drew it as a supplier
(:mod:`sim.model.network`), weighted by what they buy from it, a customer that
has made nothing for ``network.replace_after_days`` replaced by the rest of its
sector in the city; a firm no city
firm buys from sells its city share at the sector's index too. A firm produces
at most what it can sell: orders are a limit on production, updated once a day
for all firms, told in steps.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Protocol

import numpy as np
import simpy
from pydantic import model_validator

from sim.model import sectors
from sim.model.module import City, Metric, Module, ResultView
from sim.model.network import quantise, tell_moved
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

    @model_validator(mode="after")
    def _sectors(self) -> Demand:
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

    def external(self, day: float) -> np.ndarray:
        """Each firm's demand from outside the city on ``day`` (÷ normal)."""
        by_sector = np.array([sectors.at(p, day) for p in self.points])
        return by_sector[self.network.sector]

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
