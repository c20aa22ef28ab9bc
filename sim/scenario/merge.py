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
