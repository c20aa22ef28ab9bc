"""How a variant or an extending file overrides a scenario: a deep merge of mappings."""

from __future__ import annotations

import copy
from typing import Any


def deep_merge(base: Any, override: Any, _nested: bool = False) -> Any:
    """Mappings merge key by key; anything else in the override replaces the base.

    A nested mapping that switches to another kind (a different policy ``name``
    or distribution ``dist``) replaces the base whole: the settings of a
    standard procedure say nothing about a fast-track one. (Below the top
    level, only policies and distributions are mappings with these keys;
    counties, strata and steps sit in lists, which are replaced whole.)
    """
    if isinstance(base, dict) and isinstance(override, dict):
        if _nested and any(tag in override and tag in base and override[tag] != base[tag]
                           for tag in ("name", "dist")):
            return copy.deepcopy(override)
        out = copy.deepcopy(base)
        for key, value in override.items():
            out[key] = deep_merge(base[key], value, True) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(override)


# A population is given one way or the other: an override that gives one of these drops the other
# (a city's CSV of real firms replaces the strata it extends, and back)
POPULATION_ALTERNATIVES = ("csv", "strata")


def merge_scenario(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` over ``base`` as :func:`deep_merge`, with a population given one way replacing the other.

    ``population: {csv: firms.csv}`` over a base with ``strata`` gives the CSV alone (the deep merge
    alone would keep both, which the schema refuses); an override that gives both keeps both, and the
    schema says which one to drop.
    """
    out: dict[str, Any] = deep_merge(base, override)
    given = override.get("population")
    merged = out.get("population")
    if isinstance(given, dict) and isinstance(merged, dict):
        for key in POPULATION_ALTERNATIVES:
            others = [k for k in POPULATION_ALTERNATIVES if k != key]
            if key in given and not any(k in given for k in others):
                for k in others:
                    merged.pop(k, None)
    return out
