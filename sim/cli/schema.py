"""``python -m sim schema``: print the JSON Schema of the scenario file."""

from __future__ import annotations

import argparse
import json

from sim.cli.arguments import command_parser
from sim.scenario.schema import scenario_json_schema


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = command_parser(sub, "schema",
                       description="Print the JSON Schema of scenario files. Every parameter carries its "
                                   "description, unit and provenance.")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    print(json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False))
    return 0
