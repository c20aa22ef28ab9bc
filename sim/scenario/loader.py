"""Loading a scenario file: YAML → validated base and variants, or clear errors.

A scenario file holds the base parameters at top level, plus two optional
sections:

``variants``
    named partial overrides, deep-merged into the base (mappings merge, lists
    and values replace);
``provenance``
    where a value set in the file comes from, by dotted key.
"""

from __future__ import annotations

import copy
import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import InputError, InputProblem
from sim.scenario.params import field_meta
from sim.scenario.schema import Scenario
from sim.scenario.yaml_source import Path_, YamlDocument, dotted, parse_yaml, read_text

BASE = "base"
RESERVED_TOP = ("variants", "provenance")
FIXED_ACROSS_VARIANTS = ("seed", "replications", "name")
MAX_VARIANTS = 500
MAX_PROBLEMS = 40  # per base or variant: a file with thousands of mistakes gets a readable message
VARIANT_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,60}$")


@dataclass
class LoadedScenario:
    """A validated scenario file: the base, its variants and the provenance notes."""

    path: Path
    base: Scenario
    variants: dict[str, Scenario] = field(default_factory=dict)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)

    def all_variants(self) -> list[tuple[str, Scenario]]:
        """The base first, then the variants in file order."""
        return [(BASE, self.base), *self.variants.items()]

    def with_settings(self, **settings: Any) -> LoadedScenario:
        """A copy with top-level settings (seed, replications, horizon…) changed in every variant.

        Settings given as None (an option the planner did not use) are left as they are.
        """
        updates = {k: v for k, v in settings.items() if v is not None}
        if not updates:
            return self

        def upd(s: Scenario) -> Scenario:
            data = {**s.model_dump(by_alias=True), **updates}
            try:
                return Scenario.model_validate(data)
            except ValidationError as exc:  # a bad command-line setting: bad input, not a crash
                raise InputError([
                    InputProblem(str(self.path), "set on the command line: " + _plain_message(
                        err["type"], str(err["msg"]), err, _data_path(tuple(err["loc"]), data), data),
                        dotted(_data_path(tuple(err["loc"]), data)) or None)
                    for err in exc.errors(include_url=False)[:MAX_PROBLEMS]]) from None
        return LoadedScenario(self.path, upd(self.base), {k: upd(v) for k, v in self.variants.items()},
                              self.overrides, self.provenance)


def load_scenario(path: str | Path) -> LoadedScenario:
    """Read, validate and resolve a scenario file; raise InputError listing every problem."""
    path = Path(path)
    text = read_text(path)
    return load_scenario_text(text, str(path), base_dir=path.parent)


def load_scenario_text(text: str, file: str, base_dir: Path | None = None) -> LoadedScenario:
    doc = parse_yaml(text, file)
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__
        raise InputError.single(file, f"the top level must be a mapping of keys to values, not a {kind}.", line=1, column=1)
    raw = dict(doc.data)
    variants_raw = raw.pop("variants", None) or {}
    provenance_raw = raw.pop("provenance", None) or {}
    problems: list[InputProblem] = []

    base_data = _resolve_paths(raw, base_dir)
    base = _validate(base_data, doc, (), problems)
    problems.extend(_bool_problems(base_data, doc, (), only_set=False))
    base_messages = {(p.line, p.column, p.message) for p in problems}

    overrides: dict[str, dict[str, Any]] = {}
    variants: dict[str, Scenario] = {}
    if not isinstance(variants_raw, dict):
        line, col = doc.position(("variants",))
        problems.append(InputProblem(file, "must be a mapping of variant name to overrides.", "variants", line, col))
        variants_raw = {}
    if len(variants_raw) > MAX_VARIANTS:
        line, col = doc.position(("variants",))
        raise InputError([*problems, InputProblem(
            file, f"{len(variants_raw):,} variants; the limit is {MAX_VARIANTS}. To explore many values of a "
            "parameter, use a sweep file (python -m sim sweep).", "variants", line, col)])
    for name, override in variants_raw.items():
        vpath: Path_ = ("variants", name)
        line, col = doc.position(vpath, of_key=True)
        if not isinstance(name, str) or not VARIANT_NAME.match(name) or name == BASE:
            problems.append(InputProblem(file, f"variant name {name!r} must be 1-60 letters, digits, '_', '-' or '.', and not '{BASE}'.",
                                         dotted(vpath), line, col))
            continue
        if not isinstance(override, dict):
            problems.append(InputProblem(file, "a variant must be a mapping of the keys it overrides.", dotted(vpath), line, col))
            continue
        for key in FIXED_ACROSS_VARIANTS:
            if key in override:
                kl, kc = doc.position(vpath + (key,), of_key=True)
                problems.append(InputProblem(
                    file, f"a variant cannot change '{key}': all variants share it so that they are compared "
                    "on common random numbers. Set it at the top of the file.", dotted(vpath + (key,)), kl, kc))
        merged = deep_merge(base_data, _resolve_paths(override, base_dir))
        found: list[InputProblem] = []
        scenario = _validate(merged, doc, vpath, found)
        found.extend(_bool_problems(merged, doc, vpath, only_set=True))
        # an error the base already has is reported once, for the base
        problems.extend(p for p in found if (p.line, p.column, p.message) not in base_messages)
        if scenario is not None:
            overrides[name] = override
            variants[name] = scenario

    provenance = _check_provenance(provenance_raw, doc, problems)
    if problems or base is None:
        raise InputError(problems)
    _check_population_csvs([(BASE, base), *variants.items()], doc)
    return LoadedScenario(Path(file), base, variants, overrides, provenance)


