"""What makes a scenario file short to write, applied to the raw YAML data before validation.

- ``extends: other.yaml`` takes another scenario file (path relative to this
  one) as the starting point: this file's keys are deep-merged into it, its
  variants and provenance notes are inherited (a variant of the same name is
  merged too). Chains are allowed; a cycle is an error naming the chain.
- A day parameter (a key ending in ``_day``, or ``day``) may be written as a
  date, ``window_opens_day: 2020-02-27``: it becomes days since
  ``start_date``, so the schema stays numeric.
- A file that leaves out the city (counties, population, cadres) silently
  gets the defaults; :func:`default_notices` says which it took.

The resolved scenario written with the results is flat: no ``extends``, and
days as numbers.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from sim.errors import InputError, InputProblem
from sim.scenario.merge import merge_scenario  # the same merge as a variant's
from sim.scenario.yaml_source import Path_, YamlDocument, dotted, parse_yaml, read_text

EXTENDS = "extends"
MAX_CHAIN = 20
_DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DEFAULT_START = dt.date(2020, 2, 3)  # the schema's start_date default (checked in the tests)
NO_SOURCE = "set in {file}, no source given"
NOT_PARAMETERS = ("name", "description", "uncertainty")  # top-level keys without a provenance of their own


def is_day_key(key: Any) -> bool:
    """A parameter that counts days since start_date (not a rate such as revenue_per_worker_day)."""
    return isinstance(key, str) and (key == "day" or (key.endswith("_day") and "_per_" not in key))


def parent_file(raw: dict[str, Any], doc: YamlDocument, base_dir: Path | None, chain: tuple[Path, ...]) -> Path | None:
    """The file named by ``extends:`` (checked: text, exists, no cycle), or None when there is none."""
    if EXTENDS not in raw:
        return None
    ref = raw[EXTENDS]
    line, col = doc.position((EXTENDS,))
    if not isinstance(ref, str) or not ref.strip():
        raise InputError([InputProblem(doc.file, "must be the path of another scenario file, relative to this one "
                                       "(e.g. extends: tieling-2020.yaml).", EXTENDS, line, col)])
    parent = ((base_dir or Path.cwd()) / ref).resolve()
    here = Path(doc.file).resolve()
    seen = (*chain, here)
    if parent in seen:
        names = " → ".join(p.name for p in (*seen[seen.index(parent):], parent))
        raise InputError([InputProblem(doc.file, f"'extends' forms a cycle: {names}. A scenario cannot extend "
                                       "itself, directly or through other files.", EXTENDS, line, col)])
    if len(seen) > MAX_CHAIN:
        raise InputError([InputProblem(doc.file, f"more than {MAX_CHAIN} files extend one another; flatten the "
                                       "chain.", EXTENDS, line, col)])
    if not parent.is_file():
        raise InputError([InputProblem(doc.file, f"the base scenario {parent} does not exist; give its path "
                                       "relative to this file's folder.", EXTENDS, line, col)])
    return parent


def inherited_raw(parent: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    """The parent's raw data with its own ``extends`` applied, population CSV paths made absolute."""
    doc = parse_yaml(read_text(parent), str(parent))
    if not isinstance(doc.data, dict):
        raise InputError.single(str(parent), "the top level must be a mapping of keys to values.", line=1, column=1)
    raw = dict(doc.data)
    grand = parent_file(raw, doc, parent.parent, chain)
    raw.pop(EXTENDS, None)
    raw = absolute_csv(raw, parent.parent)
    variants = raw.get("variants")
    if isinstance(variants, dict):
        raw["variants"] = {k: absolute_csv(v, parent.parent) if isinstance(v, dict) else v
                           for k, v in variants.items()}
    if grand is not None:
        raw = merge_files(inherited_raw(grand, (*chain, parent)), raw)
    return raw


