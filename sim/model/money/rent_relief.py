"""Rent relief for small firms renting state-owned premises (减免国有资产类经营用房租金).

In February 2020 cities and their state-owned landlords waived rent for small
and medium tenants of state-owned premises, most often one month free and two
months at half rent (免收1个月房租、减半收取2个月房租: Luohe's rule, as summed up by
the Zhengzhou Lawyers Association on 19 Feb 2020, with the similar rules of
other Henan cities; a city investment company waived February to April
outright); in May the national guidance (发改投资规〔2020〕734号) asked for three
months free in the first half of 2020 for small service firms. Liaoning's own
rule was not found. Not every small firm rents from the state: the share of
tenants of state-owned premises is an assumption, with its range.

The measure, chosen by name under ``policies.relief.rent_relief``, draws
which firms of the named size classes rent state-owned premises (one draw per
firm, whatever the settings, so that variants keep common random numbers)
and cuts their rent through the money module's cost windows: each period pays
``1 − waived`` of the rent. What it waives is reported per firm and in all.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from sim.model.firm_classes import SizeClass, size_code
from sim.model.module import City, Metric, ResultView
from sim.model.money.cash import Window
from sim.model.money.relief import MeasureConfig, ReliefMeasure
from sim.model.records import Outcome
from sim.scenario.params import Strict, param
from sim.scenario.types import Day, Probability

_RULE = ("literature: Luohe (Henan) rule of Feb 2020, SME tenants of state-owned premises pay no rent for one month "
         "and half rent for two (郑州市律师协会, 19 Feb 2020); national guidance 发改投资规〔2020〕734号 (May 2020): "
         "three months free for small service firms")


class RentPeriod(Strict):
    """A stretch of days in which a tenant pays only part of its rent."""

    start_day: Day = param(0.0, unit="day", meaning="first day of the period", provenance=_RULE)
    end_day: Day = param(26.0, unit="day", meaning="day the period ends (day 26 = 29 Feb 2020)", provenance=_RULE)
    waived: Probability = param(1.0, unit="share of rent", meaning="share of the rent waived in the period",
                                provenance=_RULE)

    @model_validator(mode="after")
    def _ordered(self) -> RentPeriod:
        if self.end_day <= self.start_day:
            raise ValueError(f"end_day ({self.end_day:g}) must come after start_day ({self.start_day:g})")
        return self


def _periods() -> list[RentPeriod]:
    return [RentPeriod(start_day=0.0, end_day=26.0, waived=1.0), RentPeriod(start_day=26.0, end_day=87.0, waived=0.5)]


class RentConfig(MeasureConfig):
    """Rent waived for small tenants of state-owned premises (国有资产类经营用房租金减免)."""

    enabled: bool = param(False, unit="yes/no", meaning="the measure is in force",
                          provenance="assumption: not among the measures the source names for Tieling; off by default")
    size_classes: list[SizeClass] = param(lambda: ["sme", "micro"], unit="size classes",
                                          meaning="size classes of the firms that may rent state-owned premises",
                                          provenance="policy: the rules name small and medium (micro) tenants")
    tenant_share: Probability = param(0.15, unit="share of firms",
                                      meaning="share of the firms of those size classes that rent state-owned premises",
                                      provenance="assumption: not published; 0.05–0.30 plausible (state-owned landlords "
                                                 "let part of the commercial and industrial space of a northeastern city)",
                                      plausible_range=(0.05, 0.30))
    periods: list[RentPeriod] = Field(default_factory=_periods, min_length=1,
                                      description="the periods of relief and the share of rent waived in each")

    @model_validator(mode="after")
    def _no_overlap(self) -> RentConfig:
        spans = sorted((p.start_day, p.end_day) for p in self.periods)
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            if start < end:
                raise ValueError("rent relief periods overlap; give each day to one period")
        return self


class RentRelief(ReliefMeasure):
    """Cuts the rent of the tenants of state-owned premises over the relief periods."""

    name = "rent_relief"
    SECTIONS = {"config": "policies.relief.rent_relief"}
    STREAMS = ("rent_tenant",)
    Config = RentConfig
    config: RentConfig
    OUTCOMES = (Outcome("rent_waived", "f8", "rent waived by the rent relief, yuan (NaN: not a tenant of state-owned premises)"),)
    METRICS = (
        Metric("rent_relief_yuan", "rent waived for tenants of state-owned premises, yuan",
               ("rent waived, yuan", "减免房租（元）"), "yuan", "yuan", cost=5),
        Metric("rent_relief_firms", "firms whose rent was cut (tenants of state-owned premises)",
               ("firms with rent relief", "获减免房租企业"), "firms", "count"),
    )

    def __init__(self, city: City, config: RentConfig) -> None:
        super().__init__(city, config)
        self.windows = [Window("rent", 1.0 - p.waived, p.start_day, p.end_day) for p in config.periods]
        self.tenant = np.zeros(city.pop.n, dtype=bool)

    def enact(self) -> None:
        """Draw the tenants of state-owned premises (one draw a firm, whatever its size) and cut their rent."""
        city = self.city
        pop = city.pop
        u = np.array([city.streams.uniform("rent_tenant", g, k)
                      for g, k in zip(pop.group.tolist(), pop.local.tolist(), strict=True)])
        eligible = np.isin(pop.size_class, [size_code(s) for s in self.config.size_classes])
        self.tenant = eligible & (u < self.config.tenant_share)
        for window in self.windows:
            self.money.add_window(window, self.tenant)

    def finish(self) -> None:
        column = self.city.outcomes["rent_waived"]
        for ent in self.city.enterprises:
            if self.tenant[ent.i]:
                column[ent.i] = sum(self.money.waived(ent, w) for w in self.windows)

    def summary(self, view: ResultView) -> dict[str, float]:
        waived = view.outcomes["rent_waived"]
        return {"rent_relief_yuan": float(np.nansum(waived)), "rent_relief_firms": float((~np.isnan(waived)).sum())}

