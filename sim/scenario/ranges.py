"""A parameter with a range: the one declaration behind every place that varies the scenario.

Sweep levers and uncertainties, optimisation decisions, the scenario's
``uncertainty:`` section and ``calibrate --fit PATH=LOW:HIGH`` all declare a
:class:`Parameter`: dotted paths into the scenario (:mod:`sim.scenario.paths`),
its values — a range from ``low`` to ``high`` (whole numbers, on a ``step``,
or not) or a list of ``levels`` —, how a value applies (``set`` it, or
``scale`` the value found there), its unit and where the range comes from.
A parameter checks its own bounds when it is built; the places that list
parameters narrow what they allow (a decision takes whole numbers, the
``uncertainty:`` section numbers with a provenance) by subclassing
:class:`Range`. A field's declared ``plausible_range`` (:func:`sim.scenario.params.param`)
is read as a parameter too (:func:`plausible_parameters`).

Where a parameter is keyed by its path (``levers: {cadres.liaisons.count: {low: 300, high: 1500}}``)
the file holds its :class:`Range` and :meth:`Range.at` makes the parameter.

Every sampler maps points of the unit interval onto a parameter's values with
:meth:`Parameter.from_unit` (:mod:`sim.experiment.designs`); :func:`resolve`
binds parameters to a scenario's data (every path must name values there, no
value may be set by two parameters), and a :class:`Binding` sets a value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.fields import FieldInfo

from sim.scenario.params import PROVENANCE_KINDS, field_meta, plausible_range
from sim.scenario.paths import EXAMPLES, expand_path, get_value, set_value, split_path
from sim.scenario.yaml_source import Path_, dotted

Scalar = int | float | str | bool
How = Literal["set", "scale"]
Group = Literal["lever", "uncertainty"]

VALUE_UNIT = "the unit of the parameters at the paths, or a factor with how: scale"


def field_extra(unit: str) -> dict[str, Any]:
    """Unit and provenance of a field of a parameter's declaration (for the JSON Schema)."""
    return {"unit": unit, "provenance": "the parameter's own provenance"}


def _path_syntax(path: str) -> str:
    if split_path(path) is None:
        raise ValueError(f"'{path}' is not a dotted parameter path; write e.g. {EXAMPLES}")
    return path


# A dotted path into the scenario, checked for its syntax ([*] allowed); whether it names values of a
# given scenario is checked by resolve().
ParameterPath = Annotated[str, AfterValidator(_path_syntax)]


def provenance_problem(text: str) -> str | None:
    """Why ``text`` is not a provenance note (None when it is one)."""
    kind, _, rest = text.partition(":")
    if kind.strip() in PROVENANCE_KINDS and rest.strip():
        return None
    return (f"a provenance note starts with one of {', '.join(k + ':' for k in PROVENANCE_KINDS)} and says where "
            "the range comes from (e.g. 'assumption: …')")


