"""What kind of firm an enterprise is: size classes, priorities and flags, declared once.

Every other module reads these declarations: the scenario schema (a stratum's
``size_class``, a key of ``finance.cash_runway_days``), the population (the
integer code of a size class is its index in :data:`SIZE_CLASSES`), the
mechanisms (assignment and priority orders are lists of :data:`FIRM_KEYS`),
the results (series and metrics by size class) and the labels of the report.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

import numpy as np

SizeClass = Literal["above_scale", "sme", "micro"]
SIZE_CLASSES: tuple[SizeClass, ...] = get_args(SizeClass)  # a firm's size code is the index here
SIZE_LABELS: dict[str, tuple[str, str]] = {  # (English, Chinese)
    "above_scale": ("above-scale (规上)", "规上企业"),
    "sme": ("SMEs", "中小企业"),
    "micro": ("micro firms", "微型企业"),
}

Priority = Literal["essential", "normal"]
PRIORITIES: tuple[Priority, ...] = get_args(Priority)

# Yes/no attributes of a firm that assignment and priority orders may name, besides its size class.
FLAGS = ("high_tech", "gazelle", "essential", "new_project")
# Keys an order (cadres.assignment_order, a procedure's priority_order, the green-channel list) may name.
# ``upstream``: a firm of a sector that sells most of its output to other firms (sim.model.sectors.upstream_sectors).
FIRM_KEYS: tuple[str, ...] = ("above_scale", "high_tech", "gazelle", "essential", "new_project", "upstream", "sme",
                              "micro")


def size_code(size_class: str) -> int:
    """The integer code of a size class (its index in :data:`SIZE_CLASSES`)."""
    return SIZE_CLASSES.index(size_class)  # type: ignore[arg-type]


def unknown_keys(keys: Iterable[str]) -> list[str]:
    """The keys of an order that are not firm keys."""
    return [k for k in keys if k not in FIRM_KEYS]


def check_keys(keys: Iterable[str], what: str = "priority") -> None:
    """Raise ValueError naming the unknown keys of an order and the allowed ones."""
    unknown = unknown_keys(keys)
    if unknown:
        raise ValueError(f"unknown {what} keys {unknown}; allowed: {list(FIRM_KEYS)}")


def check_size_keys(mapping: Iterable[str], name: str, complete: bool = False) -> None:
    """Raise ValueError if a by-size-class mapping names an unknown size class (or, ``complete``, misses one)."""
    unknown = set(mapping) - set(SIZE_CLASSES)
    if unknown:
        raise ValueError(f"{name} has unknown size classes {sorted(unknown)}; allowed: {', '.join(SIZE_CLASSES)}")
    missing = set(SIZE_CLASSES) - set(mapping)
    if complete and missing:
        raise ValueError(f"{name} needs every size class; missing {sorted(missing)}")


def by_size(values: dict[str, float], default: float = 0.0) -> tuple[float, ...]:
    """A by-size-class mapping as a tuple indexed by size code (``default`` for a class not named)."""
    return tuple(values.get(s, default) for s in SIZE_CLASSES)


def key_flags(key: str, size_class: np.ndarray, flags: dict[str, np.ndarray]) -> np.ndarray:
    """Which firms have ``key``: a size class, or one of :data:`FLAGS` (arrays of every firm)."""
    if key in SIZE_CLASSES:
        return np.asarray(size_class == size_code(key))
    return flags[key]
