"""Argument types shared by the commands."""

from __future__ import annotations

import argparse
from pathlib import Path


def path_arg(text: str) -> Path:
    """A path option or argument: an empty or blank one is an error, not the current folder.

    ``Path("")`` is ``.``: ``--out "" --force`` used to write a run into the working folder.
    """
    if not text.strip():
        raise argparse.ArgumentTypeError(f"an empty path ({text!r}) names no file or folder; give a name "
                                         "(write . for the current folder)")
    return Path(text)
