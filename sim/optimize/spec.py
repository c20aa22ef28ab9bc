"""The optimisation file: what the planner may decide, within which budget, judged by what.

Like a sweep file it names a base scenario; the *decisions* are integer
dotted parameter paths with bounds, the *budget* is one or more linear
constraints on them (a head-count with weight 1 per person, or a cost with a
cost per role), the *objectives* are two or more summary metrics with a
direction each, and the optional *uncertainties* are averaged over::

    scenario: tieling-2020.yaml
    decisions:
      cadres.liaisons.count: {low: 300, high: 1394, step: 2}
      cadres.supervisors.count: {low: 0, high: 1394, step: 2}
    budget:
      cadres: {limit: 1394, weights: {cadres.liaisons.count: 1, cadres.supervisors.count: 1}}
    objectives: {mean_restart_day: minimize, failed_share: minimize}
    uncertainties:
      approval.rework_probability: {levels: [0.25, 0.45]}
    search: {population: 8, generations: 4, seed: 1}
    replications: 2
    selection: {alpha: 0.05, delta: 1.0, first_stage: 10, max_replications: 40}

The first objective is the primary one (the one the selection procedure
guarantees) unless ``primary:`` names another. Errors name the file, line,
column and dotted key, like the sweep file's.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.errors import InputError, InputProblem
from sim.optimize.budget import Budget, Constraint
from sim.scenario.messages import data_path, unknown_key_message
from sim.scenario.paths import EXAMPLES, expand_path, split_path
from sim.scenario.yaml_source import YamlDocument, dotted
from sim.sweep.designs import point_count
from sim.sweep.spec import (
    DESIGN_MODELS,
    Design,
    GridDesign,
    LevelsSpec,
    Parameter,
    ParamSpec,
    RangeSpec,
    SweepSpec,
    read_spec_file,
)

Direction = Literal["minimize", "maximize"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class DecisionSpec(_Strict):
    """An integer decision: the values low, low + step, … up to high."""

    low: int = Field(description="smallest value")
    high: int = Field(description="largest value")
    step: int = Field(1, ge=1, description="spacing of the values tried")

    @model_validator(mode="after")
    def _check(self) -> DecisionSpec:
        if not self.low < self.high:
            raise ValueError(f"'low' ({self.low}) must be below 'high' ({self.high})")
        if (self.high - self.low) % self.step:
            raise ValueError(f"'high' - 'low' ({self.high - self.low}) must be a multiple of 'step' ({self.step})")
        return self


class BudgetSpec(_Strict):
    """Σ weight × value ≤ limit over the decisions named (a path with [*] counts each element it sets)."""

    limit: float = Field(gt=0, description="head-count or money available")
    weights: dict[str, float] = Field(min_length=1, description="decision path → people or cost per unit")
    unit: str = Field("people", max_length=40, description="what the limit counts (people, yuan, …)")


class SearchSpec(_Strict):
    """NSGA-II: a population of candidates per generation; then a local refinement of the primary best."""

    population: int = Field(12, ge=4, le=1000, description="candidates per generation")
    generations: int = Field(5, ge=1, le=1000, description="generations")
    seed: int | None = Field(None, ge=0, le=2**32 - 1, description="sampler seed (default: the scenario's)")
    refine: int = Field(2, ge=0, le=100, description="rounds of neighbourhood search (one step per decision, "
                                                     "or a step moved between two decisions) around the best "
                                                     "candidate of the primary objective")
    start_from_base: bool = Field(True, description="put the base scenario's own decisions in the first generation "
                                                    "(when they lie on the decisions' grid)")


class SelectionSpec(_Strict):
    """Kim–Nelson fully sequential selection of the best Pareto candidate on the primary objective."""

    alpha: float = Field(0.05, gt=0, lt=0.5, description="1 - alpha: probability of a correct selection")
    delta: float = Field(gt=0, description="indifference zone, in the primary objective's unit")
    first_stage: int = Field(10, ge=3, le=10_000, description="replications of every candidate before eliminating")
    max_replications: int = Field(60, ge=3, le=100_000, description="stop there even if several remain")
    max_candidates: int = Field(12, ge=2, le=1000, description="Pareto candidates re-run (best on the primary first)")

    @model_validator(mode="after")
    def _check(self) -> SelectionSpec:
        if self.max_replications < self.first_stage:
            raise ValueError("'max_replications' must be at least 'first_stage'")
        return self


class OptimizeFile(_Strict):
    """The optimisation file as written."""

    scenario: str = Field(min_length=1, description="base scenario file, relative to this file")
    description: str = Field("", max_length=10_000, description="the question the optimisation answers")
    decisions: dict[str, DecisionSpec] = Field(min_length=1, description="dotted path → integer bounds")
    budget: dict[str, BudgetSpec] = Field(default_factory=dict, description="name → linear budget constraint")
    objectives: dict[str, Direction] = Field(min_length=2, description="summary metric → minimize or maximize")
    primary: str | None = Field(None, description="objective guaranteed by the selection (default: the first)")
    uncertainties: dict[str, ParamSpec] = Field(default_factory=dict,
                                                description="conditions averaged over: dotted path → range or levels")
    uncertainty_design: Design | None = Field(None, description="points of the uncertainties (default: a grid "
                                                                "of their levels, 2 per range)")
    search: SearchSpec = Field(default_factory=SearchSpec)
    replications: int | None = Field(None, ge=1, le=1000, description="replications per candidate in the search")
    selection: SelectionSpec

    @model_validator(mode="after")
    def _check(self) -> OptimizeFile:
        if self.primary is not None and self.primary not in self.objectives:
            raise ValueError(f"'primary' ({self.primary}) must be one of the objectives: {', '.join(self.objectives)}")
        both = sorted(set(self.decisions) & set(self.uncertainties))
        if both:
            raise ValueError(f"{both} appear under both 'decisions' and 'uncertainties'; name each parameter once")
        return self


@dataclass(frozen=True)
class Decision:
    """One decision variable."""

    path: str
    low: int
    high: int
    step: int = 1

    def values(self) -> range:
        return range(self.low, self.high + 1, self.step)


class _PositionedSpec(SweepSpec):
    """The sweep machinery's view of an optimisation file: errors point at decisions/uncertainties keys."""

    def key_of(self, path: str) -> tuple[str, ...]:
        for p in self.parameters:
            if p.path == path:
                return ("decisions" if p.group == "lever" else "uncertainties", path)
        return ()


