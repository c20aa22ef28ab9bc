"""The scenario reference, from the schema: every parameter with its default, unit, meaning and provenance.

Walks the pydantic models of :class:`sim.scenario.schema.Scenario` (the fields'
``param`` declarations, read with :func:`sim.scenario.params.field_meta`), so
that a parameter added to a module's section appears here at the next render.
A default is the value a file gets by leaving the key out: nested sections
show the values of the default scenario's own instance (``policies.coverage``
defaults to 1+1+1, say), list elements and the other choices of a policy
their own class defaults.
"""

from __future__ import annotations

import datetime as dt
import json
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.scenario.authoring import plain
from sim.scenario.params import field_meta
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Row:
    key: str
    default: str
    unit: str
    meaning: str
    provenance: str


@dataclass(frozen=True)
class Section:
    """A top-level key of the scenario file and its parameters."""

    key: str
    meaning: str
    rows: list[Row]


def sections() -> list[Section]:
    """Every top-level section of the scenario file, in the schema's order."""
    out: list[Section] = []
    default = Scenario()
    loose: list[Row] = []  # top-level single values: one section of their own
    for name, info in Scenario.model_fields.items():
        key = info.alias or name
        rows = _field(key, info, getattr(default, name), True)
        if len(rows) == 1 and rows[0].key == key:
            loose.extend(rows)
        else:
            out.append(Section(key, info.description or (_model_of(info.annotation).__doc__ or "").strip()
                               if _model_of(info.annotation) else info.description or "", rows))
    return [Section("top level", "settings of the whole scenario", loose), *out]


def _model_of(tp: Any) -> type[BaseModel] | None:
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) and not _is_dist(tp) else None


def _unwrap(tp: Any) -> Any:
    """Annotated and Optional removed."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return tp


def _members(tp: Any) -> list[Any]:
    tp = _unwrap(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [_unwrap(a) for a in typing.get_args(tp) if a is not type(None)]
    return [tp]


def _is_dist(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel) and "dist" in tp.model_fields


def _is_distribution(tp: Any) -> bool:
    return any(_is_dist(m) for m in _members(tp))


def _field(key: str, info: FieldInfo, default: Any, has_default: bool) -> list[Row]:
    tp = _unwrap(info.annotation)
    members = _members(info.annotation)
    models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel) and not _is_dist(m)]
    if len(models) > 1:  # a policy chosen by name: each choice with its own settings
        rows: list[Row] = []
        for model in models:
            instance = default if isinstance(default, model) else _try(model)
            choice = model.model_fields["name"].default if "name" in model.model_fields else model.__name__
            rows.append(Row(f"{key} (name: {choice})", "the default" if isinstance(default, model) else "",
                            "", (model.__doc__ or "").strip().splitlines()[0], ""))
            rows += _model(key, model, instance, skip=("name",))
        return rows
    if len(models) == 1 and not _is_distribution(info.annotation):
        instance = default if isinstance(default, models[0]) else None
        return _model(key, models[0], instance)
    origin = typing.get_origin(tp)
    if origin is list:
        element = _unwrap(typing.get_args(tp)[0])
        if isinstance(element, type) and issubclass(element, BaseModel) and not _is_dist(element):
            head = _leaf(key, info, default, has_default)
            return [head, *_model(f"{key}[]", element, None)]
    if origin is dict:
        value = _unwrap(typing.get_args(tp)[1])
        if isinstance(value, type) and issubclass(value, BaseModel) and not _is_dist(value):
            head = _leaf(key, info, default, has_default)
            return [head, *_model(f"{key}.<name>", value, None)]
    return [_leaf(key, info, default, has_default)]


def _model(prefix: str, model: type[BaseModel], instance: Any, skip: tuple[str, ...] = ()) -> list[Row]:
    rows: list[Row] = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key in skip:
            continue
        if instance is not None:
            value, known = getattr(instance, name), True
        elif not info.is_required():
            value, known = info.get_default(call_default_factory=True), True
        else:
            value, known = None, False
        rows += _field(f"{prefix}.{key}", info, value, known)
    return rows


def _try(model: type[BaseModel]) -> Any:
    try:
        return model()
    except Exception:  # a choice whose settings have no defaults: its fields' own defaults are shown
        return None


def _leaf(key: str, info: FieldInfo, default: Any, has_default: bool) -> Row:
    meta = field_meta(info)
    provenance = meta.get("provenance", "")
    if "plausible_range" in meta:
        provenance += f" (plausible range {meta['plausible_range']})"
    return Row(key, show(default) if has_default else "required", meta.get("unit", ""),
               info.description or "", provenance)


def show(value: Any) -> str:
    """A default as a planner would write it."""
    if isinstance(value, BaseModel):
        data = value.model_dump(mode="json", by_alias=True)
        if "dist" in data:
            return f"{data['dist']}(" + ", ".join(f"{k}={_num(v)}" for k, v in data.items() if k != "dist") + ")"
        return _short(json.dumps(data, ensure_ascii=False))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None:
        return "empty"
    if isinstance(value, (list, dict)):
        if isinstance(value, list) and value and isinstance(value[0], BaseModel):
            names = [getattr(v, "name", None) for v in value]
            if all(names):
                return f"{len(value)}: " + ", ".join(str(n) for n in names)
            return f"{len(value)} entries"
        return _short(json.dumps(plain(value), ensure_ascii=False))
    return str(value)


def _num(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