class Range(BaseModel):
    """The values of a parameter and how they apply: ``low`` to ``high``, or ``levels``.

    A range draws uniformly; with ``integer: true`` whole numbers (each equally likely), spaced
    by ``step``; levels are equally likely. ``how: scale`` multiplies the value found at each path
    instead of replacing it (a whole-number value is rounded, and kept at least 1).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    low: float | None = Field(None, description="lowest value (a factor, with how: scale)",
                              json_schema_extra=field_extra(VALUE_UNIT))
    high: float | None = Field(None, description="highest value (a factor, with how: scale)",
                               json_schema_extra=field_extra(VALUE_UNIT))
    integer: bool = Field(False, description="whole numbers only, each equally likely",
                          json_schema_extra=field_extra("true or false"))
    step: int | None = Field(None, ge=1, description="with whole numbers: their spacing (low, low + step, … high)",
                             json_schema_extra=field_extra("the unit of low and high"))
    levels: list[Scalar] | None = Field(None, min_length=2, description="the values to try instead of a range "
                                        "(numbers, words or true/false), each equally likely",
                                        json_schema_extra=field_extra(VALUE_UNIT))
    how: How = Field("set", description="set: the value replaces the values at the paths; scale: it multiplies "
                                        "them", json_schema_extra=field_extra("set or scale"))
    unit: str = Field("", max_length=80, description="unit of low, high or the levels (for tables and reports)",
                      json_schema_extra=field_extra("text"))
    provenance: str = Field("", description="where the range comes from: source:, literature:, policy:, "
                                            "calibrated: or assumption: …")

    @field_validator("provenance")
    @classmethod
    def _provenance(cls, value: str) -> str:
        problem = provenance_problem(value) if value else None
        if problem is not None:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _bounds(self) -> Range:
        low, high = self.low, self.high
        if self.levels is not None:
            if low is not None or high is not None:
                raise ValueError("give either a range ('low' and 'high') or 'levels', not both")
            if self.integer or self.step is not None:
                raise ValueError("'integer' and 'step' apply to a range ('low' and 'high'), not to levels")
            if len({repr(v) for v in self.levels}) != len(self.levels):
                raise ValueError("levels must be distinct")
            if self.how == "scale" and not all(isinstance(v, int | float) and not isinstance(v, bool) and v > 0
                                               for v in self.levels):
                raise ValueError("with how: scale, every level is a factor above 0")
            return self
        if low is None or high is None:
            raise ValueError(f"'{'low' if low is None else 'high'}' is missing: give a range ('low' and 'high') or "
                             "a list of 'levels'")
        if not low < high:
            raise ValueError(f"'low' ({low:g}) must be below 'high' ({high:g})")
        if self.how == "scale" and low <= 0:
            raise ValueError("a scale factor must be above 0 ('low')")
        if self.how == "scale" and (self.integer or self.step is not None):
            raise ValueError("'integer' and 'step' apply to how: set; a scaled whole-number field is rounded anyway")
        if self.step is not None and not self.integer:
            raise ValueError("'step' spaces whole numbers: add 'integer: true'")
        if self.integer and (low != math.floor(low) or high != math.floor(high)):
            raise ValueError("'low' and 'high' must be whole numbers, since the parameter takes whole numbers")
        if self.step is not None and (high - low) % self.step:
            raise ValueError(f"'high' - 'low' ({high - low:g}) must be a multiple of 'step' ({self.step})")
        return self

    def at(self, path: str, group: Group) -> Parameter:
        """The parameter this range declares at ``path`` (a section keyed by path)."""
        return Parameter.model_validate({**self.model_dump(), "paths": [path], "group": group})


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Parameter(Range):
    """A range at one or more dotted paths of the scenario (all get the same value).

    ``group``: a lever (a policy choice) or an uncertainty (what the city does not control);
    ``name``: a short label (default: the first path).
    """

    name: str = Field("", max_length=80, description="short label (default: the first path)")
    paths: list[ParameterPath] = Field(min_length=1, description="dotted paths the value is applied to, e.g. "
                                                                 "counties[*].inspectors; all get the same value")
    group: Group = Field("uncertainty", description="lever: a policy choice; uncertainty: a condition the city does "
                                                    "not control", json_schema_extra=field_extra("lever or uncertainty"))

    # the order of a dump (a resolved scenario lists its parameters as a planner writes them)
    DUMP_ORDER: ClassVar[tuple[str, ...]] = ("name", "paths", "group", "how", "low", "high", "integer", "step",
                                             "levels", "unit", "provenance")

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """The keys a planner would write: a range's unused keys (levels, step, unit …) are left out."""
        full = handler(self)
        unused = {"levels": None, "step": None, "low": None, "high": None, "unit": ""}
        return {k: full[k] for k in self.DUMP_ORDER if k in full and not (k in unused and full[k] == unused[k])}

    @property
    def label(self) -> str:
        """The parameter's name in tables: its ``name``, else its first path."""
        return self.name or self.paths[0]

    def count(self) -> int | None:
        """How many values a whole-number range or levels hold (None for a continuous range)."""
        if self.levels is not None:
            return len(self.levels)
        if self.integer:
            assert self.low is not None and self.high is not None
            return int(self.high - self.low) // (self.step or 1) + 1
        return None

    def values(self) -> list[Scalar]:
        """Every value of a whole-number range or of levels (ValueError for a continuous range)."""
        if self.levels is not None:
            return list(self.levels)
        if not self.integer:
            raise ValueError(f"'{self.label}' is a continuous range; it has no list of values")
        assert self.low is not None and self.high is not None
        return list(range(int(self.low), int(self.high) + 1, self.step or 1))

    def from_unit(self, u: np.ndarray, digits: int | None = None) -> list[Scalar]:
        """The values at points ``u`` of [0, 1] (clipped): uniform over the range, whole numbers and levels
        equally likely. ``digits``: round a continuous value to that many significant digits (0.08 stays
        0.08 instead of 0.08000000000000002)."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        n = self.count()
        if self.levels is not None:
            assert n is not None
            idx = np.minimum((u * n).astype(int), n - 1)
            return [self.levels[i] for i in idx]
        assert self.low is not None and self.high is not None
        if n is not None:
            # floor(low + u·n) − low: the index of the whole number (low is whole, so for step 1 the value
            # is floor(low + u·n) itself)
            idx = np.minimum(np.floor(self.low + u * n) - self.low, n - 1)
            return [int(self.low + i * (self.step or 1)) for i in idx]
        values = self.low + u * (self.high - self.low)
        return [float(f"{v:.{digits}g}") for v in values] if digits else [float(v) for v in values]

    def grid(self, n: int, digits: int | None = None) -> list[Scalar]:
        """``n`` evenly spaced values for a grid design (whole numbers rounded onto their step and kept once;
        the levels themselves for levels)."""
        if self.levels is not None:
            return list(self.levels)
        assert self.low is not None and self.high is not None
        values = np.linspace(self.low, self.high, n)
        if self.integer:
            step = self.step or 1
            # onto the step from low; with step 1 the nearest whole number (an exact half rounds to even)
            return list(dict.fromkeys(int(round(v)) if step == 1 else int(self.low + step * round((v - self.low) / step))
                                      for v in values))
        return [float(f"{v:.{digits}g}") for v in values] if digits else [float(v) for v in values]


# -- binding parameters to a scenario ------------------------------------------------------------------


@dataclass(frozen=True)
class Binding:
    """A parameter bound to scenario data: the places each of its paths names there, and their values."""

    parameter: Parameter
    places: tuple[Path_, ...]  # every concrete place, all paths together
    found: tuple[Any, ...]  # the value at each place in the data it was bound to
    path_of: tuple[int, ...]  # which of the parameter's paths names each place

    @property
    def dotted(self) -> tuple[str, ...]:
        """The concrete places as dotted paths (``counties[0].approval_reviewers``)."""
        return tuple(dotted(p) for p in self.places)

    @property
    def whole(self) -> bool:
        """Every place holds a whole number (so a fitted value is rounded)."""
        return bool(self.found) and all(_whole(v) for v in self.found)

    def whole_at(self, j: int) -> list[int]:
        """The whole numbers found at the places of the parameter's path ``j``."""
        return [v for v, k in zip(self.found, self.path_of, strict=True) if k == j and _whole(v)]

    @property
    def start(self) -> float:
        """The mean of the numbers found (where a fit starts from; NaN where every place is empty)."""
        numbers = [v for v in self.found if _number(v)]
        return float(np.mean(numbers)) if numbers else math.nan

    def apply(self, data: Any, value: Scalar) -> None:
        """Set (or scale) the value at every place of ``data`` (a whole float at a whole number becomes int)."""
        how = self.parameter.how
        for place in self.places:
            old = get_value(data, place)
            whole_there = _whole(old)
            if how == "scale":
                assert _number(value)
                new: Any = old * value
                if whole_there:
                    new = max(1, int(round(new))) if old >= 1 else int(round(new))
            elif whole_there and isinstance(value, float) and value.is_integer():
                new = int(value)
            else:
                new = value
            set_value(data, place, new)