@dataclass
class OptimizeSpec:
    """A validated optimisation file."""

    file: str
    scenario_path: Path
    decisions: list[Decision]
    budget: Budget
    objectives: dict[str, Direction]
    primary: str
    uncertainties: list[Parameter]
    uncertainty_design: Any
    search: SearchSpec
    replications: int | None
    selection: SelectionSpec
    description: str = ""
    doc: YamlDocument | None = None
    sweep: SweepSpec = field(init=False)

    def __post_init__(self) -> None:
        # decisions become sweep "levers", so the sweep's ScenarioModel builds and checks each candidate
        params = [Parameter(d.path, "lever", d.low, d.high, True) for d in self.decisions] + self.uncertainties
        self.sweep = _PositionedSpec(self.file, self.scenario_path, params, self.uncertainty_design,
                                     self.replications, list(self.objectives), self.description, self.doc)

    def problem(self, message: str, key: tuple[Any, ...]) -> InputProblem:
        line, col = self.doc.position(key, of_key=True) if self.doc is not None else (None, None)
        return InputProblem(self.file, message, dotted(key), line, col)


def load_optimize(path: str | Path) -> OptimizeSpec:
    """Read and validate an optimisation file; raise InputError naming file, line and key."""
    path = Path(path)
    doc, raw = read_spec_file(path, "optimisation file", OptimizeFile, _problem)
    problems: list[InputProblem] = []

    def at(message: str, *key: Any) -> None:
        line, col = doc.position(key, of_key=True)
        problems.append(InputProblem(str(path), message, dotted(key), line, col))

    for group, names in (("decisions", raw.decisions), ("uncertainties", raw.uncertainties)):
        for name in names:
            if split_path(name) is None:
                at(f"'{name}' is not a dotted parameter path; write e.g. {EXAMPLES}.", group, name)
    constraints = []
    for name, b in raw.budget.items():
        for w in b.weights:
            if w not in raw.decisions:
                at(f"'{w}' is not one of the decisions ({', '.join(raw.decisions)}); a budget weighs decisions.",
                   "budget", name, "weights", w)
        constraints.append(Constraint(name, b.limit, dict(b.weights), b.unit))
    if problems:
        raise InputError(problems)
    decisions = [Decision(p, d.low, d.high, d.step) for p, d in raw.decisions.items()]
    uncertainties = [Parameter(p, "uncertainty", levels=tuple(s.levels)) if isinstance(s, LevelsSpec)
                     else Parameter(p, "uncertainty", s.low, s.high, s.integer) for p, s in raw.uncertainties.items()]
    design = raw.uncertainty_design or GridDesign(name="grid", levels=2)
    if uncertainties and point_count(uncertainties, design) > 64:
        at(f"the uncertainties make {point_count(uncertainties, design)} points per candidate; at most 64 (each "
           "costs a run per replication). Use fewer levels or a latin_hypercube with fewer samples.",
           "uncertainty_design" if raw.uncertainty_design else "uncertainties")
        raise InputError(problems)
    scenario_path = Path(raw.scenario)
    if not scenario_path.is_absolute():
        scenario_path = path.parent / scenario_path
    if not scenario_path.is_file():
        line, col = doc.position(("scenario",))
        raise InputError([InputProblem(str(path), f"the base scenario {scenario_path} does not exist; give its path "
                                       "relative to the optimisation file.", "scenario", line, col)])
    return OptimizeSpec(str(path), scenario_path, decisions, Budget(constraints), dict(raw.objectives),
                        raw.primary or next(iter(raw.objectives)), uncertainties, design, raw.search,
                        raw.replications, raw.selection, raw.description, doc)


