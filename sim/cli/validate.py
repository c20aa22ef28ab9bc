"""``python -m sim validate FILE``: check a scenario file or a sweep file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.scenario.loader import load_scenario
from sim.scenario.yaml_source import parse_yaml, read_text

# Keys only a sweep file has at its top level (a scenario file has none of them).
SWEEP_KEYS = ("levers", "uncertainties", "design", "outcomes")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("validate", help="check a scenario or sweep file; exit 0 if valid, 2 with the errors",
                       description="Check a scenario file (YAML syntax, keys, types, ranges and variants) or a "
                                   "sweep file (its design, ranges and the parameter paths in its base scenario). "
                                   "Prints every problem with file:line:column and the dotted key.")
    p.add_argument("file", help="scenario or sweep YAML file")
    p.set_defaults(handler=main)


def is_sweep_file(path: Path) -> bool:
    """A sweep file names a base ``scenario:`` and levers, uncertainties, a design or outcomes."""
    doc = parse_yaml(read_text(path), str(path))
    return isinstance(doc.data, dict) and "scenario" in doc.data and any(k in doc.data for k in SWEEP_KEYS)


def main(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if is_sweep_file(path):
        return _validate_sweep(path)
    loaded = load_scenario(path)
    for note in loaded.notices:
        print(f"{args.file}: note: {note}", file=sys.stderr)
    names = ", ".join(name for name, _ in loaded.all_variants())
    n = sum(s.count for s in loaded.base.population.strata) if loaded.base.population.csv is None else "CSV"
    print(f"{args.file}: valid. Scenario '{loaded.base.name}', variants: {names}; "
          f"enterprises: {n}; horizon {loaded.base.horizon_days:g} days.")
    return 0


def _validate_sweep(path: Path) -> int:
    from sim.sweep.run import ScenarioModel
    from sim.sweep.spec import load_sweep

    spec = load_sweep(path)
    loaded = load_scenario(spec.scenario_path)
    ScenarioModel(loaded.base, spec)  # every swept path exists in the base scenario
    groups = {g: [p.path for p in spec.parameters if p.group == g] for g in ("lever", "uncertainty")}
    print(f"{path}: valid sweep file. Base scenario {spec.scenario_path}; levers: "
          f"{', '.join(groups['lever']) or 'none'}; uncertainties: {', '.join(groups['uncertainty']) or 'none'}; "
          f"design: {spec.design.name}; outcomes: {', '.join(spec.outcomes)}.")
    return 0
