"""Linear budget constraints on the decisions: Σ weight × count × value ≤ limit.

A decision path with ``[*]`` sets the same value in every element of a list
(e.g. every county's reviewers), so it uses its weight once per element: the
``count`` of each path is bound from the base scenario before use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Constraint:
    """One budget: Σ weights[path] × count[path] × value[path] ≤ limit."""

    name: str
    limit: float
    weights: dict[str, float]
    unit: str = "people"


@dataclass
class Budget:
    """All budget constraints, with the number of scenario values each decision path sets."""

    constraints: list[Constraint]
    counts: dict[str, int] = field(default_factory=dict)

    def bind(self, counts: Mapping[str, int]) -> None:
        """How many scenario values each decision path sets (1 unless it has ``[*]``)."""
        self.counts = dict(counts)

    def usage(self, c: Constraint, values: Mapping[str, Any]) -> float:
        return sum(w * self.counts.get(p, 1) * float(values[p]) for p, w in c.weights.items())

    def violations(self, values: Mapping[str, Any]) -> dict[str, float]:
        """usage − limit per constraint: ≤ 0 where the candidate fits (Optuna's constraint convention)."""
        return {c.name: self.usage(c, values) - c.limit for c in self.constraints}

    def feasible(self, values: Mapping[str, Any]) -> bool:
        return all(v <= 1e-9 for v in self.violations(values).values())

    def cheapest(self, c: Constraint, lows: Mapping[str, float], highs: Mapping[str, float]) -> float:
        """The least usage any candidate within the bounds can have (negative weights take the high end)."""
        return sum(w * self.counts.get(p, 1) * (lows[p] if w >= 0 else highs[p]) for p, w in c.weights.items())
