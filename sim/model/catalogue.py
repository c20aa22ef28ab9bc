"""Everything the modules declare, gathered for the layers that read results.

The summary, the time series, the comparison, the scorecard, the report's
tables and the plots look up a metric's label, unit, format, direction and
minimal important difference here, from the one declaration in its module
(:class:`~sim.model.module.Metric`, :class:`~sim.model.module.Series`); none
keeps a list of its own. A metric or series declared ``by`` size class or
county also answers for its group columns (``failed_share_sme``,
``resumed_share_kaiyuan``), with a label composed from the group's.

Metrics that the analysis layer derives from the tables (the Kaplan–Meier
median restart day) are declared in :data:`DERIVED` here, since no module
computes them.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Literal, TypeVar

from sim.model.firm_classes import SIZE_CLASSES, SIZE_LABELS
from sim.model.module import Metric, Series, View
from sim.model.records import Outcome
from sim.model.registry import all_modules
from sim.model.sectors import sector_table

Lang = Literal["en", "zh"]

DERIVED: tuple[Metric, ...] = (
    Metric("km_median_restart_day", "median restart day, Kaplan–Meier (firms still closed censored at the horizon)",
           ("median restart day (Kaplan–Meier)", "复工日中位数（Kaplan–Meier）"), "day", "day", "lower",
           rank=1.5, views=("headline",)),
)


Declared = TypeVar("Declared", Metric, Series)


def _by_key(declared: list[Declared], what: str) -> dict[str, Declared]:
    """Declarations by key, in order; a key declared twice (by two modules) is an error."""
    out: dict[str, Declared] = {}
    for d in declared:
        if d.key in out:
            raise ValueError(f"{what} '{d.key}' is declared twice")
        out[d.key] = d
    return out


@cache
def metrics() -> dict[str, Metric]:
    """Every declared summary metric by key, in the modules' order (derived ones last)."""
    return _by_key([m for cls in all_modules() for m in cls.METRICS] + list(DERIVED), "metric")


@cache
def series() -> dict[str, Series]:
    """Every declared daily series by key, in the modules' order."""
    return _by_key([s for cls in all_modules() for s in cls.SERIES], "series")


@cache
def outcomes() -> dict[str, Outcome]:
    """Every declared per-firm outcome column by key."""
    return {o.key: o for cls in all_modules() for o in cls.OUTCOMES}


# Streams drawn outside the modules: the population's attributes (sim.population, one per stratum).
POPULATION_STREAMS = ("population",)


@cache
def stream_owners() -> dict[str, str]:
    """Each random-stream purpose and the one module that draws it (a name ending in ``*`` is a family)."""
    out: dict[str, str] = {p: "population" for p in POPULATION_STREAMS}
    for cls in all_modules():
        for purpose in cls.STREAMS:
            if purpose in out:
                raise ValueError(f"random stream '{purpose}' is declared by both '{out[purpose]}' and '{cls.name}'")
            out[purpose] = cls.name
    return out


def stream_owner(purpose: str) -> str | None:
    """The module that declares ``purpose`` (directly, or as a family ``prefix*``)."""
    owners = stream_owners()
    if purpose in owners:
        return owners[purpose]
    for name, owner in owners.items():
        if name.endswith("*") and purpose.startswith(name[:-1]):
            return owner
    return None


def summary_keys() -> list[str]:
    """The summary metrics modules compute (group columns not listed)."""
    return [k for k in metrics() if k not in {m.key for m in DERIVED}]


def _member(key: str, declared: dict[str, Metric] | dict[str, Series]) -> tuple[Metric | Series, str, str] | None:
    """(declaration, group kind, group) of a group column such as ``failed_share_sme``."""
    for base, decl in declared.items():
        if decl.by and key.startswith(base + "_"):
            group = key[len(base) + 1:]
            if "size_class" in decl.by and group in SIZE_CLASSES:
                return decl, "size_class", group
            if "sector" in decl.by and group in sector_table():
                return decl, "sector", group
            if "county" in decl.by and group not in SIZE_CLASSES:
                return decl, "county", group
    return None


def metric(key: str) -> Metric | None:
    """The declaration of a summary column (a group column answers with its metric's)."""
    found = metrics().get(key)
    if found is not None:
        return found
    member = _member(key, metrics())
    return member[0] if member is not None else None  # type: ignore[return-value]


def series_of(key: str) -> Series | None:
    """The declaration of a time-series column (a group column answers with its series')."""
    found = series().get(key)
    if found is not None:
        return found
    member = _member(key, series())
    return member[0] if member is not None else None  # type: ignore[return-value]


def _group_label(short: tuple[str, str], kind: str, group: str, lang: Lang) -> str:
    if kind == "size_class":
        en, zh = SIZE_LABELS[group]
        return f"{short[0]}, {en}" if lang == "en" else f"{zh}{short[1]}"
    if kind == "sector":
        en, zh = sector_table()[group]
        return f"{short[0]}, {en}" if lang == "en" else f"{zh}：{short[1]}"
    return f"{short[0]}, {group}" if lang == "en" else f"{group}{short[1]}"


def label(key: str, lang: Lang = "en") -> str | None:
    """The short label of a metric or a series column (None when nothing declares it)."""
    k = 0 if lang == "en" else 1
    if key in metrics():
        return metrics()[key].label[k]
    if key in series():
        return series()[key].label[k]
    for declared in (metrics(), series()):
        member = _member(key, declared)
        if member is not None:
            decl, kind, group = member
            short = getattr(decl, "short", None) or decl.label
            return _group_label(short, kind, group, lang)
    return None


def direction(key: str) -> int:
    """-1 when lower is better, +1 when higher is better, 0 when neither or unknown."""
    m = metric(key)
    return m.direction if m is not None else 0


def ranked_metrics() -> list[str]:
    """Metrics with a better direction: those the scorecard can rank variants by (the headline ones first)."""
    ranked = [k for k in summary_keys() if metrics()[k].direction]
    return sorted(ranked, key=lambda k: metrics()[k].rank or math.inf)


def default_mids() -> dict[str, float]:
    """The declared minimal important differences, by metric."""
    return {k: m.mid for k, m in metrics().items() if m.mid is not None}


def headline(view: View) -> tuple[str, ...]:
    """The headline metrics shown in ``view``, in their rank order."""
    chosen = [m for m in metrics().values() if m.rank is not None and view in m.views]
    return tuple(m.key for m in sorted(chosen, key=lambda m: m.rank or 0))


def costs() -> tuple[str, ...]:
    """What a variant costs, in the order the scorecard shows it."""
    chosen = [m for m in metrics().values() if m.cost is not None]
    return tuple(m.key for m in sorted(chosen, key=lambda m: m.cost or 0))


def is_share(key: str) -> bool:
    m = metric(key)
    return m is not None and m.fmt == "share"


def is_day(key: str) -> bool:
    m = metric(key)
    return m is not None and m.fmt in ("day", "days")


def is_yuan(key: str) -> bool:
    m = metric(key)
    return m is not None and m.fmt == "yuan"


def is_censored(key: str) -> bool:
    m = metric(key)
    return m is not None and m.censored
