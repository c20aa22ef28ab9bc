"""Schema of the enterprise population: counties and strata (or a CSV of real firms)."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from sim.model.firm_classes import Priority, SizeClass
from sim.model.sectors import check_mix, check_sector
from sim.scenario.distributions import lognormal
from sim.scenario.params import Strict, param
from sim.scenario.types import Dist, Probability

MAX_ENTERPRISES = 2_000_000  # simulated enterprises (a cohort counts once)
MAX_FIRMS = 20_000_000  # firms represented (a cohort counts its members)


class GridManagement(Strict):
    """County-level assignment variant: firms split into zones and grids, one specialist per firm."""

    zones: int = param(3, unit="zones", meaning="zones (片区) the county's firms are split into",
                       provenance="source: 调兵山 64 firms in 3 zones", ge=1, le=1000)
    grids: int = param(11, unit="grids", meaning="grids (网格) the zones are split into",
                       provenance="source: 调兵山 11 grids", ge=1, le=10_000)


class County(Strict):
    """A county-level area with its own approval office, inspection team and cadre pools."""

    name: str = Field(min_length=1, max_length=80, description="county name (pinyin or Chinese)")
    weight: float = param(1.0, unit="relative share", meaning="share of stratum enterprises placed in this county when a stratum names none",
                          provenance="assumption: rough split of Tieling's firms by area", ge=0, allow_inf_nan=False)
    approval_reviewers: int = param(3, unit="reviewers", meaning="reviewers at the county's restart-approval office",
                                    provenance="assumption: a small county window (not published); a county service hall's "
                                               "restart window had one to a few desks a shift",
                                    plausible_range=(1, 8), ge=1, le=100_000)
    inspectors: int = param(4, unit="inspectors", meaning="county's shared inspection team for firms without a supervisor",
                            provenance="assumption: not published; two to three two-person teams of a county's "
                                       "health-supervision and market-supervision staff",
                            plausible_range=(2, 12), ge=1, le=100_000)
    liaisons: int | None = param(None, unit="cadres", meaning="liaison cadres of this county's own pool; empty: a share of the city pool by enterprise count",
                                 provenance="source: 开原市 99 cadres (when set for kaiyuan)", ge=0, le=1_000_000)
    supervisors: int | None = param(None, unit="cadres", meaning="epidemic-prevention supervisors of this county's own pool; empty: a share of the city pool",
                                    provenance="assumption", ge=0, le=1_000_000)
    grid: GridManagement | None = Field(None, description="grid management (网格化, one-to-one): every firm in the county gets its own specialist as liaison and supervisor")


class Stratum(Strict):
    """A group of similar enterprises generated from distributions."""

    name: str = Field(min_length=1, max_length=80, description="label of the stratum")
    count: int = param(100, unit="enterprises", meaning="number of enterprises in the stratum",
                       provenance="assumption", ge=0, le=MAX_FIRMS)
    county: str | None = Field(None, description="put every firm in this county; empty: drawn by county weights")
    sector: str | None = Field(None, max_length=80, description="the firms' sector (a key of data/network/sectors.csv: "
                               "machinery, trade, …); empty: drawn from sector_mix, or from network.default_mix of "
                               "the size class")
    sector_mix: dict[str, float] | None = Field(None, description="sector -> share of the stratum's firms (the "
                                                "shares add up to 1); instead of a single sector")
    size_class: SizeClass = Field("sme", description="above_scale (规上), sme or micro")

    @field_validator("sector")
    @classmethod
    def _known_sector(cls, value: str | None) -> str | None:
        if value is not None:
            check_sector(value)
        return value

    @field_validator("sector_mix")
    @classmethod
    def _mix(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is not None:
            check_mix(value, "sector_mix")
        return value

    priority: Priority = Field("normal", description="essential (三必需一重要) or normal")
    high_tech_share: Probability = param(0.0, unit="share", meaning="share of firms flagged high-tech",
                                         provenance="assumption")
    gazelle_share: Probability = param(0.0, unit="share", meaning="share of firms flagged gazelle (瞪羚)",
                                       provenance="assumption")
    new_project_share: Probability = param(0.0, unit="share", meaning="share of firms that are new or expanding projects needing the full multi-step procedure",
                                           provenance="assumption")
    already_running_share: Probability = param(0.0, unit="share", meaning="share running at day 0 (only essential firms may run during the ban)",
                                               provenance="assumption")
    workers: Dist = param(lambda: lognormal(30, 1.0), unit="workers", meaning="workforce per enterprise",
                          provenance="assumption")
    nonlocal_share: Probability = param(0.2, unit="share", meaning="share of workers who must travel back and quarantine",
                                        provenance="assumption")
    readiness: Probability = param(0.7, unit="probability", meaning="chance to pass the epidemic-prevention inspection (十到位) at a visit",
                                   provenance="assumption")
    cash_runway_days: Dist | None = param(None, unit="days of fixed cost", meaning="cash at day 0, as days of full fixed cost it covers; empty: finance.cash_runway_days of the size class",
                                          provenance="literature: Zhu Wuxiang survey of 995 SMEs, Feb 2020 (see finance.cash_runway_days)")
    fixed_cost_per_worker_day: float = param(120.0, unit="yuan/worker/day", meaning="fixed cost per worker while open (wages, rent, interest, taxes, other; see finance.costs)",
                                             provenance="assumption: about 70% of an average Liaoning wage", ge=0, allow_inf_nan=False)
    revenue_per_worker_day: float = param(1500.0, unit="yuan/worker/day", meaning="revenue per worker-day at full capacity",
                                          provenance="assumption", ge=0, allow_inf_nan=False)
    margin: float = param(0.15, unit="share of revenue", meaning="contribution margin: share of revenue left after variable costs",
                          provenance="assumption", ge=0, le=1, allow_inf_nan=False)
    cohort_size: int = param(1, unit="enterprises", meaning="simulate the stratum in cohorts of this many identical firms that share every draw and event (1: firm by firm); for very large strata such as individual businesses",
                             provenance="assumption: a speed-for-variance trade; a cohort's firms are alike in every draw, so "
                                        "shares keep their expectation but vary more between replications (docs/scenarios.md, \"Very large strata\")",
                             ge=1, le=100_000)


class Population(Strict):
    """Where the enterprises come from: strata, or a CSV of real firms."""

    strata: list[Stratum] = Field(default_factory=list, description="groups of similar enterprises")
    csv: str | None = Field(None, description="path to a CSV of real enterprises (relative to the scenario file); used instead of strata")

    @model_validator(mode="after")
    def _one_source(self) -> Population:
        if self.csv is None and not self.strata:
            raise ValueError("give either 'strata' (a list) or 'csv' (a file of enterprises)")
        if self.csv is not None and self.strata:
            raise ValueError("give 'strata' or 'csv', not both")
        total = sum(s.count for s in self.strata)
        if total > MAX_FIRMS:
            raise ValueError(f"{total:,} enterprises in all; the limit is {MAX_FIRMS:,}")
        simulated = sum(-(-s.count // s.cohort_size) for s in self.strata)
        if simulated > MAX_ENTERPRISES:
            raise ValueError(f"{simulated:,} enterprises to simulate one by one; the limit is {MAX_ENTERPRISES:,}: "
                             "simulate the largest strata in cohorts (cohort_size)")
        both = [s.name for s in self.strata if s.sector is not None and s.sector_mix is not None]
        if both:
            raise ValueError(f"stratum {both[0]!r}: give sector or sector_mix, not both")
        names = [s.name for s in self.strata]
        if len(set(names)) != len(names):
            raise ValueError(f"stratum names must be unique, got {names}")
        return self
