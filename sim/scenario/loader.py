"""Loading a scenario file: YAML → validated base and variants, or clear errors.

A scenario file holds the base parameters at top level, plus two optional
sections:

``variants``
    named partial overrides, deep-merged into the base (mappings merge, lists
    and values replace);
``provenance``
    where a value set in the file comes from, by dotted key;

and ``extends: other.yaml`` to start from another file (see
:mod:`sim.scenario.authoring`, which also turns dates under day keys into days).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.errors import InputError, InputProblem
from sim.scenario.authoring import (
    EXTENDS,
    absolute_csv,
    cohort_notices,
    dates_to_days,
    default_notices,
    inherited_raw,
    merge_files,
    parent_file,
    provenance_after,
    start_date_of,
)
from sim.scenario.merge import deep_merge, merge_scenario  # noqa: F401  (deep_merge: kept importable from here)
from sim.scenario.messages import (
    bool_problems,
    data_path,
    has_position,
    known_dotted_key,
    plain_message,
    problem_from_error,
)
from sim.scenario.paths import expand_path
from sim.scenario.schema import Scenario
from sim.scenario.uncertainty import apply, check_paths
from sim.scenario.yaml_source import Path_, YamlDocument, dotted, parse_yaml, read_text

BASE = "base"
FIXED_ACROSS_VARIANTS = ("seed", "replications", "name", "decision")
MAX_VARIANTS = 500
MAX_PROBLEMS = 40  # per base or variant: a file with thousands of mistakes gets a readable message
VARIANT_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,60}$")


@dataclass
class LoadedScenario:
    """A validated scenario file: the base, its variants and the provenance notes."""

    path: Path
    base: Scenario
    variants: dict[str, Scenario] = field(default_factory=dict)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)  # defaults a minimal file took without saying so

    def all_variants(self) -> list[tuple[str, Scenario]]:
        """The base first, then the variants in file order."""
        return [(BASE, self.base), *self.variants.items()]

    def with_settings(self, **settings: Any) -> LoadedScenario:
        """A copy with top-level settings (seed, replications, horizon…) changed in every variant.

        Settings given as None (an option the planner did not use) are left as they are.
        """
        updates = {k: v for k, v in settings.items() if v is not None}
        if not updates:
            return self

        def upd(s: Scenario) -> Scenario:
            data = {**s.model_dump(by_alias=True), **updates}
            try:
                return Scenario.model_validate(data)
            except ValidationError as exc:  # a bad command-line setting: bad input, not a crash
                raise InputError([
                    InputProblem(str(self.path), "set on the command line: " + plain_message(
                        err["type"], str(err["msg"]), err, data_path(tuple(err["loc"]), data), data),
                        dotted(data_path(tuple(err["loc"]), data)) or None)
                    for err in exc.errors(include_url=False)[:MAX_PROBLEMS]]) from None
        return LoadedScenario(self.path, upd(self.base), {k: upd(v) for k, v in self.variants.items()},
                              self.overrides, self.provenance, self.notices)


def load_scenario(path: str | Path, _chain: tuple[Path, ...] = ()) -> LoadedScenario:
    """Read, validate and resolve a scenario file; raise InputError listing every problem."""
    path = Path(path)
    text = read_text(path)
    return load_scenario_text(text, str(path), base_dir=path.parent, _chain=_chain)


def load_scenario_text(text: str, file: str, base_dir: Path | None = None,
                       _chain: tuple[Path, ...] = ()) -> LoadedScenario:
    doc = parse_yaml(text, file)
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__
        raise InputError.single(file, f"the top level must be a mapping of keys to values, not a {kind}.", line=1, column=1)
    raw = dict(doc.data)
    parent = parent_file(raw, doc, base_dir, _chain)
    raw.pop(EXTENDS, None)
    notices = default_notices(raw)
    provenance_raw = raw.pop("provenance", None) or {}
    own = {k: v for k, v in raw.items() if k != "variants"}  # what this file sets, for its provenance
    inherited: LoadedScenario | None = None
    if parent is not None:
        # the base file is checked on its own first, so that its mistakes point at its own lines
        chain = (*_chain, Path(file).resolve())
        inherited = load_scenario(parent, chain)
        raw = merge_files(inherited_raw(parent, chain), raw)
        notices = []  # the city comes from the base file
    variants_raw = raw.pop("variants", None) or {}
    raw.pop("provenance", None)
    problems: list[InputProblem] = []

    start = start_date_of(raw)
    own = dates_to_days(own, start, doc, (), [])  # its problems are reported once, below
    raw = dates_to_days(raw, start, doc, (), problems)
    base_data = _resolve_paths(raw, base_dir)
    base = _validate(base_data, doc, (), problems)
    problems.extend(bool_problems(base_data, doc, (), only_set=False))
    base_messages = {(p.line, p.column, p.message) for p in problems}

    overrides: dict[str, dict[str, Any]] = {}
    variants: dict[str, Scenario] = {}
    if not isinstance(variants_raw, dict):
        line, col = doc.position(("variants",))
        problems.append(InputProblem(file, "must be a mapping of variant name to overrides.", "variants", line, col))
        variants_raw = {}
    if len(variants_raw) > MAX_VARIANTS:
        line, col = doc.position(("variants",))
        raise InputError([*problems, InputProblem(
            file, f"{len(variants_raw):,} variants; the limit is {MAX_VARIANTS}. To explore many values of a "
            "parameter, use a sweep file (python -m sim sweep).", "variants", line, col)])
    for name, override in variants_raw.items():
        vpath: Path_ = ("variants", name)
        line, col = doc.position(vpath, of_key=True)
        if not isinstance(name, str) or not VARIANT_NAME.match(name) or name == BASE:
            problems.append(InputProblem(file, f"variant name {name!r} must be 1-60 letters, digits, '_', '-' or '.', and not '{BASE}'.",
                                         dotted(vpath), line, col))
            continue
        if not isinstance(override, dict):
            problems.append(InputProblem(file, "a variant must be a mapping of the keys it overrides.", dotted(vpath), line, col))
            continue
        for key in FIXED_ACROSS_VARIANTS:
            if key in override:
                kl, kc = doc.position(vpath + (key,), of_key=True)
                problems.append(InputProblem(
                    file, f"a variant cannot change '{key}': all variants share it so that they are compared "
                    "on common random numbers. Set it at the top of the file.", dotted(vpath + (key,)), kl, kc))
        vstart = start_date_of({**raw, **override}) if "start_date" in override else start
        override = dates_to_days(override, vstart, doc, vpath, problems)
        merged = merge_scenario(base_data, _resolve_paths(override, base_dir))
        found: list[InputProblem] = []
        scenario = _validate(merged, doc, vpath, found)
        found.extend(bool_problems(merged, doc, vpath, only_set=True))
        # an error the base already has is reported once, for the base
        problems.extend(p for p in found if (p.line, p.column, p.message) not in base_messages)
        if scenario is not None:
            overrides[name] = override
            variants[name] = scenario

    own_notes = _check_provenance(provenance_raw, doc, problems)
    if base is not None:
        problems.extend(_check_variant_names(base, [str(n) for n in variants_raw], doc))
    if problems or base is None:
        raise InputError(problems)
    _check_note_keys(own_notes, [base, *variants.values()], doc)
    provenance = provenance_after(own, own_notes, inherited.provenance if inherited else {},
                                  inherited.base if inherited else Scenario(), base, Path(file).name)
    _check_population_csvs([(BASE, base), *variants.items()], doc)
    _check_uncertainty([(BASE, base), *variants.items()], doc)
    notices = notices + cohort_notices([(BASE, base), *variants.items()])
    return LoadedScenario(Path(file), base, variants, overrides, provenance, notices)


def _check_note_keys(notes: dict[str, str], scenarios: list[Scenario], doc: YamlDocument) -> None:
    """Every provenance note names a value the base or a variant has (``population.strata[5]`` needs six strata)."""
    problems: list[InputProblem] = []
    dumps = [s.model_dump(mode="json", by_alias=True) for s in scenarios]
    for key in notes:
        why = ""
        for data in dumps:
            try:
                expand_path(key, data)
                break
            except ValueError as exc:
                why = why or str(exc)
        else:
            line, col = doc.position(("provenance", key), of_key=True)
            problems.append(InputProblem(doc.file, f"this scenario has no '{key}' to note the source of: "
                                         f"{why.rstrip('.')}. Write the dotted key of a value the scenario has.",
                                         f"provenance.{key}", line, col))
    if problems:
        raise InputError(problems)


def _check_variant_names(base: Scenario, names: list[str], doc: YamlDocument) -> list[InputProblem]:
    """References (decision:) and labels (labels:) must name the scenario's variants."""
    found = [(("decision", *where), message) for where, message in base.decision.unknown_variants(names)]
    found += [(("labels", *where), message) for where, message in base.labels.unknown_variants(names, BASE)]
    problems = []
    for where, message in found:
        at: Path_ = next((p for p in (where, where[:-1]) if has_position(doc, p)), where)
        line, col = doc.position(at, of_key=at == where)
        problems.append(InputProblem(doc.file, message, dotted(where), line, col))
    return problems


