"""What-ifs as scenario files: each one ``extends:`` its base with only the keys the planner changed.

A what-if named ``green-sme`` of ``scenarios/tieling-2020.yaml`` is the file
``<what-ifs folder>/green-sme.yaml``::

    extends: ../scenarios/tieling-2020.yaml
    description: open the green channel on 20 February for SMEs too
    variants:
      green-sme:
        policies:
          loans: {window_opens_day: 2020-02-20, green_channel_for: [above_scale, sme]}

so that ``python -m sim run`` on it runs the base and the what-if (and the base file's own
variants) on common random numbers, as the page did; its results go to the ordinary results folder
``<what-ifs folder>/green-sme/``. The page checks a what-if by loading the text it would save with
the scenario loader: a bad value is refused with the message ``python -m sim validate`` gives for
the saved file.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import InputError, InputProblem
from sim.results.output import write_text
from sim.scenario.loader import (
    BASE,
    VARIANT_NAME,
    LoadedScenario,
    load_scenario,
    load_scenario_text,
)
from sim.scenario.overrides import override_document
from sim.scenario.yaml_source import parse_yaml, read_text

HEADER = "# A what-if of {base}, saved by `python -m sim app`: only the changed keys.\n"


@dataclass
class WhatIf:
    """The planner's edit of a base scenario: a name, a note, the changes by dotted path."""

    name: str
    note: str = ""
    changes: dict[str, Any] = field(default_factory=dict)
    replications: int | None = None  # None: the base file's


@dataclass(frozen=True)
class Saved:
    """A what-if file in the what-ifs folder, and how far its run got."""

    name: str
    path: Path
    note: str
    status: str  # "finished", "interrupted" (resume it), "not run"

    @property
    def results(self) -> Path:
        return results_folder(self.path)


class Workspace:
    """The what-ifs of one base scenario file, kept in one folder."""

    def __init__(self, base_file: Path, folder: Path) -> None:
        self.base_file = base_file
        self.folder = folder
        self.base = load_scenario(base_file)
        self.data = self.base.base.model_dump(mode="json", by_alias=True)

    def path_of(self, name: str) -> Path:
        return self.folder / f"{name}.yaml"

    def text(self, whatif: WhatIf) -> str:
        """The what-if file: ``extends:`` the base, the note, the replications if changed, the variant."""
        doc: dict[str, Any] = {"extends": Path(os.path.relpath(self.base_file.resolve(), self.folder.resolve())).as_posix()}
        if whatif.note.strip():
            doc["description"] = whatif.note.strip()
        if whatif.replications is not None:
            doc["replications"] = whatif.replications
        where = str(self.path_of(whatif.name))
        doc["variants"] = {whatif.name: override_document(self.data, whatif.changes, where) if whatif.changes else {}}
        return HEADER.format(base=self.base_file.name) + _dump(doc)

    def check(self, whatif: WhatIf) -> LoadedScenario:
        """The what-if as ``python -m sim validate`` would load its file; InputError with its messages."""
        _check_name(whatif.name, str(self.path_of(whatif.name)))
        return load_scenario_text(self.text(whatif), str(self.path_of(whatif.name)), base_dir=self.folder)

    def save(self, whatif: WhatIf) -> Path:
        """Check and write the what-if file (refused when another what-if already has the name)."""
        self.check(whatif)
        path = self.path_of(whatif.name)
        text = self.text(whatif)
        if path.exists() and path.read_text(encoding="utf-8") != text:
            raise InputError.single(str(path), f"a what-if named '{whatif.name}' is already saved with other "
                                    "changes; give this one another name.", key="name")
        self.folder.mkdir(parents=True, exist_ok=True)
        write_text(path, text)
        return path

    def saved(self) -> list[Saved]:
        """The what-ifs of this base in the folder, newest first."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in sorted(self.folder.glob("*.yaml"), key=lambda p: p.stat().st_mtime, reverse=True):
            try:
                doc = parse_yaml(read_text(path), str(path)).data
            except InputError:
                continue
            if not isinstance(doc, dict) or not isinstance(doc.get("extends"), str):
                continue
            if (self.folder / doc["extends"]).resolve() != self.base_file.resolve():
                continue
            found.append(Saved(path.stem, path, str(doc.get("description") or ""), _status(results_folder(path))))
        return found

    def next_name(self) -> str:
        """``what-if-N``, the first N free."""
        n = 1
        while self.path_of(f"what-if-{n}").exists():
            n += 1
        return f"what-if-{n}"

    def command(self, whatif_file: Path, extra: list[str] | None = None) -> str:
        """The command line that reproduces the what-if's run (its numbers, in a new results folder)."""
        try:
            shown = whatif_file.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            shown = whatif_file.resolve()
        return shlex.join(["python", "-m", "sim", "run", str(shown), *(extra or [])])


def results_folder(whatif_file: Path) -> Path:
    """Where the page runs a what-if: an ordinary results folder beside its file."""
    return whatif_file.with_suffix("")


def _status(out: Path) -> str:
    if (out / "manifest.json").is_file():
        return "finished"
    if (out / "run_state.json").is_file():
        return "interrupted"
    return "not run"


def _check_name(name: str, where: str) -> None:
    if not VARIANT_NAME.match(name) or name == BASE:
        raise InputError([InputProblem(where, f"the what-if's name {name!r} must be 1-60 letters, digits, '_', '-' "
                                       f"or '.', and not '{BASE}' (it names the variant and the file).", "name")])


def _dump(doc: dict[str, Any]) -> str:
    """YAML as a planner would write it: dates as dates, short lists on one line."""
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, default_flow_style=None, width=100)
    return re.sub(r"'(\d{4}-\d{2}-\d{2})'", r"\1", text)  # a day written as a date is read as one


def whatif_of(saved: Saved, workspace: Workspace) -> tuple[WhatIf, dict[str, Any]]:
    """A saved what-if, and its variant's resolved data (for the controls)."""
    loaded = load_scenario(saved.path)
    doc = parse_yaml(read_text(saved.path), str(saved.path)).data
    replications = doc.get("replications") if isinstance(doc, dict) else None
    variant = loaded.variants.get(saved.name)
    if variant is None:
        raise InputError.single(str(saved.path), f"it has no variant named '{saved.name}' (the what-if).",
                                key="variants")
    return (WhatIf(saved.name, saved.note, {}, replications if isinstance(replications, int) else None),
            variant.model_dump(mode="json", by_alias=True))
