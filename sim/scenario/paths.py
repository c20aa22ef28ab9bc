"""Dotted parameter paths into scenario data: ``cadres.liaisons.count``, ``counties[0].inspectors``.

One syntax for every place that names a parameter by path (sweep files,
``calibrate --fit``, provenance keys): names separated by dots, list indices
in brackets, and ``[*]`` for every element of a list (where a command allows
it). A path that does not fit the data is a ValueError whose message says
where it stops fitting, what is there instead, and the nearest key ("did you
mean").
"""

from __future__ import annotations

import copy
import difflib
import re
from typing import Any

from sim.scenario.yaml_source import Path_, dotted

_NAME = r"[^.\[\]\s]+"
_INDEX = r"\[(?:\d+|\*)\]"
_SEGMENT = rf"{_NAME}(?:{_INDEX})*"
PATH_SYNTAX = re.compile(rf"{_SEGMENT}(?:\.{_SEGMENT})*")
PATH_TOKEN = re.compile(rf"({_NAME})|\[(\d+|\*)\]")
EXAMPLES = "cadres.liaisons.count, counties[0].approval_reviewers or counties[*].approval_reviewers"


def split_path(path: str, wildcard: bool = True) -> list[str | int] | None:
    """``counties[0].approval_reviewers`` → ['counties', 0, 'approval_reviewers']; ``[*]`` → '*'.

    None if the text is not a dotted path (or has ``[*]`` where ``wildcard`` is False).
    """
    if not PATH_SYNTAX.fullmatch(path):
        return None
    parts: list[str | int] = []
    for m in PATH_TOKEN.finditer(path):
        if m.group(1) is not None:
            parts.append(m.group(1))
        elif m.group(2) == "*":
            if not wildcard:
                return None
            parts.append("*")
        else:
            parts.append(int(m.group(2)))
    return parts


def expand_path(path: str, data: Any) -> list[Path_]:
    """The concrete paths a dotted path (with ``[*]`` for every element) names in ``data``.

    ValueError with a planner-readable message when the path does not fit the data.
    """
    parts = split_path(path)
    if parts is None:
        raise ValueError(f"'{path}' is not a dotted parameter path; write e.g. {EXAMPLES}")
    found: list[Path_] = []

    def walk(cur: Any, rest: list[str | int], trail: Path_) -> None:
        if not rest:
            found.append(trail)
            return
        head, tail = rest[0], rest[1:]
        here = dotted(trail) or "the top level"
        if (head == "*" or isinstance(head, int)) and not isinstance(cur, list):
            raise ValueError(f"'{here}' is not a list, so '[{head}]' cannot follow it")
        if head == "*":
            for i, item in enumerate(cur):
                walk(item, tail, trail + (i,))
            return
        if isinstance(head, int):
            if not 0 <= head < len(cur):
                raise ValueError(f"'{here}' has {len(cur)} entries (0 to {len(cur) - 1}); there is no [{head}]")
            walk(cur[head], tail, trail + (head,))
            return
        if not isinstance(cur, dict):
            raise ValueError(f"'{here}' is a single value, not a section; it has no '{head}'")
        if head not in cur:
            hint = difflib.get_close_matches(str(head), list(cur), n=1, cutoff=0.6)
            msg = f"'{path}' is not a parameter: '{here}' has no key '{head}'."
            msg += f" Did you mean '{hint[0]}'?" if hint else f" Keys there: {', '.join(map(str, cur))}"
            raise ValueError(msg.rstrip("."))
        walk(cur[head], tail, trail + (head,))

    walk(data, list(parts), ())
    return found


def _parts(path: str | Path_) -> list[str | int]:
    if isinstance(path, tuple):
        return list(path)
    parts = split_path(path, wildcard=False)
    if parts is None:
        raise ValueError(f"'{path}' is not a concrete dotted path")
    return parts


def get_value(data: Any, path: str | Path_) -> Any:
    """The value at a concrete path (KeyError, IndexError or TypeError if it is not there)."""
    node = data
    for part in _parts(path):
        node = node[part]
    return node


def set_value(data: Any, path: str | Path_, value: Any, fallback: Any = None) -> None:
    """Set the value at a concrete path; missing sections are copied from ``fallback`` (e.g. the resolved scenario)."""
    parts = _parts(path)
    node, ref = data, fallback
    for part in parts[:-1]:
        ref = ref[part] if ref is not None else None
        if isinstance(node, dict) and part not in node:
            node[part] = copy.deepcopy(ref) if ref is not None else {}
        node = node[part]
    node[parts[-1]] = value