def _check_population_csvs(scenarios: list[tuple[str, Scenario]], doc: YamlDocument) -> None:
    """Read every population CSV the base and variants name, so that a bad row fails at validation."""
    # sim.population imports the schema, which imports this module's package: import here
    from sim.population import read_population_csv

    problems: list[InputProblem] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for name, scenario in scenarios:
        csv = scenario.population.csv
        if csv is None:
            continue
        counties = tuple(c.name for c in scenario.counties)
        if (csv, counties) in seen:
            continue
        seen.add((csv, counties))
        where: Path_ = ("population", "csv") if name == BASE else ("variants", name, "population", "csv")
        if not has_position(doc, where):
            where = ("population", "csv")
        if not Path(csv).is_file():
            line, col = doc.position(where)
            problems.append(InputProblem(doc.file, f"the population CSV {csv} does not exist (paths are relative "
                                         "to the scenario file's folder).", dotted(where), line, col))
            continue
        try:
            read_population_csv(Path(csv), scenario)
        except InputError as exc:
            context = "" if name == BASE else f"in variant '{name}' (counties: {', '.join(counties)}): "
            problems.extend(InputProblem(p.file, context + (f"column '{p.key}': " if p.key else "") + p.message,
                                         None, p.line, p.column) for p in exc.problems)
    if problems:
        raise InputError(problems)


