"""The sweep file: which parameters vary, over what, by which design, measuring what.

A sweep file names a base scenario, the *levers* (policy choices) and the
*uncertainties* (conditions the city does not control) as dotted parameter
paths of the scenario, each with a range or a list of levels, a *design*, the
replications per point and the *outcomes* to keep::

    scenario: tieling-2020.yaml
    levers:
      cadres.liaisons.count: {low: 400, high: 1400, integer: true}
      policies.approval.name: {levels: [standard, fast_track]}
    uncertainties:
      counties[*].approval_reviewers: {low: 2, high: 6, integer: true}
    design: {name: latin_hypercube, samples: 20, seed: 1}
    replications: 3
    outcomes: [mean_restart_day, failed_share]

``[*]`` in a path sets the same value in every element of a list. Errors name
the file, line, column and dotted key, like the scenario loader's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    model_validator,
)

from sim.errors import InputError, InputProblem
from sim.scenario.messages import data_path, unknown_key_message
from sim.scenario.paths import EXAMPLES, split_path
from sim.scenario.yaml_source import YamlDocument, dotted, parse_yaml, read_text

Scalar = int | float | str | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class RangeSpec(_Strict):
    """A continuous (or whole-number) range, sampled uniformly."""

    low: float = Field(description="lowest value")
    high: float = Field(description="highest value")
    integer: bool = Field(False, description="whole numbers only (each equally likely)")

    @model_validator(mode="after")
    def _check(self) -> RangeSpec:
        if not self.low < self.high:
            raise ValueError(f"'low' ({self.low:g}) must be below 'high' ({self.high:g})")
        if self.integer and (self.low != math.floor(self.low) or self.high != math.floor(self.high)):
            raise ValueError("with 'integer: true', 'low' and 'high' must be whole numbers")
        return self


class LevelsSpec(_Strict):
    """A list of values, each equally likely in sampled designs."""

    levels: list[Scalar] = Field(min_length=2, description="the values to try (numbers, words or true/false)")

    @model_validator(mode="after")
    def _check(self) -> LevelsSpec:
        if len({repr(v) for v in self.levels}) != len(self.levels):
            raise ValueError("levels must be distinct")
        return self


def _param_kind(value: Any) -> str:
    return "levels" if isinstance(value, dict) and "levels" in value else "range"


ParamSpec = Annotated[Annotated[RangeSpec, Tag("range")] | Annotated[LevelsSpec, Tag("levels")],
                      Discriminator(_param_kind)]


class _Design(_Strict):
    seed: int | None = Field(None, ge=0, le=2**63 - 1,
                             description="seed of the design's sampler (default: the scenario's seed)")


class GridDesign(_Design):
    """Full factorial: every combination of levels."""

    name: Literal["grid"]
    levels: int = Field(3, ge=2, le=101, description="evenly spaced values per range parameter")


class RandomDesign(_Design):
    """Independent uniform draws."""

    name: Literal["random"]
    samples: int = Field(ge=1, le=1_000_000, description="points")


class LatinHypercubeDesign(_Design):
    """Latin hypercube: each parameter's range cut into ``samples`` strata, one point in each."""

    name: Literal["latin_hypercube"]
    samples: int = Field(ge=2, le=1_000_000, description="points")


class SobolDesign(_Design):
    """Saltelli's scheme for Sobol' indices: samples × (parameters + 2) points."""

    name: Literal["sobol"]
    samples: int = Field(ge=2, le=1_048_576, description="base samples N, a power of two")
    resamples: int = Field(200, ge=10, le=100_000, description="bootstrap resamples for the confidence intervals")

    @model_validator(mode="after")
    def _power_of_two(self) -> SobolDesign:
        if self.samples & (self.samples - 1):
            lower = 1 << (self.samples.bit_length() - 1)
            raise ValueError(f"'samples' must be a power of two for the Sobol' sequence, e.g. {lower} or {lower * 2}")
        return self


class MorrisDesign(_Design):
    """Morris elementary effects: samples (trajectories) × (parameters + 1) points."""

    name: Literal["morris"]
    samples: int = Field(ge=2, le=100_000, description="trajectories")
    levels: int = Field(4, ge=2, le=100, description="grid levels per parameter (even)")
    resamples: int = Field(200, ge=10, le=100_000, description="bootstrap resamples for the confidence intervals")

    @model_validator(mode="after")
    def _even(self) -> MorrisDesign:
        if self.levels % 2:
            raise ValueError("'levels' must be even so that every step has the same size")
        return self


