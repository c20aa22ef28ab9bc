"""Command line: ``python -m sim COMMAND ...``.

Each command is a module of this package with ``add_parser(subparsers)`` and
``main(args) -> int``; add a module to ``COMMANDS`` to add a command. Only
the module of the command being run is imported, so that a quick command
(``validate``) does not pay for the imports of the others (pandas, matplotlib,
dask).
Exit codes: 0 ok, 2 bad input (or output that cannot be written), 1 internal
error.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import NoReturn

from sim import __version__
from sim.errors import ClusterError, InputError, OutputError

# command -> its one-line summary, for `python -m sim --help` and the command's parser (its module gives the
# rest of its help: sim.cli.arguments.command_parser)
COMMANDS: dict[str, str] = {
    "run": "run a scenario: the base and every variant, R replications each",
    "validate": "check a scenario, sweep or optimisation file; exit 0 if valid, 2 with the errors",
    "schema": "print the JSON Schema of scenario files (for editor autocompletion)",
    "sweep": "sweep levers and uncertainties of a scenario over a design; sensitivity indices",
    "export": "write a results folder's tables as CSV, Parquet or an Excel workbook",
    "calibrate": "fit scenario parameters to observed resumption shares",
    "optimize": "deploy a fixed staff budget best: NSGA-II search, then a selection with a guarantee",
    "discover": "find the boxes of uncertain parameters where a condition holds (PRIM) in a sweep",
    "report": "write report.html and plots/ for a finished results folder",
    "compare": "compare the variants of a finished run again (comparison.csv), without rerunning",
    "app": "the what-if workbench in the browser: edit levers, run against the base, compare",
}

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # usage errors are bad input: exit 2, no traceback
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; ``command`` names the one whose module is imported (None: all of them)."""
    parser = _Parser(prog="python -m sim",
                     description="Discrete-event simulator of enterprise reopening policies.")
    parser.add_argument("--version", action="version", version=f"sim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, summary in COMMANDS.items():
        if command is None or name == command:
            importlib.import_module(f"sim.cli.{name}").add_parser(sub)
        else:  # a stand-in that lists the command; it is never the one parsed
            sub.add_parser(name, help=summary)
    return parser


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    command = next((w for w in words if not w.startswith("-")), "")
    parser = build_parser(command)
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except InputError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_INPUT
    except (OutputError, ClusterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted.", file=sys.stderr)
        return 130
    except OSError as exc:
        if exc.errno not in _DISK_ERRORS:
            return _internal_error(exc)
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: cannot write{where}: {exc.strerror or exc}. Free some space or choose a writable "
              "folder with --out; a run that was stopped can continue with --resume.", file=sys.stderr)
        return EXIT_INPUT
    except Exception as exc:
        return _internal_error(exc)


# disk full, quota, read-only file system, permission, a path through a file or a link loop: the planner
# can fix these, so exit 2
_DISK_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EISDIR,
                errno.ENAMETOOLONG, errno.ELOOP}


def _internal_error(exc: BaseException) -> int:
    """An internal error: say so briefly, keep the traceback in a file."""
    try:
        log = _private_log("sim-internal-error.log")
        log.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        where = f" The traceback is in {log}."
    except OSError:
        where = ""
    print(f"internal error: {type(exc).__name__}: {exc}.{where} Please report it with the scenario file.",
          file=sys.stderr)
    return EXIT_INTERNAL


def _private_log(name: str) -> Path:
    """A new empty file ``name`` in a new private directory of the system's temporary folder.

    A fixed name in the shared temporary folder could be a link another user planted; a new
    directory (mode 0700) and a file created there with O_EXCL and O_NOFOLLOW cannot be.
    """
    folder = Path(tempfile.mkdtemp(prefix="sim-internal-error-"))
    path = folder / name
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600))
    return path
