"""The enterprises of a run as a struct of arrays (one numpy array per attribute).

Enterprise i belongs to group ``group[i]`` (its stratum; 0 for a CSV) at
position ``local[i]`` within it; random streams are keyed by that pair, so
changing one stratum's size does not move the draws of another. Building a
population from strata or a CSV is :mod:`sim.population`'s business.

A stratum with ``cohort_size`` k > 1 is simulated in cohorts: each simulated
enterprise stands for ``members[i]`` (up to k) identical firms that share
every draw and every event. :meth:`Population.expand` gives one row per firm
for the results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Population:
    """Attributes of every enterprise, one array each (length n)."""

    ident: list[str]
    group: np.ndarray  # int32, stratum index
    local: np.ndarray  # int32, index within the stratum
    group_sizes: list[int]
    group_names: list[str]
    county: np.ndarray  # int16, index into county_names
    county_names: list[str]
    sector: list[str]
    size_class: np.ndarray  # int8, index into sim.model.firm_classes.SIZE_CLASSES
    essential: np.ndarray  # bool
    high_tech: np.ndarray  # bool
    gazelle: np.ndarray  # bool
    new_project: np.ndarray  # bool
    already_running: np.ndarray  # bool
    workers: np.ndarray  # int32, >= 1
    nonlocal_share: np.ndarray  # float
    readiness: np.ndarray  # float
    cash0: np.ndarray  # float, yuan
    fixed_cost_per_day: np.ndarray  # float, yuan/day
    revenue_per_day: np.ndarray  # float, yuan/day at full capacity
    margin: np.ndarray  # float
    members: np.ndarray  # int32, firms each simulated enterprise stands for (1; a cohort's size)

    @property
    def n(self) -> int:
        """Simulated enterprises (a cohort counts once)."""
        return len(self.group)

    @property
    def firms(self) -> int:
        """Firms represented (a cohort counts its members)."""
        return int(self.members.sum())

    @property
    def has_cohorts(self) -> bool:
        return bool(len(self.members)) and int(self.members.max()) > 1

    def expand(self) -> Population:
        """One row per firm: every member of a cohort gets its cohort's attributes.

        A member's id is its stratum's name and its index among the stratum's firms,
        as it would be if the stratum were simulated firm by firm.
        """
        if not self.has_cohorts:
            return self
        rep = self.members

        def r(a: np.ndarray) -> np.ndarray:
            return np.repeat(a, rep)

        ident: list[str] = []
        sector: list[str] = []
        start: dict[int, int] = {}
        for i, m in enumerate(rep.tolist()):
            g = int(self.group[i])
            if m == 1:
                ident.append(self.ident[i])
            else:
                first = start.get(g, 0)
                name = self.ident[i].rsplit("#", 1)[0]
                ident.extend(f"{name}-{first + k}" for k in range(m))
            start[g] = start.get(g, 0) + m
            sector.extend([self.sector[i]] * m)
        return Population(
            ident=ident, group=r(self.group), local=r(self.local), group_sizes=list(self.group_sizes),
            group_names=list(self.group_names), county=r(self.county), county_names=list(self.county_names),
            sector=sector, size_class=r(self.size_class), essential=r(self.essential), high_tech=r(self.high_tech),
            gazelle=r(self.gazelle), new_project=r(self.new_project), already_running=r(self.already_running),
            workers=r(self.workers), nonlocal_share=r(self.nonlocal_share), readiness=r(self.readiness),
            cash0=r(self.cash0), fixed_cost_per_day=r(self.fixed_cost_per_day),
            revenue_per_day=r(self.revenue_per_day), margin=r(self.margin),
            members=np.ones(int(rep.sum()), dtype=np.int32),
        )
