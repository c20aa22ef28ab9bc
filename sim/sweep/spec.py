"""The sweep file: which parameters vary, over what, by which design, measuring what.

A sweep file names a base scenario, the *levers* (policy choices) and the
*uncertainties* (conditions the city does not control) as dotted parameter
paths of the scenario, each with a range or a list of levels (a
:class:`~sim.scenario.ranges.Range`: ``how: scale``, ``step``, ``unit`` and
``provenance`` may be given too), a *design* (:mod:`sim.experiment.designs`),
the replications per point and the *outcomes* to keep::

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
the file, line, column and dotted key, like the scenario loader's
(:mod:`sim.scenario.messages`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.errors import InputError, InputProblem
from sim.experiment.designs import AnyDesign, Design
from sim.scenario.messages import read_validated
from sim.scenario.ranges import Group, Parameter, ParameterPath, Range
from sim.scenario.yaml_source import YamlDocument, dotted

GROUPS: dict[Group, str] = {"lever": "levers", "uncertainty": "uncertainties"}  # group → its section


class SweepFile(BaseModel):
    """The sweep file as written."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    scenario: str = Field(min_length=1, description="base scenario file, relative to the sweep file")
    description: str = Field("", max_length=10_000, description="the question the sweep answers")
    levers: dict[ParameterPath, Range] = Field(default_factory=dict,
                                               description="policy choices: dotted path → range or levels")
    uncertainties: dict[ParameterPath, Range] = Field(default_factory=dict, description="conditions the city does "
                                                      "not control: dotted path → range or levels")
    design: Design = Field(description="which points to run: grid, random, latin_hypercube, sobol or morris")
    replications: int | None = Field(None, ge=1, le=100_000,
                                     description="replications per point (default: the scenario's)")
    outcomes: list[str] = Field(min_length=1, description="summary metrics to keep")

    @model_validator(mode="after")
    def _check(self) -> SweepFile:
        if not self.levers and not self.uncertainties:
            raise ValueError("name at least one parameter under 'levers' or 'uncertainties'")
        if len(set(self.outcomes)) != len(self.outcomes):
            raise ValueError("each outcome may be named once")
        return self


@dataclass
class SweepSpec:
    """A validated sweep: parameters in file order (levers first), design, outcomes.

    ``sections``: the file's section of each group (a sweep's ``levers``; an optimisation file's
    ``decisions``), for error positions.
    """

    file: str
    scenario_path: Path
    parameters: list[Parameter]
    design: AnyDesign
    replications: int | None
    outcomes: list[str]
    description: str = ""
    doc: YamlDocument | None = None
    sections: dict[Group, str] | None = None

    def key_of(self, label: str) -> tuple[str, ...]:
        """The path of a parameter's key in the file (for error positions)."""
        for p in self.parameters:
            if p.label == label:
                return ((self.sections or GROUPS)[p.group], label)
        return ()

    def problem(self, message: str, path: str | None = None, key: str | None = None) -> InputProblem:
        """An input problem pointing at a parameter's key (or the given key) of the file."""
        fpath: tuple[Any, ...] = self.key_of(path) if path else tuple(key.split(".")) if key else ()
        return positioned(self.file, self.doc, message, fpath, of_key=True)


def positioned(file: str, doc: YamlDocument | None, message: str, key: tuple[Any, ...],
               of_key: bool = False) -> InputProblem:
    """An input problem at ``key`` of a file (line and column when the file was read)."""
    line, col = doc.position(key, of_key) if doc is not None and key else (None, None)
    return InputProblem(file, message, dotted(key) if key else None, line, col)


def keyed_parameters(doc: YamlDocument, sections: Mapping[Group, tuple[str, Mapping[str, Range]]]) -> list[Parameter]:
    """The parameters of sections keyed by path, in file order; a path under two sections is refused."""
    params = [r.at(path, group) for group, (_, ranges) in sections.items() for path, r in ranges.items()]
    seen: dict[str, str] = {}
    problems = []
    for name, ranges in sections.values():
        for path in ranges:
            if path in seen:
                problems.append(positioned(doc.file, doc, f"'{path}' appears under both '{seen[path]}' and "
                                           f"'{name}'; name each parameter once.", (name, path), of_key=True))
            seen[path] = name
    if problems:
        raise InputError(problems)
    return params


def base_scenario(path: Path, doc: YamlDocument, name: str, what: str) -> Path:
    """The base scenario a sweep or optimisation file names, relative to the file; InputError if missing."""
    scenario_path = Path(name)
    if not scenario_path.is_absolute():
        scenario_path = path.parent / scenario_path
    if not scenario_path.is_file():
        raise InputError([positioned(str(path), doc, f"the base scenario {scenario_path} does not exist; give its "
                                     f"path relative to the {what}.", ("scenario",))])
    return scenario_path


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file; raise InputError naming file, line and key."""
    path = Path(path)
    doc, raw = read_validated(path, "sweep file", SweepFile)
    params = keyed_parameters(doc, {"lever": ("levers", raw.levers),
                                    "uncertainty": ("uncertainties", raw.uncertainties)})
    scenario_path = base_scenario(path, doc, raw.scenario, "sweep file")
    return SweepSpec(str(path), scenario_path, params, raw.design, raw.replications, list(raw.outcomes),
                     raw.description, doc)
