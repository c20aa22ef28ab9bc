"""Where the documented commands run: a scratch folder that looks like the repository to them.

Every command shown on a page is run as written (``python -m sim run
scenarios/fast-track.yaml -r 6 …``) by ``bash`` in a scratch folder holding
``scenarios/``, ``data/``, ``benchmarks/`` and a ``python`` that runs this interpreter, so that
what the page shows is what ran, and a reader can run it from the repository's
root. In the quick mode (the tests) ``scenarios/`` is a shrunk copy: the
default scenario's firms and cadres divided by :data:`QUICK_SHRINK` (every file
that extends it shrinks with it), sweeps cut to a few points, replications to
:data:`QUICK_REPLICATIONS`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from docgen import ROOT

QUICK_SHRINK = 20
QUICK_REPLICATIONS = 2
QUICK_SWEEP_POINTS = 4
DEFAULT_FILE = "tieling-2020.yaml"
_PROGRESS = re.compile(r"^.*\r(?!\n)")  # a progress bar redrawn with carriage returns: keep its last state


@dataclass
class Captured:
    """A command as shown on a page, what it printed (stdout and stderr, in order) and how long it took."""

    command: str
    output: str
    seconds: float
    exit_code: int


class CommandFailed(RuntimeError):
    """A documented command did not do what the page says it does."""


@dataclass
class Workspace:
    """The scratch folder the commands run in."""

    root: Path
    quick: bool

    def replications(self, n: int) -> int:
        """``n`` replications, or the quick mode's few."""
        return min(n, QUICK_REPLICATIONS) if self.quick else n

    def run(self, command: str, expect: int = 0, timeout: float = 7200) -> Captured:
        """Run ``command`` with bash in the scratch folder; CommandFailed unless it exits with ``expect``."""
        env = {**os.environ, "PATH": f"{self.root / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
               "PYTHONUNBUFFERED": "1", "COLUMNS": "100"}
        env.pop("CI", None)
        start = time.perf_counter()
        done = subprocess.run(["bash", "-c", command], cwd=self.root, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout)
        seconds = time.perf_counter() - start
        output = clean(done.stdout.replace(str(self.root) + os.sep, "").replace(str(self.root), "."))
        if done.returncode != expect:
            raise CommandFailed(f"`{command}` exited with {done.returncode} (expected {expect}):\n{output}")
        return Captured(command, output, seconds, done.returncode)

    def write(self, name: str, text: str) -> Path:
        """A file the reader writes (a scenario of their own), relative to the scratch folder."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path


def clean(text: str) -> str:
    """Output as a terminal would leave it: progress bars at their last state, no trailing blanks."""
    lines = [_PROGRESS.sub("", line).rstrip() for line in text.splitlines()]
    return "\n".join(lines).strip("\n")


@contextlib.contextmanager
def workspace(quick: bool, keep: Path | None = None) -> Iterator[Workspace]:
    """A scratch folder with the repository's scenarios and data (shrunk copies when ``quick``)."""
    root = Path(tempfile.mkdtemp(prefix="sim-docs-")) if keep is None else keep
    root.mkdir(parents=True, exist_ok=True)
    try:
        (root / "bin").mkdir(exist_ok=True)
        python = root / "bin" / "python"  # this interpreter (a link would lose its virtual environment)
        python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
        python.chmod(0o755)
        for shared in ("data", "benchmarks"):
            if not (root / shared).exists():
                (root / shared).symlink_to(ROOT / shared, target_is_directory=True)
        if not (root / "scenarios").exists():
            if quick:
                shutil.copytree(ROOT / "scenarios", root / "scenarios")
                shrink(root / "scenarios")
            else:
                (root / "scenarios").symlink_to(ROOT / "scenarios", target_is_directory=True)
        yield Workspace(root, quick)
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)


def shrink(folder: Path) -> None:
    """The quick mode's scenarios: the default's firms and cadres divided, sweeps cut to a few points."""
    default = folder / DEFAULT_FILE
    data = yaml.safe_load(default.read_text(encoding="utf-8"))
    for stratum in data.get("population", {}).get("strata", []):
        stratum["count"] = max(1, stratum["count"] // QUICK_SHRINK)
    for role in data.get("cadres", {}).values():
        if isinstance(role, dict) and "count" in role:
            role["count"] = max(1, role["count"] // QUICK_SHRINK)
    for county in data.get("counties", []):
        if "liaisons" in county:
            county["liaisons"] = max(1, county["liaisons"] // QUICK_SHRINK)
    _dump(default, data)
    for path in folder.glob("*.yaml"):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not (isinstance(spec, dict) and "scenario" in spec and "design" in spec):
            continue
        design = spec["design"]
        if "samples" in design:
            design["samples"] = min(design["samples"], QUICK_SWEEP_POINTS)
        for section in ("levers", "uncertainties"):
            for lever in (spec.get(section) or {}).values():
                if "levels" in lever:
                    lever["levels"] = lever["levels"][:2]
        spec["replications"] = 1
        _dump(path, spec)


def _dump(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