def _check_population_csvs(scenarios: list[tuple[str, Scenario]], doc: YamlDocument) -> None:
    """Read every population CSV the base and variants name, so that a bad row fails at validation."""
    # sim.population imports the schema, which imports this module's package: import here
    from sim.population import read_population_csv

    problems: list[InputProblem] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for name, scenario in scenarios:
        csv = scenario.population.csv
        if csv is None:
            continue
        counties = tuple(c.name for c in scenario.counties)
        if (csv, counties) in seen:
            continue
        seen.add((csv, counties))
        where: Path_ = ("population", "csv") if name == BASE else ("variants", name, "population", "csv")
        if not _has_position(doc, where):
            where = ("population", "csv")
        if not Path(csv).is_file():
            line, col = doc.position(where)
            problems.append(InputProblem(doc.file, f"the population CSV {csv} does not exist (paths are relative "
                                         "to the scenario file's folder).", dotted(where), line, col))
            continue
        try:
            read_population_csv(Path(csv), scenario)
        except InputError as exc:
            context = "" if name == BASE else f"in variant '{name}' (counties: {', '.join(counties)}): "
            problems.extend(InputProblem(p.file, context + (f"column '{p.key}': " if p.key else "") + p.message,
                                         None, p.line, p.column) for p in exc.problems)
    if problems:
        raise InputError(problems)


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


def _resolve_paths(data: dict[str, Any], base_dir: Path | None) -> dict[str, Any]:
    """Make a population CSV path relative to the scenario file's folder."""
    pop = data.get("population")
    if base_dir is None or not isinstance(pop, dict) or not isinstance(pop.get("csv"), str):
        return data
    csv = Path(pop["csv"])
    if not csv.is_absolute():
        data = copy.deepcopy(data)
        data["population"]["csv"] = str((base_dir / csv).resolve())
    return data


def _validate(data: dict[str, Any], doc: YamlDocument, prefix: Path_, problems: list[InputProblem]) -> Scenario | None:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        for err in errors[:MAX_PROBLEMS]:
            problems.append(_problem_from_error(err, data, doc, prefix))
        if len(errors) > MAX_PROBLEMS:
            line, col = doc.position(prefix)
            problems.append(InputProblem(doc.file, f"... and {len(errors) - MAX_PROBLEMS:,} more problems like "
                                         "these; fix the ones above first.", dotted(prefix) or None, line, col))
        return None


def _data_path(loc: tuple[Any, ...], data: Any) -> Path_:
    """Follow a pydantic error location through the data, skipping union tags."""
    path: list[str | int] = []
    cur = data
    for part in loc:
        if isinstance(cur, dict) and part in cur:
            path.append(part)
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            path.append(part)
            cur = cur[part]
        elif isinstance(cur, dict) and isinstance(part, str) and not _is_tag(part, cur):
            path.append(part)  # a key that is missing or unknown
            cur = None
        # else: a union tag such as 'lognormal' or 'fast_track', or a validator name
    return tuple(path)


def _is_tag(part: str, cur: dict[str, Any]) -> bool:
    return part in (cur.get("dist"), cur.get("name")) or "[" in part or part.startswith("function-")


