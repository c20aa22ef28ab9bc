"""Changing a scenario by dotted parameter paths, checked as if the changes were written in a file.

``{"policies.loans.window_opens_day": "2020-02-20", "counties[3].inspectors": 6}`` becomes the
smallest part of a scenario file that makes these changes (:func:`override_document`): sections as
nested mappings, and a list whole, since a variant or an extending file replaces lists whole
(:mod:`sim.scenario.merge`). That part is what the planner's workbench writes under a what-if's
variant, and what :func:`apply_overrides` merges into a loaded scenario and validates with the
scenario loader itself: a bad value gets the message ``python -m sim validate`` gives for it in a
file (a date before the start, a negative head-count), and a path that names no parameter a "did you
mean".
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import yaml

from sim.errors import InputError, InputProblem
from sim.scenario.loader import LoadedScenario, load_scenario_text
from sim.scenario.merge import deep_merge
from sim.scenario.paths import EXAMPLES, expand_path, get_value, set_value, split_path

OVERRIDES = "overrides"  # how messages name the changes when they are not a file


def override_document(data: Mapping[str, Any], overrides: Mapping[str, Any], where: str = OVERRIDES) -> dict[str, Any]:
    """The nested mapping that, deep-merged into ``data`` (a resolved scenario), makes every change.

    A path into a list (``counties[3].inspectors``) carries the whole list, changed, since a merge
    replaces lists whole. Raises :class:`InputError` (naming ``where`` and the path) for a path that
    is not a parameter of ``data``.
    """
    changed = copy.deepcopy(dict(data))
    whole: dict[str, tuple[str | int, ...]] = {}  # path -> the part written into the document
    problems: list[InputProblem] = []
    for path, value in overrides.items():
        parts = split_path(path, wildcard=False) if isinstance(path, str) else None
        if parts is None:
            problems.append(InputProblem(where, f"{path!r} is not a dotted parameter path; write e.g. {EXAMPLES}.",
                                         str(path)))
            continue
        try:
            expand_path(path, data)
        except ValueError as exc:
            text = str(exc)
            problems.append(InputProblem(where, text if text.endswith((".", "?")) else text + ".", path))
            continue
        set_value(changed, tuple(parts), copy.deepcopy(value))
        first_index = next((i for i, p in enumerate(parts) if isinstance(p, int)), len(parts))
        whole[path] = tuple(parts[:first_index]) if first_index < len(parts) else tuple(parts)
    if problems:
        raise InputError(problems)
    doc: dict[str, Any] = {}
    for part in whole.values():
        set_value(doc, part, copy.deepcopy(get_value(changed, part)))
    return doc


def apply_overrides(loaded: LoadedScenario, overrides: Mapping[str, Any], where: str = OVERRIDES) -> LoadedScenario:
    """``loaded`` with its base (and so every variant that does not set the same key) changed by ``overrides``.

    The changes are merged into the resolved scenario and the result goes through the scenario
    loader, as a file would: every problem is an :class:`InputError` whose messages are those of
    ``python -m sim validate``, attributed to ``where`` and the dotted key (a line number of a file
    that does not exist would mean nothing).
    """
    if not overrides:
        return loaded
    data = loaded.base.model_dump(mode="json", by_alias=True)
    doc = override_document(data, overrides, where)
    raw: dict[str, Any] = deep_merge(data, doc)
    if loaded.variants:
        raw["variants"] = copy.deepcopy(loaded.overrides)
    if loaded.provenance:
        raw["provenance"] = dict(loaded.provenance)
    text = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
    try:
        changed = load_scenario_text(text, where, base_dir=loaded.path.parent)
    except InputError as exc:
        raise InputError([InputProblem(where, p.message, p.key) if p.file == where else p
                          for p in exc.problems]) from None
    return LoadedScenario(loaded.path, changed.base, changed.variants, changed.overrides, changed.provenance,
                          loaded.notices)
