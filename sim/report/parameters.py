"""The scenario's parameters for the report: every value with unit and provenance, and variant diffs.

Reads ``scenario.resolved.yaml`` (the base plus ``variants:`` overrides and
``provenance:`` notes) with the project's loader, so the values are the ones
the run used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from sim.scenario.loader import LoadedScenario, load_scenario_text
from sim.scenario.params import field_meta
from sim.scenario.yaml_source import read_text

SKIP_TOP = ("description",)  # shown as the question, not as a parameter


@dataclass(frozen=True)
class ParameterRow:
    key: str
    value: str
    unit: str
    meaning: str
    provenance: str
    from_file: bool  # the provenance note comes from the scenario file


@dataclass(frozen=True)
class Difference:
    key: str
    base: str
    variant: str


def load_resolved(folder: Path) -> LoadedScenario | None:
    """The folder's resolved scenario, or None when the folder has none (InputError if it is invalid)."""
    file = folder / "scenario.resolved.yaml"
    if not file.is_file():
        return None
    return load_scenario_text(read_text(file), str(file), base_dir=folder)


def show(value: Any) -> str:
    """A parameter value as the planner would write it in YAML (compact)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True)
    if isinstance(value, dict) and "dist" in value:
        args = ", ".join(f"{k}={_num(v)}" for k, v in value.items() if k != "dist")
        return f"{value['dist']}({args})"
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if value is None:
        return "–"
    return str(value)


def _num(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _is_leaf(value: Any) -> bool:
    return not isinstance(value, BaseModel) or "dist" in type(value).model_fields


def parameter_rows(loaded: LoadedScenario) -> list[ParameterRow]:
    """Every parameter of the base, depth first, with unit, meaning and provenance."""
    rows: list[ParameterRow] = []
    notes = loaded.provenance

    def note_for(key: str) -> str | None:
        best = None
        for k in notes:
            if key == k or key.startswith(k + ".") or key.startswith(k + "["):
                if best is None or len(k) > len(best):
                    best = k
        return notes[best] if best is not None else None

    def leaf(key: str, value: Any, info: Any) -> None:
        meta = field_meta(info) if info is not None else {}
        note = note_for(key)
        provenance = note or meta.get("provenance", "")
        if "plausible_range" in meta:  # an unpublished figure: the range robustness work draws from
            provenance += f" (plausible range {meta['plausible_range']})"
        rows.append(ParameterRow(key, show(value), meta.get("unit", ""), (info.description or "") if info else "",
                                 provenance, note is not None))

    def walk(model: BaseModel, prefix: str) -> None:
        for name, info in type(model).model_fields.items():
            key = info.alias or name
            if not prefix and key in SKIP_TOP:
                continue
            path = f"{prefix}.{key}" if prefix else key
            value = getattr(model, name)
            if _is_leaf(value) and not _model_list(value) and not _model_dict(value):
                leaf(path, value, info)
            elif isinstance(value, BaseModel):
                walk(value, path)
            elif _model_list(value):
                for i, item in enumerate(value):
                    walk(item, f"{path}[{i}]")
            else:
                for k, item in value.items():
                    walk(item, f"{path}.{k}")

    walk(loaded.base, "")
    return rows


def _model_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(v, BaseModel) and not _is_leaf(v) for v in value)


def _model_dict(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(
        isinstance(v, BaseModel) and not _is_leaf(v) for v in value.values())


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted key → value of a model_dump; a distribution is one value."""
    if isinstance(data, dict) and "dist" not in data:
        out: dict[str, Any] = {}
        for k, v in data.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out or {prefix: data}
    if isinstance(data, list) and data and all(isinstance(v, dict) and "dist" not in v for v in data):
        out = {}
        for i, v in enumerate(data):
            out.update(flatten(v, f"{prefix}[{i}]"))
        return out
    return {prefix: data}


def variant_differences(loaded: LoadedScenario) -> dict[str, list[Difference]]:
    """Per variant, the resolved parameters that differ from the base's."""
    base = flatten(loaded.base.model_dump(mode="json", by_alias=True))
    out: dict[str, list[Difference]] = {}
    for name, scenario in loaded.variants.items():
        values = flatten(scenario.model_dump(mode="json", by_alias=True))
        keys = list(dict.fromkeys([*base, *values]))
        out[name] = [Difference(k, show(base.get(k)), show(values.get(k))) for k in keys
                     if base.get(k) != values.get(k)]
    return out
