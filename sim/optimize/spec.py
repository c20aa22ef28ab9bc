"""The optimisation file: what the planner may decide, within which budget, judged by what.

Like a sweep file it names a base scenario; the *decisions* are whole-number
dotted parameter paths with bounds (a :class:`~sim.scenario.ranges.Range` that
takes whole numbers), the *budget* is one or more linear
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
from sim.experiment.designs import AnyDesign, Design, GridDesign, point_count
from sim.optimize.budget import Budget, Constraint
from sim.scenario.messages import read_validated
from sim.scenario.paths import expand_path
from sim.scenario.ranges import Group, Parameter, ParameterPath, Range
from sim.scenario.yaml_source import YamlDocument
from sim.sweep.spec import SweepSpec, base_scenario, keyed_parameters, positioned

Direction = Literal["minimize", "maximize"]
DECISION_SECTIONS: dict[Group, str] = {"lever": "decisions", "uncertainty": "uncertainties"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class DecisionRange(Range):
    """A decision: the whole numbers low, low + step, … up to high, set at its path."""

    integer: bool = Field(True, description="a decision takes whole numbers", json_schema_extra={
        "unit": "true", "provenance": "the optimisation file"})

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("levels" in data or data.get("integer") is False or
                                       data.get("how", "set") != "set"):
            raise ValueError("a decision takes whole numbers from 'low' to 'high' (on a 'step'), set at its path; "
                             "levels, fractions and how: scale are for uncertainties")
        return data


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
    initial: Literal["random", "latin_hypercube"] = Field(
        "random", description="the rest of the first generation: NSGA-II's own random draws, or a Latin hypercube "
                              "over the decisions drawn by the sweeps' sampler from the search seed")


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
    decisions: dict[ParameterPath, DecisionRange] = Field(min_length=1, description="dotted path → whole-number "
                                                          "bounds and step")
    budget: dict[str, BudgetSpec] = Field(default_factory=dict, description="name → linear budget constraint")
    objectives: dict[str, Direction] = Field(min_length=2, description="summary metric → minimize or maximize")
    primary: str | None = Field(None, description="objective guaranteed by the selection (default: the first)")
    uncertainties: dict[ParameterPath, Range] = Field(default_factory=dict, description="conditions averaged "
                                                      "over: dotted path → range or levels")
    uncertainty_design: Design | None = Field(None, description="points of the uncertainties (default: a grid "
                                                                "of their levels, 2 per range)")
    search: SearchSpec = Field(default_factory=SearchSpec)
    replications: int | None = Field(None, ge=1, le=1000, description="replications per candidate in the search")
    selection: SelectionSpec

    @model_validator(mode="after")
    def _check(self) -> OptimizeFile:
        if self.primary is not None and self.primary not in self.objectives:
            raise ValueError(f"'primary' ({self.primary}) must be one of the objectives: {', '.join(self.objectives)}")
        return self


@dataclass
class OptimizeSpec:
    """A validated optimisation file."""

    file: str
    scenario_path: Path
    decisions: list[Parameter]
    budget: Budget
    objectives: dict[str, Direction]
    primary: str
    uncertainties: list[Parameter]
    uncertainty_design: AnyDesign
    search: SearchSpec
    replications: int | None
    selection: SelectionSpec
    description: str = ""
    doc: YamlDocument | None = None
    sweep: SweepSpec = field(init=False)

    def __post_init__(self) -> None:
        # decisions are "levers" of a sweep, so the sweep's ScenarioModel builds and checks each candidate
        self.sweep = SweepSpec(self.file, self.scenario_path, self.decisions + self.uncertainties,
                               self.uncertainty_design, self.replications, list(self.objectives), self.description,
                               self.doc, DECISION_SECTIONS)

    def problem(self, message: str, key: tuple[Any, ...]) -> InputProblem:
        return positioned(self.file, self.doc, message, key, of_key=True)


def load_optimize(path: str | Path) -> OptimizeSpec:
    """Read and validate an optimisation file; raise InputError naming file, line and key."""
    path = Path(path)
    doc, raw = read_validated(path, "optimisation file", OptimizeFile)
    params = keyed_parameters(doc, {"lever": ("decisions", raw.decisions),
                                    "uncertainty": ("uncertainties", raw.uncertainties)})
    decisions, uncertainties = params[:len(raw.decisions)], params[len(raw.decisions):]
    problems: list[InputProblem] = []
    constraints = []
    for name, b in raw.budget.items():
        for w in b.weights:
            if w not in raw.decisions:
                problems.append(positioned(str(path), doc, f"'{w}' is not one of the decisions "
                                           f"({', '.join(raw.decisions)}); a budget weighs decisions.",
                                           ("budget", name, "weights", w), of_key=True))
        constraints.append(Constraint(name, b.limit, dict(b.weights), b.unit))
    design = raw.uncertainty_design or GridDesign(name="grid", levels=2)
    if uncertainties and point_count(uncertainties, design) > 64:
        problems.append(positioned(str(path), doc, f"the uncertainties make {point_count(uncertainties, design)} "
                                   "points per candidate; at most 64 (each costs a run per replication). Use fewer "
                                   "levels or a latin_hypercube with fewer samples.",
                                   ("uncertainty_design" if raw.uncertainty_design else "uncertainties",),
                                   of_key=True))
    if problems:
        raise InputError(problems)
    scenario_path = base_scenario(path, doc, raw.scenario, "optimisation file")
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
    spec.budget.bind({d.label: _count(d.label, base) for d in spec.decisions})
    lows = {d.label: float(d.low or 0) for d in spec.decisions}
    highs = {d.label: float(d.high or 0) for d in spec.decisions}
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
