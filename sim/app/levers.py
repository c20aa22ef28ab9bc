"""The controls of the workbench: a scenario's policy levers and uncertain capacities, grouped by question.

Each :class:`Lever` is one value of the scenario at a dotted path, read from the scenario schema
(its type, unit, meaning and provenance, :func:`sim.scenario.params.param`) and from the file (a
provenance note of the file, by dotted key, wins over the schema's). Nothing here checks a value:
the page refuses a bad one with the message of ``python -m sim validate``, by validating the what-if
file it would save (:mod:`sim.app.whatifs`).
"""

from __future__ import annotations

import datetime as dt
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from sim.model.firm_classes import FIRM_KEYS
from sim.model.registry import COVERAGE, PROCEDURES
from sim.scenario.authoring import is_day_key
from sim.scenario.loader import LoadedScenario
from sim.scenario.params import field_meta
from sim.scenario.paths import expand_path, get_value
from sim.scenario.uncertainty import UncertainParameter, apply

Kind = Literal["bool", "int", "float", "date", "choice", "choices"]

# The questions a planner asks, and the sections of the scenario whose values answer them.
GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Approval procedure", "How are restart applications approved, and in what order?", ("policies.approval",)),
    ("Coverage and cadres", "Which firms get a liaison or a supervisor, how many cadres, how organised?",
     ("policies.coverage", "cadres")),
    ("Loan channels", "When do the banks' channels open, and for whom?", ("policies.loans",)),
    ("Relief", "Which relief measures, how much and when?", ("policies.relief",)),
    ("Worker return", "How do workers get back to their posts?", ("policies.workforce",)),
)
UNCERTAIN = ("Uncertain capacities", "What the city does not know: the scenario's uncertainty: section "
             "(a value here applies to the what-if only).")
# A procedure or coverage policy is chosen by name from its registry: its parts are those of the one chosen.
CHOSEN_BY_NAME: dict[str, tuple[str, ...]] = {
    "policies.approval": tuple(p.model_fields["name"].default for p in PROCEDURES),
    "policies.coverage": tuple(p.model_fields["name"].default for p in COVERAGE),
}


@dataclass(frozen=True)
class Lever:
    """One control: the value at ``path`` in the base scenario, and what the planner is told about it."""

    path: str
    label: str
    kind: Kind
    value: Any  # the base's value (a date for a day parameter)
    unit: str = ""
    meaning: str = ""
    provenance: str = ""
    choices: tuple[str, ...] = ()
    uncertain: UncertainParameter | None = None  # an entry of uncertainty: (its value is set or scaled at its paths)

    def changes(self, value: Any, data: dict[str, Any]) -> dict[str, Any]:
        """The dotted changes that give this lever ``value`` in scenario ``data`` (the base's)."""
        if self.uncertain is None:
            return {self.path: value.isoformat() if isinstance(value, dt.date) else value}
        changed = apply(data, [self.uncertain], [value])
        paths = [p for declared in self.uncertain.paths for p in expand_path(declared, data)]
        return {_dotted(p): get_value(changed, p) for p in paths}

    def read(self, data: dict[str, Any], base: dict[str, Any], start: dt.date) -> Any:
        """This lever's value in scenario ``data`` (a what-if's variant), as a control shows it."""
        if self.uncertain is None:
            value = get_value(data, self.path)
            return start + dt.timedelta(days=float(value)) if self.kind == "date" else value
        first = expand_path(self.uncertain.paths[0], base)[0]
        now, was = float(get_value(data, first)), float(get_value(base, first))
        if self.uncertain.how == "scale":
            return round(now / was, 3) if was else 1.0
        return now


@dataclass(frozen=True)
class Group:
    """Levers that answer one question."""

    title: str
    question: str
    levers: list[Lever] = field(default_factory=list)


def lever_groups(loaded: LoadedScenario) -> list[Group]:
    """The base scenario's levers by question, then its uncertain capacities."""
    base = loaded.base
    groups = []
    for title, question, sections in GROUPS:
        levers: list[Lever] = []
        for section in sections:
            model = base
            for part in section.split("."):
                model = getattr(model, part)
            levers += _walk(model, section, loaded)
        groups.append(Group(title, question, levers))
    groups.append(Group(*UNCERTAIN, [_uncertain(p, loaded) for p in base.uncertainty]))
    return groups