Design = Annotated[GridDesign | RandomDesign | LatinHypercubeDesign | SobolDesign | MorrisDesign,
                   Field(discriminator="name")]
DESIGN_MODELS: dict[str, type[_Design]] = {"grid": GridDesign, "random": RandomDesign,
                                           "latin_hypercube": LatinHypercubeDesign, "sobol": SobolDesign,
                                           "morris": MorrisDesign}


class SweepFile(_Strict):
    """The sweep file as written."""

    scenario: str = Field(min_length=1, description="base scenario file, relative to the sweep file")
    description: str = Field("", max_length=10_000, description="the question the sweep answers")
    levers: dict[str, ParamSpec] = Field(default_factory=dict, description="policy choices: dotted path → range or levels")
    uncertainties: dict[str, ParamSpec] = Field(default_factory=dict,
                                                description="conditions the city does not control: dotted path → range or levels")
    design: Design
    replications: int | None = Field(None, ge=1, le=100_000,
                                     description="replications per point (default: the scenario's)")
    outcomes: list[str] = Field(min_length=1, description="summary metrics to keep")

    @model_validator(mode="after")
    def _check(self) -> SweepFile:
        if not self.levers and not self.uncertainties:
            raise ValueError("name at least one parameter under 'levers' or 'uncertainties'")
        both = sorted(set(self.levers) & set(self.uncertainties))
        if both:
            raise ValueError(f"{both} appear under both 'levers' and 'uncertainties'; name each parameter once")
        if len(set(self.outcomes)) != len(self.outcomes):
            raise ValueError("each outcome may be named once")
        return self


@dataclass(frozen=True)
class Parameter:
    """One swept parameter: where it goes in the scenario and what values it takes."""

    path: str
    group: Literal["lever", "uncertainty"]
    low: float = 0.0
    high: float = 1.0
    integer: bool = False
    levels: tuple[Scalar, ...] | None = None

    def from_unit(self, u: np.ndarray) -> list[Scalar]:
        """Map values in [0, 1] to this parameter's values (levels and integers equally likely)."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.levels is not None:
            idx = np.minimum((u * len(self.levels)).astype(int), len(self.levels) - 1)
            return [self.levels[i] for i in idx]
        if self.integer:
            lo, hi = int(self.low), int(self.high)
            return [int(v) for v in np.minimum(np.floor(lo + u * (hi - lo + 1)), hi)]
        # 12 significant digits: 0.08 stays 0.08 instead of 0.08000000000000002 in the tables
        return [float(f"{v:.12g}") for v in self.low + u * (self.high - self.low)]

    def grid(self, n: int) -> list[Scalar]:
        """Evenly spaced values for a grid design (the levels themselves for a levels parameter)."""
        if self.levels is not None:
            return list(self.levels)
        values = np.linspace(self.low, self.high, n)
        if self.integer:
            return list(dict.fromkeys(int(round(v)) for v in values))
        return [float(f"{v:.12g}") for v in values]


@dataclass
class SweepSpec:
    """A validated sweep: parameters in file order (levers first), design, outcomes."""

    file: str
    scenario_path: Path
    parameters: list[Parameter]
    design: GridDesign | RandomDesign | LatinHypercubeDesign | SobolDesign | MorrisDesign
    replications: int | None
    outcomes: list[str]
    description: str = ""
    doc: YamlDocument | None = None

    def key_of(self, path: str) -> tuple[str, ...]:
        """The path of a parameter's key in the sweep file (for error positions)."""
        for p in self.parameters:
            if p.path == path:
                return ("levers" if p.group == "lever" else "uncertainties", path)
        return ()

    def problem(self, message: str, path: str | None = None, key: str | None = None) -> InputProblem:
        """An input problem pointing at a parameter's key (or the given key) of the sweep file."""
        fpath: tuple[Any, ...] = self.key_of(path) if path else tuple(key.split(".")) if key else ()
        line, col = self.doc.position(fpath, of_key=True) if self.doc is not None and fpath else (None, None)
        return InputProblem(self.file, message, dotted(fpath) if fpath else key, line, col)


M = TypeVar("M", bound=BaseModel)


