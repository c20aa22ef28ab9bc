"""One page per module of the model, from what each module declares (sim/model/module.py).

For every class of :func:`sim.model.registry.all_modules`: its docstrings, the
scenario sections it is built from (with their parameters, from the reference),
its random streams, the per-firm columns of ``enterprises.csv`` it fills, its
summary metrics and daily series (labels, unit, direction, minimal important
difference), the hooks of a firm's life it listens to and the modules it uses.
A hand-written explanation, ``docs/_explanations/<module>.md``, goes first when
there is one; a module added to the registry gets its page at the next render.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path

from docgen import DOCS, ROOT, reference
from sim.model.module import HOOKS, Metric, Module, Series
from sim.model.records import Outcome
from sim.model.registry import MODULES, all_modules

EXPLANATIONS = DOCS / "_explanations"


@dataclass(frozen=True)
class ModuleDoc:
    name: str
    kind: str  # "mechanism" or "relief measure"
    source: str  # the file, relative to the repository
    summary: str  # the class docstring
    about: str  # the Python module's docstring
    explanation: str  # hand-written, or empty
    sections: list[tuple[str, str, list[reference.Row]]]  # (argument, scenario path, its parameters)
    streams: tuple[str, ...]
    outcomes: tuple[Outcome, ...]
    metrics: tuple[Metric, ...]
    series: tuple[Series, ...]
    hooks: list[str]
    uses: list[str]
    cuts_capacity: bool


def pages() -> list[ModuleDoc]:
    rows = [row for section in reference.sections() for row in section.rows]
    return [_doc(cls, rows) for cls in all_modules()]


def _doc(cls: type[Module], rows: list[reference.Row]) -> ModuleDoc:
    module = inspect.getmodule(cls)
    source = Path(inspect.getfile(cls)).resolve().relative_to(ROOT).as_posix()
    explanation = EXPLANATIONS / f"{cls.name}.md"
    sections = [(arg, path, [r for r in rows if _under(r.key, path)]) for arg, path in cls.SECTIONS.items()]
    connect = getattr(cls, "connect", None)
    uses = [p for p in inspect.signature(connect).parameters if p != "self"] if connect else []
    return ModuleDoc(
        name=cls.name, kind="mechanism" if cls in MODULES else "relief measure", source=source,
        summary=inspect.cleandoc(cls.__doc__ or getattr(getattr(cls, "Config", None), "__doc__", None) or ""), about=inspect.cleandoc((module.__doc__ if module else "") or ""),
        explanation=explanation.read_text(encoding="utf-8").strip() if explanation.is_file() else "",
        sections=sections, streams=cls.STREAMS, outcomes=cls.OUTCOMES, metrics=cls.METRICS, series=cls.SERIES,
        hooks=[h for h in HOOKS if getattr(cls, h) is not getattr(Module, h)], uses=uses,
        cuts_capacity=cls.CUTS_CAPACITY)


def _under(key: str, path: str) -> bool:
    """Whether a reference row belongs to a section path (``policies.approval (name: x)`` included)."""
    return key == path or key.startswith((path + ".", path + "[", path + " "))