def check_against(spec: OptimizeSpec, outcomes: Collection[str], base: dict[str, Any] | None) -> None:
    """What the file can only be checked against its model: objectives the model reports, and budgets
    the decisions can meet at their lowest (``base``: the base scenario's data, which says how many
    values a decision path with ``[*]`` sets; the budget is bound to those counts)."""
    known = list(outcomes)
    problems = []
    for name in spec.objectives:
        if name not in known:
            hint = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            problems.append(spec.problem(f"unknown objective '{name}'." + (f" Did you mean '{hint[0]}'?" if hint
                                         else "") + f" Objectives are summary.csv columns: {', '.join(known)}.",
                                         ("objectives", name)))
    if problems:
        raise InputError(problems)
    spec.budget.bind({d.path: _count(d.path, base) for d in spec.decisions})
    lows = {d.path: float(d.low) for d in spec.decisions}
    highs = {d.path: float(d.high) for d in spec.decisions}
    for c in spec.budget.constraints:
        least = spec.budget.cheapest(c, lows, highs)
        if least > c.limit + 1e-9:
            problems.append(spec.problem(
                f"the budget '{c.name}' cannot be met: the decisions at their lowest already use {least:g} "
                f"{c.unit} (limit {c.limit:g}). Lower the decisions' 'low' bounds or raise the limit.",
                ("budget", c.name, "limit")))
    if problems:
        raise InputError(problems)


def _count(path: str, data: dict[str, Any] | None) -> int:
    """How many scenario values a decision path sets (errors about the path come from the model)."""
    if data is None:
        return 1
    try:
        return max(1, len(expand_path(path, data)))
    except ValueError:
        return 1


MODELS: dict[str, type[BaseModel]] = {
    "": OptimizeFile, "search": SearchSpec, "selection": SelectionSpec,
}


def _problem(err: Any, doc: YamlDocument) -> InputProblem:
    """A pydantic error → file:line:column, dotted key, message with the allowed keys."""
    loc = tuple(err["loc"])
    if len(loc) > 2 and loc[0] == "uncertainties" and loc[2] in ("range", "levels"):
        loc = loc[:2] + loc[3:]  # drop the union tag of a range or levels
    path = data_path(loc, doc.data)
    kind = err["type"]
    of_key = kind == "extra_forbidden"
    line, col = doc.position(path, of_key)
    msg = str(err["msg"])
    if kind == "extra_forbidden":
        msg = unknown_key_message(str(path[-1]) if path else "", _allowed(path[:-1], doc.data))
    elif kind == "missing":
        msg = "this key is required but missing."
    elif kind == "literal_error" and path and path[0] == "objectives":
        msg = f"the direction must be minimize or maximize (got {err.get('input')!r})."
    elif kind == "union_tag_invalid":
        msg = f"unknown design {err.get('input', {}).get('name')!r}; choose one of {', '.join(DESIGN_MODELS)}."
    else:
        msg = msg.removeprefix("Value error, ")
        if "input" in err and not isinstance(err["input"], dict | list):
            msg += f" (got {err['input']!r})"
        msg += "."
    return InputProblem(doc.file, msg, dotted(path) or None, line, col)


def _allowed(path: tuple[Any, ...], data: Any) -> list[str]:
    model: type[BaseModel] | None = None
    if len(path) <= 1:
        model = MODELS.get(str(path[0]) if path else "")
    elif path[0] == "decisions" and len(path) == 2:
        model = DecisionSpec
    elif path[0] == "budget" and len(path) == 2:
        model = BudgetSpec
    elif path[0] == "uncertainties" and len(path) == 2:
        value = data.get("uncertainties", {}).get(path[1])
        model = LevelsSpec if isinstance(value, dict) and "levels" in value else RangeSpec
    return [n for n in model.model_fields] if model is not None else []