def _problem_from_error(err: Any, data: dict[str, Any], doc: YamlDocument, prefix: Path_) -> InputProblem:
    path = _data_path(tuple(err["loc"]), data)
    kind = err["type"]
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if kind == "value_error":  # a check across fields: point at the value it is about
        path = _refine_path(path, msg, data)
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        disc = str(err.get("ctx", {}).get("discriminator", "")).strip("'\"")
        msg = _tag_message(kind, disc, err, path, data)
        if kind == "union_tag_invalid" and disc:
            path = path + (disc,)
    of_key = kind == "extra_forbidden"
    key = dotted(path)
    if prefix:  # a variant: point at the override if it set this value, else at the base
        if _has_position(doc, prefix + path):
            line, col = doc.position(prefix + path, of_key)
        elif _has_position(doc, path):
            line, col = doc.position(path, of_key)
        else:
            line, col = doc.position(prefix, of_key)
        key = f"{dotted(prefix)}: {key}" if key else dotted(prefix)
    else:
        line, col = doc.position(path, of_key)
    if kind == "extra_forbidden":
        msg = unknown_key_message(str(path[-1]) if path else "", _allowed_keys(path[:-1], data))
    elif kind == "missing":
        msg = "this key is required but missing."
        info = _field_info(path, data)
        if info:
            msg += f" Meaning: {info}."
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        pass
    else:
        msg = _plain_message(kind, msg, err, path, data)
    return InputProblem(doc.file, msg, key or None, line, col)


_BOUNDS = {"greater_than_equal": ("ge", "at least"), "greater_than": ("gt", "greater than"),
           "less_than_equal": ("le", "at most"), "less_than": ("lt", "less than")}
_DATE_TYPES = ("date_from_datetime_parsing", "date_parsing", "date_type", "date_from_datetime_inexact")


def _plain_message(kind: str, msg: str, err: Any, path: Path_, data: dict[str, Any]) -> str:
    """pydantic's message in the planner's words: what is wrong, what was given, what is allowed."""
    given = err.get("input")
    ctx = err.get("ctx", {})
    if kind in _BOUNDS and _BOUNDS[kind][0] in ctx:
        msg = f"must be {_BOUNDS[kind][1]} {ctx[_BOUNDS[kind][0]]}"
    elif kind in ("model_type", "dict_type", "model_attributes_type"):
        allowed = _allowed_keys(path, data)
        msg = f"expected a mapping of keys to values here, got {_describe(given)}"
        if allowed:
            msg += f" (allowed keys: {', '.join(allowed)})"
    elif kind == "list_type":
        msg = f"expected a list here ([a, b] or one '- item' per line), got {_describe(given)}"
    elif kind in ("float_parsing", "float_type"):
        msg = "must be a valid number"
    elif kind in ("int_parsing", "int_type"):
        msg = "must be a valid whole number"
    elif kind == "int_from_float":
        msg = "must be a whole number, without a fractional part"
    elif kind in ("string_type", "str_type"):
        msg = "must be text"
    elif kind in ("bool_parsing", "bool_type"):
        msg = "must be true or false"
    elif kind == "string_pattern_mismatch" and ctx.get("pattern") == r"^[A-Za-z0-9_.\-]+$":
        msg = "may contain only letters A-Z and a-z, digits, '_', '.' and '-' (no spaces)"
    elif kind == "finite_number":
        msg = "must be a finite number (not .nan or .inf)"
    elif kind in _DATE_TYPES:
        msg = "is not a date; write a date as YYYY-MM-DD, for example 2020-02-03"
    elif kind == "literal_error" and "expected" in ctx:
        allowed = [a.strip(" '") for a in str(ctx["expected"]).replace(" or ", ",").split(",") if a.strip(" '")]
        msg = f"'{given}' is not allowed; allowed: {', '.join(allowed)}"
        hint = difflib.get_close_matches(str(given), allowed, n=1, cutoff=0.6)
        if hint:
            msg += f". Did you mean '{hint[0]}'?"
    described = ("model_type", "dict_type", "model_attributes_type", "list_type", "literal_error", *_DATE_TYPES)
    if "input" in err and not isinstance(given, (dict, list)) and kind not in described:
        msg += f" (got {given!r})"
    elif kind in _DATE_TYPES:
        msg += f" (got {given!r})"
    msg = msg.rstrip(".") + "."
    info = _field_info(path, data)
    if info:
        msg += f" Meaning: {info}."
    return msg


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (an empty value)"
    return f"{type(value).__name__} {value!r}"