Issue = tuple[int, int, str]  # (parameter, path of that parameter, what is wrong)


def resolve(parameters: Sequence[Parameter], data: Any) -> tuple[list[Binding], list[Issue]]:
    """Bind ``parameters`` to scenario data; the issues say, per parameter and path, what does not fit.

    Every path must name values that exist (ValueError text of :func:`expand_path`, with a "did
    you mean"), a range (low to high) must name numbers (or, with how: set, an optional number left
    empty), and no value may be set by two parameters.
    The bindings are complete only when there are no issues.
    """
    bindings: list[Binding] = []
    issues: list[Issue] = []
    owner: dict[Path_, str] = {}
    for i, p in enumerate(parameters):
        places: list[Path_] = []
        path_of: list[int] = []
        for j, path in enumerate(p.paths):
            try:
                found = expand_path(path, data)
            except ValueError as exc:
                issues.append((i, j, str(exc)))
                continue
            if not found:
                issues.append((i, j, f"'{path}' names no value (the list is empty)"))
            for place in found:
                value = get_value(data, place)
                empty_to_set = value is None and p.how == "set"  # an optional number left empty
                if p.levels is None and not _number(value) and not empty_to_set:
                    hint = f", e.g. {path}.mean: a distribution's numbers are its fields" \
                        if isinstance(value, dict) and "dist" in value else ""
                    issues.append((i, j, f"'{path}' names a value that is not a number ({value!r}); a range "
                                          f"(low to high) needs numbers there{hint}"))
                    break
                if place in owner:
                    issues.append((i, j, f"'{path}' sets {dotted(place)}, which '{owner[place]}' already sets; "
                                          "each scenario value may be set by one parameter"))
                    break
                owner[place] = p.label
                places.append(place)
                path_of.append(j)
        bindings.append(Binding(p, tuple(places), tuple(get_value(data, q) for q in places), tuple(path_of)))
    return bindings, issues


