"""Coverage policies: which enterprises get a liaison and a supervisor ("1+1+1").

A coverage policy is chosen by name in ``policies.coverage`` (see
``COVERAGE_POLICIES``) and returns an :class:`Assignment`. Pools are per
county: a county's own count if set, else a share of the city pool in
proportion to its enterprises. When cadres are short, enterprises are covered
in ``cadres.assignment_order`` (above-scale, high-tech, gazelle, essential by
default), ties broken by a random draw per enterprise; covered enterprises are
dealt to cadres in turn, at most ``enterprises_per_cadre`` each. A county's own
pool adds to its share of the city pool (``cadres.county_pools: add``) or
replaces it. Under the ``grid`` organisation every county's firms are also laid
out in zones and grids (调兵山: its own layout; other counties: grids of
``firms_per_grid`` firms, ``grids_per_zone`` grids a zone); how cadres work in
those units is :mod:`sim.model.cadres`' business.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from sim.model.firm_classes import FLAGS
from sim.model.firm_classes import key_flags as _key_flags
from sim.scenario.params import Strict, param

if TYPE_CHECKING:
    from sim.model.cadres.schema import Cadres
    from sim.model.population import Population
    from sim.scenario.population_schema import County


# -- the policies' settings (policies.coverage) ---------------------------------------------


class NoCoverage(Strict):
    """No cadres assigned: every firm uses the county's shared inspection team and finds offices itself."""

    name: Literal["none"] = "none"

    # what the cadres' working day asks of any coverage policy; with no cadres, nothing
    organisation: ClassVar[str] = "dedicated"
    supervisors_help_inspection: ClassVar[bool] = False
    travel_overhead_hours: ClassVar[float] = 0.0
    grid_overhead_hours: ClassVar[float] = 0.0

    def build(self) -> NoCoveragePolicy:
        return NoCoveragePolicy(self)


Organisation = Literal["dedicated", "pooled", "grid"]


class OnePlusOnePlusOne(Strict):
    """一户企业、一名帮扶企业联络员、一名卫生防疫监督指导员, and how the cadres are organised."""

    name: Literal["one_plus_one_plus_one"] = "one_plus_one_plus_one"
    liaisons: bool = param(True, unit="yes/no", meaning="assign liaison cadres", provenance="source: 1+1+1 mechanism")
    supervisors: bool = param(True, unit="yes/no", meaning="assign epidemic-prevention supervisors", provenance="source: 1+1+1 mechanism")
    organisation: Organisation = param("dedicated", unit="mode",
                                       meaning="dedicated: each firm its own cadres (1+1+1); pooled: a county team takes the next task of any covered firm; grid: cadres pooled within grids and zones (调兵山)",
                                       provenance="source: Tieling's 1+1+1 is dedicated; 调兵山 used grids")
    travel_overhead_hours: float = param(0.5, unit="cadre-hours per task", meaning="travel and familiarisation added to every task of a pooled county team",
                                         provenance="assumption: a trip across the county and reading the firm's file", ge=0, le=24, allow_inf_nan=False)
    grid_overhead_hours: float = param(0.15, unit="cadre-hours per task", meaning="travel added to every task of a grid team (a grid is a few streets)",
                                       provenance="assumption", ge=0, le=24, allow_inf_nan=False)
    firms_per_grid: int = param(6, unit="enterprises", meaning="grid size for counties without their own grid layout, under grid organisation",
                                provenance="source: 调兵山 64 firms in 11 grids", ge=1, le=100_000)
    grids_per_zone: int = param(4, unit="grids", meaning="grids in a zone for counties without their own grid layout, under grid organisation",
                                provenance="source: 调兵山 11 grids in 3 zones", ge=1, le=100_000)
    supervisors_help_inspection: bool = param(False, unit="yes/no",
                                              meaning="supervisors' spare hours take waiting inspections of uncovered firms from the county team's queue",
                                              provenance="assumption: in 2020 supervisors stayed with their own firms")

    def build(self) -> OnePlusOnePlusOnePolicy:
        return OnePlusOnePlusOnePolicy(self)




@dataclass
class Assignment:
    liaison: np.ndarray  # int32 per enterprise: cadre index, or -1
    supervisor: np.ndarray  # int32 per enterprise: cadre index, or -1
    grid: np.ndarray  # int32 per enterprise: grid number within its county (grid organisation), or -1
    liaison_count: int  # liaison cadres in service
    supervisor_count: int
    zone: np.ndarray | None = None  # int32 per enterprise: zone number within its county, or -1
    liaison_in_county: np.ndarray | None = None  # liaison cadres in service per county
    supervisor_in_county: np.ndarray | None = None
    grids_in_county: np.ndarray | None = None  # grids per county (0: not gridded)
    zones_in_county: np.ndarray | None = None
    # cadres per covered enterprise under the dedicated organisation: 1, or a cohort's own team of
    # ceil(members / enterprises_per_cadre) cadres from the cadre index on (None: all 1)
    liaison_block: np.ndarray | None = None
    supervisor_block: np.ndarray | None = None


def key_flags(pop: Population, key: str) -> np.ndarray:
    """Boolean array: which enterprises have an assignment/priority key."""
    return _key_flags(key, pop.size_class, {flag: getattr(pop, flag) for flag in FLAGS})


def assignment_rank(pop: Population, order: list[str], tie: np.ndarray) -> np.ndarray:
    """Enterprise indices, first to be covered first."""
    keys = [tie] + [~key_flags(pop, k) for k in reversed(order)]
    return np.lexsort(keys)


