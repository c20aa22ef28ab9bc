"""Argument types and parsers shared by the commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli import COMMANDS


def path_arg(text: str) -> Path:
    """A path option or argument: an empty or blank one is an error, not the current folder.

    ``Path("")`` is ``.``: ``--out "" --force`` used to write a run into the working folder.
    """
    if not text.strip():
        raise argparse.ArgumentTypeError(f"an empty path ({text!r}) names no file or folder; give a name "
                                         "(write . for the current folder)")
    return Path(text)


def command_parser(sub: argparse._SubParsersAction, name: str,  # type: ignore[type-arg]
                   description: str) -> argparse.ArgumentParser:
    """The parser of command ``name``, with its own --help's ``description``.

    Its one-line help is its summary in ``COMMANDS``, which ``python -m sim --help`` lists without importing
    the commands' modules: one text for both, so that the two cannot differ.
    """
    return sub.add_parser(name, help=COMMANDS[name], description=description)