def _walk(model: BaseModel, prefix: str, loaded: LoadedScenario) -> list[Lever]:
    out: list[Lever] = []
    for name, info in type(model).model_fields.items():
        if info.exclude:
            continue
        key = info.alias or name
        path = f"{prefix}.{key}"
        value = getattr(model, name)
        meta = field_meta(info)
        common: dict[str, Any] = {"unit": meta.get("unit", ""), "meaning": info.description or "",
                  "provenance": _provenance(path, loaded) or meta.get("provenance", "")}
        if name == "name" and prefix in CHOSEN_BY_NAME:
            common["provenance"] = common["provenance"] or "the scenario file's choice (it gives no note)"
            out.append(Lever(path, "procedure" if "approval" in prefix else "policy", "choice", value,
                             choices=CHOSEN_BY_NAME[prefix], **common))
        elif isinstance(value, BaseModel):
            if "dist" not in type(value).model_fields:  # a distribution is edited in the file, not here
                out += _walk(value, path, loaded)
        elif isinstance(value, bool):
            out.append(Lever(path, _words(key), "bool", value, **common))
        elif isinstance(value, int | float) and is_day_key(key):
            out.append(Lever(path, _words(key), "date", loaded.base.start_date + dt.timedelta(days=float(value)),
                             **common))
        elif isinstance(value, int):
            out.append(Lever(path, _words(key), "int", value, **common))
        elif isinstance(value, float):
            out.append(Lever(path, _words(key), "float", value, **common))
        elif isinstance(value, str) and _literals(info.annotation):
            out.append(Lever(path, _words(key), "choice", value, choices=_literals(info.annotation), **common))
        elif isinstance(value, list) and all(isinstance(v, str) for v in value) and _words_of(info, meta):
            out.append(Lever(path, _words(key), "choices", list(value), choices=_words_of(info, meta), **common))
        elif isinstance(value, dict) and value and all(isinstance(v, int | float) and not isinstance(v, bool)
                                                       for v in value.values()):
            for k, v in value.items():  # e.g. approval probability by size class
                out.append(Lever(f"{path}.{k}", f"{_words(key)}: {k}", "float", float(v), **common))
    return out


def _uncertain(param: UncertainParameter, loaded: LoadedScenario) -> Lever:
    data = loaded.base.model_dump(mode="json", by_alias=True)
    first = expand_path(param.paths[0], data)[0]
    scale = param.how == "scale"
    value = 1.0 if scale else float(get_value(data, first))
    unit = f"× the file's values ({param.low:g}–{param.high:g})" if scale else f"{param.unit} ({param.low:g}–{param.high:g})"
    return Lever(f"uncertainty.{param.name or param.paths[0]}", param.name or param.paths[0], "float", value,
                 unit=unit.strip(), meaning=", ".join(param.paths), provenance=param.provenance, uncertain=param)


def _provenance(path: str, loaded: LoadedScenario) -> str | None:
    """The file's note for ``path`` or the nearest section above it."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        note = loaded.provenance.get(".".join(parts[:i]))
        if note:
            return note
    return None


def _words(key: str) -> str:
    return key.replace("_", " ")


def _literals(annotation: Any) -> tuple[str, ...]:
    """The allowed words of a ``Literal[...]`` field (through Optional and Annotated), else ()."""
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return tuple(str(a) for a in typing.get_args(annotation))
    if origin is typing.Annotated:
        return _literals(typing.get_args(annotation)[0])
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        found = [w for a in typing.get_args(annotation) for w in _literals(a)]
        return tuple(found)
    return ()


def _words_of(info: Any, meta: dict[str, str]) -> tuple[str, ...]:
    """The words a list of words may hold: firm keys (a priority order, the green list), or a Literal's."""
    return FIRM_KEYS if meta.get("unit") == "keys" else _item_literals(info.annotation)


def _item_literals(annotation: Any) -> tuple[str, ...]:
    """The allowed words of the items of a ``list[Literal[...]]`` field, else ()."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _item_literals(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) is list:
        args = typing.get_args(annotation)
        return _literals(args[0]) if args else ()
    return ()


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