def merge_files(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """``child`` over ``parent``: parameters deep-merged, variants merged by name.

    Provenance notes are not merged here: :func:`provenance_after` decides which of the parent's
    still hold once the child's values are in.
    """
    sections = ("variants", "provenance")
    p_params = {k: v for k, v in parent.items() if k not in sections}
    c_params = {k: v for k, v in child.items() if k not in sections}
    out: dict[str, Any] = merge_scenario(p_params, c_params)
    p_var, c_var = parent.get("variants") or {}, child.get("variants") or {}
    if isinstance(p_var, dict) and isinstance(c_var, dict) and (p_var or c_var):
        out["variants"] = {**copy.deepcopy(p_var),
                           **{k: merge_scenario(p_var[k], v) if isinstance(p_var.get(k), dict) and isinstance(v, dict)
                              else copy.deepcopy(v) for k, v in c_var.items()}}
    elif "variants" in child or "variants" in parent:
        out["variants"] = copy.deepcopy(child.get("variants", parent.get("variants")))
    return out


def provenance_after(own: dict[str, Any], own_notes: dict[str, str], inherited: dict[str, str],
                     before: BaseModel, after: BaseModel, file: str) -> dict[str, str]:
    """The provenance notes of a file's base: its own notes, and what still holds of the ones it inherits.

    ``own`` is the file's raw parameters, ``before`` the scenario without them (the file it extends,
    or the schema's defaults) and ``after`` with them. Every value the file changes drops the notes
    it inherits at or under that key (the parent's source is not the source of the child's value);
    a changed value that no note of the file covers is noted :data:`NO_SOURCE`. A value set to what
    it already was keeps its inherited note. Keys are at the grain of the report's parameter table,
    which shows the note with the longest key that is the parameter's key or a prefix of it.
    """
    out = dict(inherited)
    for key, parts in set_keys(own, after, before):
        if plain(value_at(before, parts)) == plain(value_at(after, parts)):
            continue
        for k in [k for k in out if _covers(key, k)]:
            del out[k]
        mine = max((k for k in own_notes if _covers(k, key)), key=len, default=None)
        if mine is None:
            out[key] = NO_SOURCE.format(file=file)
        elif mine != key and any(_covers(k, key) and len(k) > len(mine) for k in out):
            out[key] = own_notes[mine]  # an inherited note on a narrower key would win over the file's own
    out.update(own_notes)
    return out


def _covers(prefix: str, key: str) -> bool:
    """Whether a note on ``prefix`` is a note on ``key`` (the same key, a section or a list above it)."""
    return key == prefix or key.startswith(prefix + ".") or key.startswith(prefix + "[")


_MISSING = object()


def set_keys(raw: dict[str, Any], after: BaseModel, before: BaseModel) -> list[tuple[str, Path_]]:
    """The dotted keys a file's raw data sets, one per parameter of the report's table (or a whole group).

    A section is entered key by key; a distribution, a list (counties, strata: replaced whole) and a
    plain mapping are one value; a policy or distribution that changes its ``name`` or ``dist`` is
    replaced whole by the merge, so it is one value too.
    """
    found: list[tuple[str, Path_]] = []

    def walk(data: dict[str, Any], parts: Path_) -> None:
        for key, value in data.items():
            if not parts and key in NOT_PARAMETERS:
                continue
            here = (*parts, key)
            now, was = value_at(after, here), value_at(before, here)
            switched = isinstance(value, dict) and any(
                tag in value and getattr(was, tag, _MISSING) != value[tag] for tag in ("name", "dist"))
            if isinstance(value, dict) and not switched and (_section(now) or _model_dict(now)):
                walk(value, here)
            else:
                found.append((dotted(here), here))

    walk(raw, ())
    return found


def value_at(model: Any, parts: Path_) -> Any:
    """The value at a path of a validated scenario (attributes by alias, mapping keys, list indices)."""
    node = model
    for part in parts:
        if isinstance(node, BaseModel):
            names = {(f.alias or n): n for n, f in type(node).model_fields.items()}
            if part not in names:
                return _MISSING
            node = getattr(node, names[part])
        elif isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return _MISSING
    return node


def _section(value: Any) -> bool:
    return isinstance(value, BaseModel) and "dist" not in type(value).model_fields


def _model_dict(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(_section(v) for v in value.values())


def plain(value: Any) -> Any:
    """A validated value as plain data (models dumped as the scenario file writes them), for comparison."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def absolute_csv(data: dict[str, Any], base_dir: Path | None) -> dict[str, Any]:
    """Make a population CSV path relative to the scenario file's folder absolute."""
    pop = data.get("population")
    if base_dir is None or not isinstance(pop, dict) or not isinstance(pop.get("csv"), str):
        return data
    csv = Path(pop["csv"])
    if not csv.is_absolute():
        data = copy.deepcopy(data)
        try:
            data["population"]["csv"] = str((base_dir / csv).resolve())
        except (OSError, RuntimeError):  # a symbolic-link loop: left as it is, and reported as not a file
            data["population"]["csv"] = str((base_dir / csv).absolute())
    return data


def start_date_of(raw: dict[str, Any]) -> dt.date | None:
    """The file's start_date as a date (the default when absent; None when it is not a date)."""
    value = raw.get("start_date", DEFAULT_START)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE_TEXT.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def dates_to_days(data: Any, start: dt.date | None, doc: YamlDocument, prefix: Path_,
                  problems: list[InputProblem]) -> Any:
    """A copy of ``data`` with every date under a day key turned into days since ``start``."""
    drop = object()  # a date that cannot be used: reported once here, left out of validation

    def walk(value: Any, path: Path_) -> Any:
        if isinstance(value, dict):
            out = {k: convert(v, path + (k,)) if is_day_key(k) else walk(v, path + (k,)) for k, v in value.items()}
            return {k: v for k, v in out.items() if v is not drop}
        if isinstance(value, list):
            return [walk(v, path + (i,)) for i, v in enumerate(value)]
        return value

    def convert(value: Any, path: Path_) -> Any:
        date = _as_date(value)
        if date is None:
            return walk(value, path)
        line, col = doc.position(prefix + path)
        if start is None:
            problems.append(InputProblem(doc.file, "a date here needs start_date to be a date (YYYY-MM-DD).",
                                         dotted(prefix + path), line, col))
            return drop
        days = (date - start).days
        if days < 0:
            problems.append(InputProblem(doc.file, f"{date.isoformat()} is before start_date {start.isoformat()}; "
                                         "a day parameter written as a date must fall on or after it.",
                                         dotted(prefix + path), line, col))
            return drop
        return float(days)

    return walk(data, ())


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE_TEXT.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def cohort_notices(scenarios: list[tuple[str, Any]]) -> list[str]:
    """A note for each stratum simulated in cohorts (in the base or a variant): what it costs."""
    seen: dict[tuple[str, int], list[str]] = {}
    for name, sc in scenarios:
        for s in sc.population.strata:
            if s.cohort_size > 1:
                seen.setdefault((s.name, s.cohort_size), []).append(name)
    return [f"stratum '{stratum}' is simulated in cohorts of {k} identical firms ({', '.join(where)}): its shares vary "
            f"more between replications, and each cohort brings {k} services at once to the queues; compare with a "
            "smaller cohort_size before trusting a result (docs/scenarios.md, 'Very large strata')."
            for (stratum, k), where in seen.items()]


def default_notices(raw: dict[str, Any]) -> list[str]:
    """What a file that leaves out the city silently gets, in the planner's words (from the schema's defaults)."""
    from sim.scenario.schema import Scenario

    d = Scenario()
    notes = []
    if "counties" not in raw:
        c = d.counties[0]
        notes.append(f"no 'counties' given: using the {len(d.counties)} default county areas ("
                     f"{', '.join(x.name for x in d.counties)}) with assumed shares and default office staff "
                     f"({c.approval_reviewers} approval reviewers and {c.inspectors} inspectors each).")
    if "population" not in raw:
        n = sum(s.count for s in d.population.strata)
        notes.append(f"no 'population' given: using {n} generic firms in {len(d.population.strata)} stratum, a toy "
                     "town rather than Tieling's about 4,000 enterprises (see scenarios/tieling-2020.yaml).")
    if "cadres" not in raw:
        notes.append(f"no 'cadres' given: using city pools of {d.cadres.liaisons.count} liaisons and "
                     f"{d.cadres.supervisors.count} supervisors.")
    if "policies" not in raw:
        notes.append(f"no 'policies' given: using approval '{d.policies.approval.name}' and coverage "
                     f"'{d.policies.coverage.name}'.")
    return notes