def split_pool(total: int, counts: np.ndarray) -> np.ndarray:
    """Split ``total`` cadres over counties in proportion to ``counts`` (largest remainder)."""
    if counts.sum() == 0:
        return np.zeros_like(counts)
    exact = total * counts / counts.sum()
    out = np.floor(exact).astype(np.int64)
    rest = total - out.sum()
    if rest > 0:
        out[np.argsort(-(exact - out), kind="stable")[:rest]] += 1
    return out


class NoCoveragePolicy:
    def __init__(self, config: NoCoverage) -> None:
        self.config = config

    def assign(self, pop: Population, cadres: Cadres, counties: list[County], tie: np.ndarray) -> Assignment:
        none = np.full(pop.n, -1, dtype=np.int32)
        zero = np.zeros(len(counties), dtype=np.int64)
        return Assignment(none, none.copy(), none.copy(), 0, 0, none.copy(), zero, zero.copy(), zero.copy(), zero.copy())


class OnePlusOnePlusOnePolicy:
    def __init__(self, config: OnePlusOnePlusOne) -> None:
        self.config = config

    def assign(self, pop: Population, cadres: Cadres, counties: list[County], tie: np.ndarray) -> Assignment:
        config = self.config
        rank = assignment_rank(pop, cadres.assignment_order, tie)
        liaison = np.full(pop.n, -1, dtype=np.int32)
        supervisor = np.full(pop.n, -1, dtype=np.int32)
        grid = np.full(pop.n, -1, dtype=np.int32)
        zone = np.full(pop.n, -1, dtype=np.int32)
        n_counties = len(counties)
        per_county = np.bincount(pop.county, weights=pop.members, minlength=n_counties).astype(np.int64)  # firms
        block = {"liaison": np.ones(pop.n, dtype=np.int32), "supervisor": np.ones(pop.n, dtype=np.int32)}
        in_county = {"liaison": np.zeros(n_counties, np.int64), "supervisor": np.zeros(n_counties, np.int64)}
        grids_in = np.zeros(n_counties, np.int64)
        zones_in = np.zeros(n_counties, np.int64)
        next_id = {"liaison": 0, "supervisor": 0}

        def pools(role: str, city_total: int) -> np.ndarray:
            own = np.array([getattr(c, role + "s") if getattr(c, role + "s") is not None else -1
                            for c in counties], dtype=np.int64)
            if cadres.county_pools == "add":
                return split_pool(city_total, per_county) + np.maximum(own, 0)
            shared = own < 0
            out = np.where(shared, 0, own)
            out[shared] = split_pool(city_total, np.where(shared, per_county, 0))[shared]
            return out

        liaison_pool = pools("liaison", cadres.liaisons.count)
        supervisor_pool = pools("supervisor", cadres.supervisors.count)
        for c, county in enumerate(counties):
            members = rank[pop.county[rank] == c]
            if config.organisation == "grid" and len(members):
                if county.grid is not None:
                    n_grids, n_zones = county.grid.grids, county.grid.zones
                else:
                    firms = int(pop.members[members].sum())
                    n_grids = -(-firms // config.firms_per_grid)
                    n_zones = -(-n_grids // config.grids_per_zone)
                n_zones = min(n_zones, n_grids)
                # firms of every rank are spread over the grids (location is not ranked);
                # grid g lies in zone g mod zones
                grid[members] = np.arange(len(members)) % n_grids
                zone[members] = grid[members] % n_zones
                grids_in[c], zones_in[c] = n_grids, n_zones
            for role, target, pool, per in (
                ("liaison", liaison, liaison_pool[c], cadres.liaisons.enterprises_per_cadre),
                ("supervisor", supervisor, supervisor_pool[c], cadres.supervisors.enterprises_per_cadre),
            ):
                if not getattr(config, role + "s") or pool == 0:
                    continue
                if (pop.members[members] > 1).any():
                    serving = _deal_with_cohorts(members, pop.members, pool, per, next_id[role], target, block[role])
                else:
                    covered = members[: pool * per]
                    target[covered] = next_id[role] + (np.arange(len(covered)) % pool).astype(np.int32)
                    serving = int(min(pool, len(covered)))
                in_county[role][c] = serving
                next_id[role] += serving
        return Assignment(liaison, supervisor, grid, next_id["liaison"], next_id["supervisor"], zone,
                          in_county["liaison"], in_county["supervisor"], grids_in, zones_in,
                          block["liaison"], block["supervisor"])


def _deal_with_cohorts(ranked: np.ndarray, members: np.ndarray, pool: int, per: int, first_id: int,
                       target: np.ndarray, block: np.ndarray) -> int:
    """Deal a county's cadres when some enterprises are cohorts; the cadres in service.

    In rank order, an enterprise is covered while the cadres fit: a cohort of m firms takes a team of
    its own of ceil(m / per) cadres (as many as its firms would take one by one); single firms share
    the other cadres in turn, at most ``per`` each. A cohort too large for the cadres left is passed
    over, and smaller ones after it may still be covered.
    """
    cohort_cadres = 0
    singles: list[int] = []
    cohort_list: list[tuple[int, int]] = []
    for i in ranked.tolist():
        m = int(members[i])
        if m == 1:
            if cohort_cadres + -(-(len(singles) + 1) // per) <= pool:
                singles.append(i)
        else:
            need = -(-m // per)
            if cohort_cadres + need + -(-len(singles) // per) <= pool:
                cohort_list.append((i, need))
                cohort_cadres += need
    next_id = first_id
    for i, need in cohort_list:
        target[i] = next_id
        block[i] = need
        next_id += need
    shared = pool - cohort_cadres
    if singles:
        target[np.asarray(singles)] = next_id + (np.arange(len(singles)) % shared).astype(np.int32)
    return cohort_cadres + min(shared, len(singles))
