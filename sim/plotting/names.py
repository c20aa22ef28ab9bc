"""Parameter paths as a planner reads them: ``counties[6].inspectors`` → "inspectors, Changtu".

Sweep, optimisation and robustness files name what they vary by dotted path
(:mod:`sim.scenario.paths`). A report shows the path's last field in words,
the named element a list index points to (a county, a stratum, a department:
by its display label where the scenario gives one), and "every county" for
``[*]``; a path without a list reads "parent: field" ("liaisons: count").
"""

from __future__ import annotations

from typing import Any

from sim.plotting.labels import Lang
from sim.scenario.labels import Labels
from sim.scenario.paths import split_path

_EVERY = {"counties": ("every county", "各县（市、区）"), "strata": ("every stratum", "各层"),
          "kinds": ("every kind", "各类")}
_ONE = {"counties": "county", "strata": "stratum", "kinds": "kind", "origins": "origin", "steps": "step"}


def _index(part: str | int) -> bool:
    return isinstance(part, int) or part == "*"


def _words(name: str) -> str:
    return name.replace("_", " ")


def readable(path: str, data: dict[str, Any] | None = None, labels: Labels | None = None,
             lang: Lang = "en") -> str:
    """``path`` in words, naming list elements from the scenario ``data`` (the path itself when it is not one)."""
    parts = split_path(path)
    if not parts or any(_index(a) and _index(b) for a, b in zip(parts, parts[1:], strict=False)):
        return path  # not a path, or a list of lists (points[*][1]): the path says it best
    node: Any = data
    owner: str | None = None  # the list element the rest of the path belongs to
    last_list = -1
    for i, part in enumerate(parts):
        if isinstance(part, str) and part != "*":
            node = node.get(part) if isinstance(node, dict) else None
            continue
        listed = str(parts[i - 1]) if i else ""
        last_list = i
        if part == "*":
            owner = _EVERY.get(listed, (f"every {_words(listed)}", f"各{_words(listed)}"))[0 if lang == "en" else 1]
            node = node[0] if isinstance(node, list) and node else None
            continue
        index = int(part)
        item = node[index] if isinstance(node, list) and 0 <= index < len(node) else None
        name = item.get("name") if isinstance(item, dict) else None
        if name is None:
            owner = f"{_ONE.get(listed, _words(listed))} {index + 1}"
        elif listed == "counties" and labels is not None:
            owner = labels.county(str(name), lang)
        else:
            owner = str(name)
        node = item
    fields = [str(p) for p in parts[last_list + 1:] if isinstance(p, str)]
    if owner is not None:
        return f"{' '.join(map(_words, fields)) or _words(str(parts[last_list - 1]))}, {owner}"
    tail = [str(p) for p in parts][-2:]
    return ": ".join(map(_words, tail))