def _check_uncertainty(scenarios: list[tuple[str, Scenario]], doc: YamlDocument) -> None:
    """The ``uncertainty:`` section against every variant, as ``run --robustness`` will use it.

    Its paths must name numbers that exist (with a "did you mean"), and each entry, at either end
    of its range and the others left as written, must keep every variant a valid scenario.
    """
    params = scenarios[0][1].uncertainty
    if not params:
        return
    problems: dict[tuple[Any, ...], InputProblem] = {}  # one per place in the section, for the first variant

    def add(where: tuple[Any, ...], message: str) -> None:
        full: Path_ = ("uncertainty", *where)
        at = next((p for p in (full, full[:2], ("uncertainty",)) if has_position(doc, p)), full)
        line, col = doc.position(at)
        problems.setdefault(where, InputProblem(doc.file, message, dotted(full), line, col))

    for name, scenario in scenarios:
        whose = "the base scenario" if name == BASE else f"variant '{name}'"
        data = scenario.model_dump(mode="json", by_alias=True)
        found = check_paths(params, data)
        for where, message in found:
            text = message + ("" if name == BASE else f" (in {whose})")
            add(where, text if text.endswith((".", "?")) else text + ".")
        if found:
            continue
        for i, param in enumerate(params):
            for end, value in (("low", param.low), ("high", param.high)):
                changed = apply(data, [param], [value])
                try:
                    Scenario.model_validate(changed)
                except ValidationError as exc:
                    err = exc.errors(include_url=False)[0]
                    path = data_path(tuple(err["loc"]), changed)
                    why = plain_message(err["type"], str(err["msg"]).removeprefix("Value error, "), err, path, changed)
                    add((i, end), f"at its {end} end ({value:g}) this range makes {whose} invalid: "
                                  f"{dotted(path) or 'the scenario'} {why[0].lower()}{why[1:]} Narrow the range.")
    if problems:
        raise InputError(list(problems.values()))


def _resolve_paths(data: dict[str, Any], base_dir: Path | None) -> dict[str, Any]:
    """Make a population CSV path relative to the scenario file's folder."""
    return absolute_csv(data, base_dir)


def _validate(data: dict[str, Any], doc: YamlDocument, prefix: Path_, problems: list[InputProblem]) -> Scenario | None:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        for err in errors[:MAX_PROBLEMS]:
            problems.append(problem_from_error(err, data, doc, prefix))
        if len(errors) > MAX_PROBLEMS:
            line, col = doc.position(prefix)
            problems.append(InputProblem(doc.file, f"... and {len(errors) - MAX_PROBLEMS:,} more problems like "
                                         "these; fix the ones above first.", dotted(prefix) or None, line, col))
        return None


def _check_provenance(raw: Any, doc: YamlDocument, problems: list[InputProblem]) -> dict[str, str]:
    if not isinstance(raw, dict):
        line, col = doc.position(("provenance",))
        problems.append(InputProblem(doc.file, "must be a mapping of dotted key to a note on where the value comes from.",
                                     "provenance", line, col))
        return {}
    out: dict[str, str] = {}
    for key, note in raw.items():
        line, col = doc.position(("provenance", key), of_key=True)
        if not isinstance(note, str) or not note.strip():
            problems.append(InputProblem(doc.file, "a provenance note must be non-empty text.", f"provenance.{key}", line, col))
            continue
        if not isinstance(key, str) or not known_dotted_key(key):
            problems.append(InputProblem(doc.file, f"'{key}' is not a parameter of the scenario; write the dotted key "
                                         "of a parameter, e.g. cadres.liaisons.count or population.strata[0].count.",
                                         f"provenance.{key}", line, col))
            continue
        out[key] = note.strip()
    return out
