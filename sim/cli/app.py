"""``python -m sim app [SCENARIO]``: the what-if workbench in the browser, served on 127.0.0.1 only."""

from __future__ import annotations

import argparse
import errno
import importlib.util
import sys
from pathlib import Path

from sim.cli.arguments import command_parser, path_arg
from sim.cli.run import add_executor_options
from sim.errors import InputError, OutputError
from sim.scenario.loader import load_scenario

DEFAULT_SCENARIO = Path("scenarios/tieling-2020.yaml")
DEFAULT_PORT = 5006


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is from 1 to 65535, got {value}")
    return value


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = command_parser(sub, "app",
                       description="Serve the planner's workbench on http://127.0.0.1:PORT/ (this computer only). "
                                   "The scenario's levers are controls; Run saves the what-if as a scenario file that "
                                   "extends the base with only the changed keys (in --whatifs), runs it against the "
                                   "base on common random numbers into an ordinary results folder beside it, and "
                                   "shows the curves, the scorecard and the county view as replications arrive. "
                                   "Reopening the app lists the what-ifs saved before.")
    p.add_argument("file", nargs="?", type=path_arg, default=None,
                   help=f"scenario YAML file to start from (default: {DEFAULT_SCENARIO})")
    p.add_argument("--port", type=port_number, default=DEFAULT_PORT,
                   help=f"port on 127.0.0.1 (default {DEFAULT_PORT})")
    p.add_argument("--whatifs", type=path_arg, default=Path("whatifs"), metavar="DIR",
                   help="folder of the saved what-ifs and their results, one subfolder per base scenario "
                        "(default: whatifs)")
    add_executor_options(p)
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    file = args.file or DEFAULT_SCENARIO
    if args.file is None and not file.is_file():
        raise InputError.single("python -m sim app", f"no scenario file given and {DEFAULT_SCENARIO} is not here; "
                                "give one: python -m sim app SCENARIO.yaml")
    load_scenario(file)  # a bad file is refused here, with every problem, before anything is served
    if importlib.util.find_spec("panel") is None:
        raise OutputError("the workbench needs the optional 'app' dependencies (Panel); install them with: "
                          "pip install -e '.[app]'")
    from sim.app.runs import Options
    from sim.app.server import serve

    words: list[str] = []
    for flag, value in (("--workers", args.workers), ("--executor", args.executor), ("--scheduler", args.scheduler)):
        if value is not None:
            words += [flag, str(value)]
    try:
        serve(file, args.port, args.whatifs, Options(args.workers, args.executor, args.scheduler), words)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        print(f"error: port {args.port} on 127.0.0.1 is in use; choose another with --port.", file=sys.stderr)
        return 2
    return 0
