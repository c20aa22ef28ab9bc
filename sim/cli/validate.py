"""``python -m sim validate FILE``: check a scenario, sweep or optimisation file as its command would."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.arguments import command_parser
from sim.scenario.loader import load_scenario
from sim.scenario.yaml_source import parse_yaml, read_text

# Keys only a sweep or an optimisation file has at its top level (a scenario file has none of them).
SWEEP_KEYS = ("levers", "uncertainties", "design", "outcomes")
OPTIMISATION_KEYS = ("decisions", "objectives", "budget")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = command_parser(sub, "validate",
                       description="Check a scenario file (YAML syntax, keys, types, ranges, variants, the decision: "
                                   "section's metrics, the uncertainty: section's paths, types and ranges), a sweep "
                                   "file (its design, ranges and the parameter paths in its base scenario) or an "
                                   "optimisation file (its decisions, budgets, objectives, search and selection, "
                                   "against its base scenario). Prints every problem with file:line:column and the "
                                   "dotted key.")
    p.add_argument("file", help="scenario, sweep or optimisation YAML file")
    p.set_defaults(handler=main)


def file_kind(path: Path) -> str:
    """'optimisation', 'sweep' or 'scenario': a file naming a base ``scenario:`` and decisions or objectives
    is an optimisation file; one naming it and levers, uncertainties, a design or outcomes, a sweep file."""
    doc = parse_yaml(read_text(path), str(path))
    if not isinstance(doc.data, dict) or "scenario" not in doc.data:
        return "scenario"
    if any(k in doc.data for k in OPTIMISATION_KEYS):
        return "optimisation"
    return "sweep" if any(k in doc.data for k in SWEEP_KEYS) else "scenario"


def main(args: argparse.Namespace) -> int:
    path = Path(args.file)
    kind = file_kind(path)
    if kind == "sweep":
        return _validate_sweep(path)
    if kind == "optimisation":
        return _validate_optimisation(path)
    loaded = load_scenario(path)
    for note in loaded.notices:
        print(f"{args.file}: note: {note}", file=sys.stderr)
    names = ", ".join(name for name, _ in loaded.all_variants())
    n = sum(s.count for s in loaded.base.population.strata) if loaded.base.population.csv is None else "CSV"
    print(f"{args.file}: valid. Scenario '{loaded.base.name}', variants: {names}; "
          f"enterprises: {n}; horizon {loaded.base.horizon_days:g} days.")
    return 0


def _validate_sweep(path: Path) -> int:
    from sim.sweep.run import ScenarioModel, check_outcomes
    from sim.sweep.spec import load_sweep

    spec = load_sweep(path)
    loaded = load_scenario(spec.scenario_path)
    model = ScenarioModel(loaded.base, spec)  # every swept path exists in the base scenario
    check_outcomes(spec, model)
    groups = {g: [p.label for p in spec.parameters if p.group == g] for g in ("lever", "uncertainty")}
    print(f"{path}: valid sweep file. Base scenario {spec.scenario_path}; levers: "
          f"{', '.join(groups['lever']) or 'none'}; uncertainties: {', '.join(groups['uncertainty']) or 'none'}; "
          f"design: {spec.design.name}; outcomes: {', '.join(spec.outcomes)}.")
    return 0


def _validate_optimisation(path: Path) -> int:
    from sim.optimize.spec import check_against, load_optimize
    from sim.sweep.run import ScenarioModel

    spec = load_optimize(path)
    loaded = load_scenario(spec.scenario_path)
    model = ScenarioModel(loaded.base, spec.sweep)  # every decision and uncertainty path exists in the base
    check_against(spec, model.outcome_names(), loaded.base.model_dump(mode="json", by_alias=True))
    print(f"{path}: valid optimisation file. Base scenario {spec.scenario_path}; decisions: "
          f"{', '.join(d.label for d in spec.decisions)}; budgets: "
          f"{', '.join(c.name for c in spec.budget.constraints) or 'none'}; objectives: "
          f"{', '.join(f'{k} ({v})' for k, v in spec.objectives.items())}, primary {spec.primary}.")
    return 0
