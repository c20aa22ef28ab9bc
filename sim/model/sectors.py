"""The city's sectors and the sourced tables about them, read once from the project's data folder.

Seventeen sectors (``data/network/sectors.csv``: China's 42-sector input-output
table grouped for Tieling's economy). The tables here are the *defaults* of
scenario sections (the production network, demand, supply from outside the
city); a scenario may give its own values, and the resolved scenario of a run
holds every value it used, so a run never depends on these files afterwards.

Each table's source and derivation is in the README of its folder under
``data/``.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from copy import deepcopy
from functools import cache, wraps
from pathlib import Path
from typing import TypeVar

from sim.errors import InputError, InputProblem

T = TypeVar("T")

DATA = Path(__file__).resolve().parent.parent.parent / "data"


class MissingData(InputError):
    """A data file the defaults are read from is not where the project keeps it (exit code 2)."""


FORGET: list[Callable[[], None]] = []  # the caches of the tables read so far


def forget() -> None:
    """Read every table again at its next use (after the data folder changed)."""
    for clear in FORGET:
        clear()
    sector_table.cache_clear()
    upstream_sectors.cache_clear()


def fresh(read: Callable[[], T]) -> Callable[[], T]:
    """Read a table once; every call gets its own copy (a scenario's defaults are never shared)."""
    once = cache(read)

    @wraps(read)
    def copy() -> T:
        return deepcopy(once())

    FORGET.append(once.cache_clear)
    return copy


def data_file(relative: str) -> Path:
    """The project's data file ``relative`` (to ``data/``); a clear error when it is missing."""
    path = DATA / relative
    if not path.is_file():
        raise MissingData([InputProblem(
            str(path), f"the data file data/{relative} is missing; the defaults of the production network, demand "
            "and supply from outside the city are read from it. Restore it from the repository (git checkout -- "
            "data/), or give the values in the scenario's network: and demand: sections.")])
    return path


def _rows(relative: str) -> list[dict[str, str]]:
    with open(data_file(relative), encoding="utf-8") as f:
        return list(csv.DictReader(f))


@cache
def sector_table() -> dict[str, tuple[str, str]]:
    """Sector key -> (English name, Chinese name), in the table's order."""
    return {r["key"]: (r["name_en"], r["name_zh"].split(";")[0].strip()) for r in _rows("network/sectors.csv")}


def sector_keys() -> tuple[str, ...]:
    return tuple(sector_table())


def check_sector(key: str, where: str = "sector") -> None:
    """Raise ValueError naming the allowed sectors when ``key`` is not one of them."""
    if key not in sector_table():
        raise ValueError(f"{where} '{key}' is not a sector of the model; allowed: {', '.join(sector_keys())}")


def check_mix(mix: dict[str, float], where: str) -> None:
    """A sector mix names known sectors with shares that add up to 1."""
    for key, share in mix.items():
        check_sector(key, where)
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{where}.{key}: a share is 0 to 1, got {share}")
    total = sum(mix.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"{where}: the shares add up to {total:.4f}; they must add up to 1")


@fresh
def coefficients() -> dict[str, dict[str, float]]:
    """customer sector -> input sector -> yuan of input per yuan of output (2018 table, all origins)."""
    out: dict[str, dict[str, float]] = {}
    for r in _rows("network/io_coefficients.csv"):
        out.setdefault(r["customer_sector"], {})[r["input_sector"]] = float(r["a_total"])
    return out


@fresh
def ratings() -> dict[str, dict[str, str]]:
    """customer sector -> input sector -> critical, important or non_critical (Pichler et al.'s survey)."""
    out: dict[str, dict[str, str]] = {}
    for r in _rows("network/critical_inputs.csv"):
        out.setdefault(r["customer_sector"], {})[r["input_sector"]] = r["rating"].replace("-", "_")
    return out


@fresh
def inventory_days() -> dict[str, float]:
    """input sector -> days of input use a buyer holds in stock (assumptions with ranges)."""
    return {r["sector"]: float(r["value"]) for r in _rows("network/inventories.csv") if r["item"] == "input_inventory_days"}


@fresh
def inventory_by_size() -> dict[str, float]:
    return {r["size_class"]: float(r["value"]) for r in _rows("network/inventories.csv")
            if r["item"] == "inventory_size_multiplier"}


@fresh
def accounts() -> dict[str, dict[str, float]]:
    """sector -> item -> value (where the sector's output goes, its cost shares)."""
    out: dict[str, dict[str, float]] = {}
    for r in _rows("network/sector_accounts.csv"):
        out.setdefault(r["sector"], {})[r["item"]] = float(r["value"])
    return out


def _series(relative: str, value: str) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = {}
    for r in _rows(relative):
        out.setdefault(r["sector_key"], []).append((float(r["day"]), float(r[value])))
    return {k: sorted(v) for k, v in out.items()}


@fresh
def demand_index() -> dict[str, list[tuple[float, float]]]:
    """sector -> [(day, demand from outside the city ÷ normal)] (data/demand/derive_demand_index.py)."""
    return _series("demand/sector_demand_2020.csv", "index")


@fresh
def external_availability() -> dict[str, list[tuple[float, float]]]:
    """input sector -> [(day, share of normal deliveries from outside the city)] (data/supply/derive_availability.py)."""
    return _series("supply/external_availability_2020.csv", "availability")


@cache
def upstream_sectors(threshold: float = 0.7) -> frozenset[str]:
    """Sectors that sell at least ``threshold`` of their output to other firms (the city's upstream)."""
    return frozenset(s for s, a in accounts().items() if a.get("intermediate_use_share", 0.0) >= threshold)


def at(points: list[tuple[float, float]], day: float) -> float:
    """Value of a piecewise-linear series at ``day`` (flat before the first and after the last point)."""
    if not points:
        return 1.0
    if day <= points[0][0]:
        return points[0][1]
    for (d0, v0), (d1, v1) in zip(points, points[1:], strict=False):
        if day <= d1:
            return v0 + (v1 - v0) * (day - d0) / (d1 - d0) if d1 > d0 else v1
    return points[-1][1]
