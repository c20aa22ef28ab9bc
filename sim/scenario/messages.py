"""What a validation error says to the planner: the one place pydantic errors become messages.

pydantic reports an error at a location inside the validated data; this module
turns it into an :class:`~sim.errors.InputProblem`: the file, line and column
of the value (or of the key, for an unknown key), the dotted key, and a plain
message that says what is allowed (bounds in words, the allowed keys with a
"did you mean", the allowed policy, distribution or design names, the meaning
and unit of the parameter). It walks the schema of the file (the scenario by
default; a sweep or an optimisation file names its own root model) to find
what a location means, so every kind of file the planner writes gets the same
messages; :func:`read_validated` reads and validates such a file in one step.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticUndefined

from sim.errors import InputError, InputProblem
from sim.scenario.params import field_meta
from sim.scenario.paths import get_value, split_path
from sim.scenario.schema import Scenario
from sim.scenario.yaml_source import Path_, YamlDocument, dotted, parse_yaml, read_text

M = TypeVar("M", bound=BaseModel)


def data_path(loc: tuple[Any, ...], data: Any) -> Path_:
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


def read_validated(path: Path, what: str, model: type[M]) -> tuple[YamlDocument, M]:
    """Read a YAML file whose top level is ``model`` (a sweep or optimisation file) and validate it.

    Raises InputError naming file, line and key of every problem.
    """
    text = read_text(path, what=what)
    doc = parse_yaml(text, str(path))
    if not isinstance(doc.data, dict):
        raise InputError.single(str(path), "the top level must be a mapping of keys to values.", line=1, column=1)
    try:
        return doc, model.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError([problem_from_error(err, doc.data, doc, (), model)
                          for err in exc.errors(include_url=False)]) from None


def problem_from_error(err: Any, data: dict[str, Any], doc: YamlDocument, prefix: Path_,
                       root: type[BaseModel] = Scenario) -> InputProblem:
    """A pydantic error on ``data`` (validated as ``root``) → file:line:column, dotted key and message.

    ``prefix``: where ``data`` sits in the file (a variant of a scenario), () for the whole file.
    """
    path = data_path(tuple(err["loc"]), data)
    kind = err["type"]
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if kind == "value_error":  # a check across fields: point at the value it is about
        path = _refine_path(path, msg, data)
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        disc = str(err.get("ctx", {}).get("discriminator", "")).strip("'\"")
        msg = _tag_message(kind, disc, err, path, data, root)
        if kind == "union_tag_invalid" and disc:
            path = path + (disc,)
    of_key = kind == "extra_forbidden" or (tuple(err["loc"])[-1:] == ("[key]",))  # a bad key: point at it
    key = dotted(path)
    if prefix:  # a variant: point at the override if it set this value, else at the base
        if has_position(doc, prefix + path):
            line, col = doc.position(prefix + path, of_key)
        elif has_position(doc, path):
            line, col = doc.position(path, of_key)
        else:
            line, col = doc.position(prefix, of_key)
        key = f"{dotted(prefix)}: {key}" if key else dotted(prefix)
    else:
        line, col = doc.position(path, of_key)
    if kind == "extra_forbidden":
        msg = unknown_key_message(str(path[-1]) if path else "",
                                  _allowed_keys(path[:-1], data, in_file=not prefix, root=root))
    elif kind == "missing":
        msg = "this key is required but missing."
        info = _field_info(path, data, root)
        if info:
            msg += f" Meaning: {info}."
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        pass
    else:
        msg = plain_message(kind, msg, err, path, data, root)
    return InputProblem(doc.file, msg, key or None, line, col)


def scenario_problem_text(err: Any, data: dict[str, Any]) -> tuple[str, str]:
    """A pydantic error on scenario data that a program made (a sweep's point, a robustness point): the dotted
    key, and what is wrong there in the planner's words (starting in lower case, ending with a full stop)."""
    path = data_path(tuple(err["loc"]), data)
    why = plain_message(err["type"], str(err["msg"]).removeprefix("Value error, "), err, path, data)
    return dotted(path), why[0].lower() + why[1:]


_BOUNDS = {"greater_than_equal": ("ge", "at least"), "greater_than": ("gt", "greater than"),
           "less_than_equal": ("le", "at most"), "less_than": ("lt", "less than")}
_DATE_TYPES = ("date_from_datetime_parsing", "date_parsing", "date_type", "date_from_datetime_inexact")


def plain_message(kind: str, msg: str, err: Any, path: Path_, data: dict[str, Any],
                  root: type[BaseModel] = Scenario) -> str:
    """pydantic's message in the planner's words: what is wrong, what was given, what is allowed."""
    given = err.get("input")
    ctx = err.get("ctx", {})
    if kind in _BOUNDS and _BOUNDS[kind][0] in ctx:
        msg = f"must be {_BOUNDS[kind][1]} {ctx[_BOUNDS[kind][0]]}"
    elif kind in ("model_type", "dict_type", "model_attributes_type"):
        allowed = _allowed_keys(path, data, root=root)
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
        msg = f"'{given}' is not allowed; allowed: {_either(allowed)}"
        hint = difflib.get_close_matches(str(given), allowed, n=1, cutoff=0.6)
        if hint:
            msg += f". Did you mean '{hint[0]}'?"
    described = ("model_type", "dict_type", "model_attributes_type", "list_type", "literal_error", *_DATE_TYPES)
    about_key = tuple(err.get("loc", ()))[-1:] == ("[key]",)  # the message names the key already
    if "input" in err and not isinstance(given, (dict, list)) and kind not in described and not about_key:
        msg += f" (got {given!r})"
    elif kind in _DATE_TYPES:
        msg += f" (got {given!r})"
    msg = msg.rstrip(".") + "."
    info = _field_info(path, data, root)
    if info:
        msg += f" Meaning: {info}."
    return msg


def _either(names: list[str]) -> str:
    """'a, b or c'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (an empty value)"
    return f"{type(value).__name__} {value!r}"


def _tag_message(kind: str, disc: str, err: Any, path: Path_, data: dict[str, Any], root: type[BaseModel]) -> str:
    """Message for a bad or missing ``dist:`` / ``name:`` that picks a distribution, policy or design.

    What the name picks is the union members' ``KIND`` where they declare one.
    """
    members = _union_members(path, data, disc, root)
    kinds = {getattr(m, "KIND", None) for m in members}
    what = kinds.pop() if len(kinds) == 1 and None not in kinds else "distribution" if disc == "dist" else "policy"
    ctx = err.get("ctx", {})
    if "expected_tags" in ctx:
        allowed = [t.strip(" '") for t in str(ctx["expected_tags"]).split(",")]
    else:
        allowed = [t for m in members for t in _tag_values(m.model_fields[disc])]
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


def _union_members(path: Path_, data: dict[str, Any], disc: str, root: type[BaseModel]) -> list[type[BaseModel]]:
    """The models of the tagged union declared at ``path`` that ``disc`` picks from."""
    parent = _model_at(path[:-1], data, root)
    if parent is None or not path or not isinstance(path[-1], str):
        return []
    info = {(f.alias or n): f for n, f in parent.model_fields.items()}.get(path[-1])
    return [m for m in _members(info.annotation if info is not None else None)
            if isinstance(m, type) and issubclass(m, BaseModel) and disc in m.model_fields]


def _members(tp: Any) -> list[Any]:
    """The types a (possibly Annotated or Optional) union is made of."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(tp) for m in _members(a)]
    return [tp]


def _tag_values(info: Any) -> list[str]:
    """The values a tag field takes: its default, else the values of its Literal type."""
    if info.default is not PydanticUndefined:
        return [str(info.default)]
    return [str(v) for v in typing.get_args(info.annotation)] if typing.get_origin(info.annotation) is typing.Literal \
        else []


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
    """The value at ``path`` in the file's data, None where there is none."""
    try:
        return get_value(data, path)
    except (KeyError, IndexError, TypeError):
        return None


def _leaves(value: Any, path: Path_) -> Any:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, path + (i,))
    else:
        yield path, value