def read_spec_file(path: Path, what: str, model: type[M],
                   problem: Callable[[Any, YamlDocument], InputProblem]) -> tuple[YamlDocument, M]:
    """Read a YAML file of sweep-like form (a sweep or optimisation file) and validate it with ``model``.

    Raises InputError naming file, line and key; ``problem`` turns a pydantic error into the message.
    """
    text = read_text(path, what=what)
    doc = parse_yaml(text, str(path))
    if not isinstance(doc.data, dict):
        raise InputError.single(str(path), "the top level must be a mapping of keys to values.", line=1, column=1)
    try:
        return doc, model.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError([problem(err, doc) for err in exc.errors(include_url=False)]) from None


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file; raise InputError naming file, line and key."""
    path = Path(path)
    doc, raw = read_spec_file(path, "sweep file", SweepFile, _problem)
    params = [_parameter(p, spec, "lever") for p, spec in raw.levers.items()]
    params += [_parameter(p, spec, "uncertainty") for p, spec in raw.uncertainties.items()]
    problems = [_path_syntax_problem(doc, p) for p in params]
    if any(problems):
        raise InputError([p for p in problems if p is not None])
    scenario_path = Path(raw.scenario)
    if not scenario_path.is_absolute():
        scenario_path = path.parent / scenario_path
    if not scenario_path.is_file():
        line, col = doc.position(("scenario",))
        raise InputError([InputProblem(str(path), f"the base scenario {scenario_path} does not exist; give its path "
                                       "relative to the sweep file.", "scenario", line, col)])
    return SweepSpec(str(path), scenario_path, params, raw.design, raw.replications, list(raw.outcomes),
                     raw.description, doc)


def _parameter(path: str, spec: RangeSpec | LevelsSpec, group: Literal["lever", "uncertainty"]) -> Parameter:
    if isinstance(spec, LevelsSpec):
        return Parameter(path, group, levels=tuple(spec.levels))
    return Parameter(path, group, spec.low, spec.high, spec.integer)


def _path_syntax_problem(doc: YamlDocument, p: Parameter) -> InputProblem | None:
    if split_path(p.path) is not None:
        return None
    group = "levers" if p.group == "lever" else "uncertainties"
    line, col = doc.position((group, p.path), of_key=True)
    return InputProblem(doc.file, f"'{p.path}' is not a dotted parameter path; write e.g. {EXAMPLES}.",
                        f"{group}.{p.path}", line, col)


def _problem(err: Any, doc: YamlDocument) -> InputProblem:
    """A pydantic error on the sweep file → file:line:column, dotted key, message with the allowed keys."""
    loc = tuple(err["loc"])
    if len(loc) > 2 and loc[0] in ("levers", "uncertainties") and loc[2] in ("range", "levels"):
        loc = loc[:2] + loc[3:]  # drop the union tag of a parameter's range or levels
    path = data_path(loc, doc.data)
    kind = err["type"]
    of_key = kind == "extra_forbidden"
    line, col = doc.position(path, of_key)
    msg = str(err["msg"])
    if kind == "extra_forbidden":
        msg = unknown_key_message(str(path[-1]) if path else "", _allowed(path[:-1], doc.data))
    elif kind == "missing":
        msg = "this key is required but missing."
        if path == ("design", "name") or path == ("design",):
            msg += f" Designs: {', '.join(DESIGN_MODELS)}."
    elif kind == "union_tag_invalid":
        msg = f"unknown design {err.get('input', {}).get('name')!r}; choose one of {', '.join(DESIGN_MODELS)}."
        line, col = doc.position(path + ("name",))
    else:
        msg = msg.removeprefix("Value error, ")
        if "input" in err and not isinstance(err["input"], dict | list):
            msg += f" (got {err['input']!r})"
        msg += "."
    return InputProblem(doc.file, msg, dotted(path) or None, line, col)


def _allowed(path: tuple[Any, ...], data: Any) -> list[str]:
    """Keys allowed in the mapping at ``path`` of a sweep file."""
    model: type[BaseModel] | None = None
    if not path:
        model = SweepFile
    elif path == ("design",):
        name = data.get("design", {}).get("name") if isinstance(data.get("design"), dict) else None
        model = DESIGN_MODELS.get(str(name))
    elif len(path) == 2 and path[0] in ("levers", "uncertainties"):
        # a range or a list of levels: both forms are allowed, so both sets of keys are listed
        return [*RangeSpec.model_fields, *LevelsSpec.model_fields]
    return [f.alias or n for n, f in model.model_fields.items()] if model is not None else []
