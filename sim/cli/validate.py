"""``python -m sim validate FILE``: check a scenario file."""

from __future__ import annotations

import argparse

from sim.scenario.loader import load_scenario


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("validate", help="check a scenario file; exit 0 if valid, 2 with the errors",
                       description="Check a scenario file: YAML syntax, keys, types, ranges and variants. "
                                   "Prints every problem with file:line:column and the dotted key.")
    p.add_argument("file", help="scenario YAML file")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    loaded = load_scenario(args.file)
    names = ", ".join(name for name, _ in loaded.all_variants())
    n = sum(s.count for s in loaded.base.population.strata) if loaded.base.population.csv is None else "CSV"
    print(f"{args.file}: valid. Scenario '{loaded.base.name}', variants: {names}; "
          f"enterprises: {n}; horizon {loaded.base.horizon_days:g} days.")
    return 0