def _tag_message(kind: str, disc: str, err: Any, path: Path_, data: dict[str, Any]) -> str:
    """Message for a bad or missing ``dist:`` / ``name:`` that picks a distribution or policy."""
    what = "distribution" if disc == "dist" else "policy"
    ctx = err.get("ctx", {})
    if "expected_tags" in ctx:
        allowed = [t.strip(" '") for t in str(ctx["expected_tags"]).split(",")]
    else:
        allowed = _union_tags(path, data, disc)
    listing = f"allowed: {', '.join(allowed)}" if allowed else ""
    if kind == "union_tag_not_found":
        example = "{dist: lognormal, mean: 2, cv: 0.5} or a bare number" if disc == "dist" else f"{{{disc}: {allowed[0] if allowed else 'NAME'}}}"
        return f"needs '{disc}:' naming the {what}, e.g. {example}; {listing}."
    tag = str(ctx.get("tag", ""))
    msg = f"unknown {what} '{tag}'."
    hint = difflib.get_close_matches(tag, allowed, n=1, cutoff=0.6)
    if hint:
        msg += f" Did you mean '{hint[0]}'?"
    return msg + (f" {listing[0].upper()}{listing[1:]}." if listing else "")


def _union_tags(path: Path_, data: dict[str, Any], disc: str) -> list[str]:
    """The values of ``disc`` that pick a member of the tagged union declared at ``path``."""
    parent = _model_at(path[:-1], data)
    if parent is None or not path or not isinstance(path[-1], str):
        return []
    info = {(f.alias or n): f for n, f in parent.model_fields.items()}.get(path[-1])
    tp: Any = info.annotation if info is not None else None
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    tags = []
    for member in typing.get_args(tp):
        if isinstance(member, type) and issubclass(member, BaseModel) and disc in member.model_fields:
            tags.append(str(member.model_fields[disc].default))
    return tags


_QUOTED = re.compile(r"'([^'\[\],]{1,80})'")
_DOTTED = re.compile(r"\b([a-z_]+(?:\.[a-z_]+)+)\b")


def _refine_path(path: Path_, msg: str, data: dict[str, Any]) -> Path_:
    """For a check across several fields, the path of the value the message is about.

    Tried in turn: a value quoted in the message (the last one that appears in
    the data under ``path``), a dotted key named in it, a field named in it.
    """
    sub = _at(data, path)
    if sub is None:
        return path
    leaves = list(_leaves(sub, path))
    outside = re.sub(r"\[[^\]]*\]", "", msg)  # quoted names in [...] are usually the allowed ones
    inside = [q for q in _QUOTED.findall(msg) if q not in _QUOTED.findall(outside)]
    for quoted in [*reversed(_QUOTED.findall(outside)), *inside]:
        hits = [p for p, v in leaves if isinstance(v, str) and v == quoted]
        if hits:
            return hits[-1]
    for name in _DOTTED.findall(msg):
        parts = tuple(name.split("."))
        for candidate in (parts, path + parts):
            if _at(data, candidate) is not None:
                return candidate
        if not path:
            return parts  # named but left at its default: at least the key is right
    if isinstance(sub, dict):
        words = set(re.findall(r"[a-z_]+", msg))
        named = [k for k in sub if isinstance(k, str) and k in words]
        if len(named) == 1:
            return path + (named[0],)
    return path


def _at(data: Any, path: Path_) -> Any:
    cur = data
    for part in path:
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            cur = cur[part]
        else:
            return None
    return cur


def _leaves(value: Any, path: Path_) -> Any:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, path + (i,))
    else:
        yield path, value


def _bool_problems(data: Any, doc: YamlDocument, prefix: Path_, only_set: bool) -> list[InputProblem]:
    """yes/no where a number belongs: YAML reads ``yes`` as true, and pydantic would take it as 1."""
    found: list[InputProblem] = []

    def visit(value: Any, tp: Any, path: Path_) -> None:
        tp = _pick(tp, value)
        if tp is None:
            return
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if isinstance(value, dict):
                fields = {(f.alias or n): f for n, f in tp.model_fields.items()}
                for k, v in value.items():
                    if k in fields:
                        visit(v, fields[k].annotation, path + (k,))
            return
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin is list and args and isinstance(value, list):
            for i, v in enumerate(value):
                visit(v, args[0], path + (i,))
        elif origin is tuple and args and isinstance(value, list):
            for i, (v, a) in enumerate(zip(value, args, strict=False)):
                visit(v, a, path + (i,))
        elif origin is dict and len(args) == 2 and isinstance(value, dict):
            for k, v in value.items():
                visit(v, args[1], path + (k,))
        elif tp in (int, float) and isinstance(value, bool):
            full = prefix + path
            if only_set and not _has_position(doc, full):
                return
            line, col = doc.position(full)
            key = f"{dotted(prefix)}: {dotted(path)}" if prefix else dotted(path)
            found.append(InputProblem(doc.file, f"got {str(value).lower()} (YAML reads yes/no/on/off as true/false), "
                                      f"but a number is required here.", key, line, col))

    visit(data, Scenario, ())
    return found