def apply_values(data: Any, bindings: Sequence[Binding], values: Sequence[Scalar]) -> None:
    """Set each binding's value in ``data`` (in place)."""
    for binding, value in zip(bindings, values, strict=True):
        binding.apply(data, value)


# -- declared plausible ranges -------------------------------------------------------------------------


def plausible_parameters(model: BaseModel, prefix: str = "") -> list[Parameter]:
    """The parameters a scenario's fields declare with a ``plausible_range`` (values nobody published).

    Each is a range at the field's dotted path (``counties[*].approval_reviewers`` when every element of
    a list declares it), with the field's unit and provenance; whole numbers for a whole-number field.
    """
    found: dict[str, Parameter] = {}

    def visit(node: Any, path: str, generic: str) -> None:
        if isinstance(node, BaseModel):
            for name, info in type(node).model_fields.items():
                key = info.alias or name
                here, general = (f"{path}.{key}", f"{generic}.{key}") if path else (key, key)
                value = getattr(node, name)
                rng = plausible_range(info)
                if rng is not None:
                    found.setdefault(general, _plausible(general, rng, info, value))
                visit(value, here, general)
        elif isinstance(node, list):
            for i, item in enumerate(node):
                visit(item, f"{path}[{i}]", f"{generic}[*]")
        elif isinstance(node, dict):
            for k, item in node.items():
                visit(item, f"{path}.{k}", f"{generic}.{k}")

    visit(model, prefix, prefix)
    return list(found.values())


def _plausible(path: str, rng: tuple[float, float], info: FieldInfo, value: Any) -> Parameter:
    meta = field_meta(info)
    whole = isinstance(value, int) and not isinstance(value, bool)
    return Parameter(paths=[path], low=rng[0], high=rng[1], integer=whole, unit=meta.get("unit", ""),
                     provenance=meta.get("provenance", "assumption: a plausible range"))