def bool_problems(data: Any, doc: YamlDocument, prefix: Path_, only_set: bool) -> list[InputProblem]:
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
            if only_set and not has_position(doc, full):
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


def has_position(doc: YamlDocument, path: Path_) -> bool:
    return tuple(path) in doc.positions or tuple(path) in doc.key_positions


def _field_info(path: Path_, data: dict[str, Any], root: type[BaseModel] = Scenario) -> str:
    """'<meaning>; unit: <unit>' of a declared field, for error messages."""
    model = _model_at(path[:-1], data, root)
    if model is None or not path or not isinstance(path[-1], str):
        return ""
    fields = {(f.alias or n): f for n, f in model.model_fields.items()}
    info = fields.get(path[-1])
    if info is None or not info.description:
        return ""
    unit = field_meta(info).get("unit")
    return info.description + (f"; unit: {unit}" if unit else "")


# Top-level keys of a scenario file that are not parameters (read by the loader, not the schema).
FILE_SECTIONS = ("extends", "variants", "provenance")


def _allowed_keys(path: Path_, data: dict[str, Any], in_file: bool = False,
                  root: type[BaseModel] = Scenario) -> list[str]:
    """The keys allowed at ``path``; at the top of a scenario file (``in_file``), also extends, variants,
    provenance."""
    model = _model_at(path, data, root)
    if model is None:
        return []
    keys = [f.alias or n for n, f in model.model_fields.items() if not f.exclude]
    return keys + list(FILE_SECTIONS) if in_file and not path and root is Scenario else keys


def _model_at(path: Path_, data: Any, root: type[BaseModel] = Scenario) -> type[BaseModel] | None:
    """The schema model (of a file whose top level is ``root``) that describes the mapping at ``path``."""
    tp: Any = root
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
                        if f is not None and str(value.get(tag_field)) in _tag_values(f):
                            chosen = m
            if chosen is None:
                chosen = models[0] if len(models) == 1 else (members[0] if len(members) == 1 else None)
            if chosen is None:
                return None
            tp = chosen
            continue
        return tp


def known_dotted_key(key: str) -> bool:
    """Whether a dotted key (``cadres.liaisons.count``, ``counties[0].inspectors``) names a scenario field."""
    parts = split_path(key, wildcard=False)
    if parts is None:
        return False
    tp: Any = Scenario
    for part in parts:
        name = part if isinstance(part, str) else None
        tp = _pick(tp, None) if typing.get_origin(tp) is not typing.Union else tp
        origin = typing.get_origin(tp)
        if name is None:
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