def unknown_key_message(name: str, allowed: list[str]) -> str:
    """'unknown key …', with a "did you mean" for a near miss and the keys allowed there."""
    msg = f"unknown key '{name}'."
    hint = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    if hint:
        msg += f" Did you mean '{hint[0]}'?"
    if allowed:
        msg += f" Allowed keys here: {', '.join(allowed)}."
    return msg


def _has_position(doc: YamlDocument, path: Path_) -> bool:
    return tuple(path) in doc.positions or tuple(path) in doc.key_positions


def _field_info(path: Path_, data: dict[str, Any]) -> str:
    """'<meaning>; unit: <unit>' of a declared field, for error messages."""
    model = _model_at(path[:-1], data)
    if model is None or not path or not isinstance(path[-1], str):
        return ""
    fields = {(f.alias or n): f for n, f in model.model_fields.items()}
    info = fields.get(path[-1])
    if info is None or not info.description:
        return ""
    unit = field_meta(info).get("unit")
    return info.description + (f"; unit: {unit}" if unit else "")


def _allowed_keys(path: Path_, data: dict[str, Any]) -> list[str]:
    model = _model_at(path, data)
    if model is None:
        return []
    return [f.alias or n for n, f in model.model_fields.items()]


def _model_at(path: Path_, data: Any) -> type[BaseModel] | None:
    """The schema model that describes the mapping at ``path`` of ``data``."""
    tp: Any = Scenario
    cur = data
    for part in path:
        tp = _pick(tp, cur)
        if tp is None:
            return None
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            info = {(f.alias or n): f for n, f in tp.model_fields.items()}.get(str(part))
            if info is None:
                return None
            tp = info.annotation
        else:
            origin = typing.get_origin(tp)
            args = typing.get_args(tp)
            if origin is list and args:
                tp = args[0]
            elif origin is dict and len(args) == 2:
                tp = args[1]
            else:
                return None
        cur = cur.get(part) if isinstance(cur, dict) else (cur[part] if isinstance(cur, list) and isinstance(part, int) and part < len(cur) else None)
    tp = _pick(tp, cur)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _pick(tp: Any, value: Any) -> Any:
    """Unwrap Annotated/Optional/unions, choosing the member the value's tag names."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            chosen = None
            if isinstance(value, dict):
                for m in models:
                    for tag_field in ("name", "dist"):
                        f = m.model_fields.get(tag_field) or m.model_fields.get(tag_field + "_value")
                        if f is not None and f.default == value.get(tag_field):
                            chosen = m
            if chosen is None:
                chosen = models[0] if len(models) == 1 else (members[0] if len(members) == 1 else None)
            if chosen is None:
                return None
            tp = chosen
            continue
        return tp


def _check_provenance(raw: Any, doc: YamlDocument, problems: list[InputProblem]) -> dict[str, str]:
    if not isinstance(raw, dict):
        line, col = doc.position(("provenance",))
        problems.append(InputProblem(doc.file, "must be a mapping of dotted key to a note on where the value comes from.",
                                     "provenance", line, col))
        return {}
    out: dict[str, str] = {}
    for key, note in raw.items():
        line, col = doc.position(("provenance", key), of_key=True)
        if not isinstance(note, str) or not note.strip():
            problems.append(InputProblem(doc.file, "a provenance note must be non-empty text.", f"provenance.{key}", line, col))
            continue
        if not isinstance(key, str) or not _known_dotted_key(key):
            problems.append(InputProblem(doc.file, f"'{key}' is not a parameter of the scenario; write the dotted key "
                                         "of a parameter, e.g. cadres.liaisons.count or population.strata[0].count.",
                                         f"provenance.{key}", line, col))
            continue
        out[key] = note.strip()
    return out


_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _known_dotted_key(key: str) -> bool:
    tp: Any = Scenario
    for m in _TOKEN.finditer(key):
        name, index = m.group(1), m.group(2)
        tp = _pick(tp, None) if typing.get_origin(tp) is not typing.Union else tp
        origin = typing.get_origin(tp)
        if index is not None:
            if origin is not list:
                return False
            tp = typing.get_args(tp)[0]
            continue
        while typing.get_origin(tp) is typing.Annotated:
            tp = typing.get_args(tp)[0]
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if isinstance(a, type) and issubclass(a, BaseModel)]
            for m_ in members:
                if name in {(f.alias or n) for n, f in m_.model_fields.items()}:
                    tp = m_
                    break
            else:
                return False
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            fields = {(f.alias or n): f for n, f in tp.model_fields.items()}
            if name not in fields:
                return False
            tp = fields[name].annotation
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        else:
            return False
    return True
