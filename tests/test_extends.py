"""Scenario files that extend another: provenance that follows the values, CSV populations, and the
bundled policy files, which extend the default scenario and state only what differs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sim.cli import main as cli
from sim.errors import InputError
from sim.report.parameters import parameter_rows
from sim.results.output import resolved_scenario
from sim.scenario.loader import load_scenario, load_scenario_text
from sim.scenario.schema import Scenario

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"
DEFAULT = SCENARIOS / "tieling-2020.yaml"

BASE = """\
name: town
counties:
  - {name: north, weight: 1, approval_reviewers: 2, inspectors: 3, liaisons: 4}
  - {name: south, weight: 1}
population:
  strata:
    - {name: firms, count: 30, workers: 10}
    - {name: big, count: 5, size_class: above_scale}
cadres:
  liaisons: {count: 7}
  supervisors: {count: 5}
policies:
  approval: {name: fast_track, steps: parallel}
provenance:
  counties: "source: the town's own list"
  counties[0].liaisons: "source: four cadres of the north"
  cadres: "assumption: the town's cadres"
  cadres.liaisons.count: "source: seven liaisons"
  policies.approval: "source: the town's fast track"
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _city(folder: Path, rest: str, town: str = BASE) -> Path:
    """city.yaml, which extends town.yaml (``town``, written beside it) and sets ``rest`` after its name."""
    _write(folder, "town.yaml", town)
    return _write(folder, "city.yaml", f"extends: town.yaml\nname: city\n{rest}")


def _shown(loaded: object) -> dict[str, str]:
    """The provenance the report's parameter table shows, by parameter."""
    return {row.key: row.provenance for row in parameter_rows(loaded)}  # type: ignore[arg-type]


def test_a_value_set_without_a_note_never_shows_the_parents_source(tmp_path: Path) -> None:
    child = _city(tmp_path, "cadres: {liaisons: {count: 400}}\n")
    loaded = load_scenario(child)
    shown = _shown(loaded)
    assert shown["cadres.liaisons.count"] == "set in city.yaml, no source given"
    assert shown["cadres.supervisors.count"] == "assumption: the town's cadres"  # not changed: the note holds
    assert shown["counties[0].liaisons"] == "source: four cadres of the north"


def test_the_issue_case_a_city_extending_tieling_with_400_liaisons(tmp_path: Path) -> None:
    child = _write(tmp_path, "city.yaml", f"extends: {DEFAULT}\nname: city\ncadres: {{liaisons: {{count: 400}}}}\n")
    shown = _shown(load_scenario(child))
    assert shown["cadres.liaisons.count"] == "set in city.yaml, no source given"
    assert "918" not in shown["cadres.liaisons.count"]
    assert "918" in _shown(load_scenario(DEFAULT))["cadres.liaisons.count"]  # the parent's own value keeps it


def test_the_childs_own_note_wins_even_over_a_narrower_inherited_one(tmp_path: Path) -> None:
    child = _city(tmp_path, """\
cadres: {liaisons: {count: 40}}
provenance:
  cadres: "source: the city's staff list"
""")
    shown = _shown(load_scenario(child))
    # the parent's note on cadres.liaisons.count is narrower than the child's on cadres: it must not win
    assert shown["cadres.liaisons.count"] == "source: the city's staff list"
    assert shown["cadres.supervisors.count"] == "source: the city's staff list"


def test_setting_the_parents_value_again_keeps_its_note(tmp_path: Path) -> None:
    child = _city(tmp_path, "cadres: {liaisons: {count: 7}}\n")
    assert _shown(load_scenario(child))["cadres.liaisons.count"] == "source: seven liaisons"


def test_a_replaced_list_drops_every_note_under_it(tmp_path: Path) -> None:
    child = _city(tmp_path, """\
counties:
  - {name: north, weight: 1, approval_reviewers: 2, inspectors: 3}
  - {name: south, weight: 1}
""")
    loaded = load_scenario(child)
    assert "counties[0].liaisons" not in loaded.provenance
    shown = _shown(loaded)
    assert shown["counties[0].liaisons"] == "set in city.yaml, no source given"
    assert shown["counties[1].weight"] == "set in city.yaml, no source given"


def test_a_policy_switched_to_another_kind_is_noted_whole(tmp_path: Path) -> None:
    child = _city(tmp_path, "policies: {approval: {name: standard}}\n")
    shown = _shown(load_scenario(child))
    # every field of the standard procedure, not only its name, lost the fast track's source
    assert shown["policies.approval.name"] == "set in city.yaml, no source given"
    assert shown["policies.approval.steps"] == "set in city.yaml, no source given"


def test_a_file_without_extends_notes_what_it_sets_without_a_source(tmp_path: Path) -> None:
    path = _write(tmp_path, "alone.yaml", "name: alone\ncadres: {liaisons: {count: 400}}\n")
    shown = _shown(load_scenario(path))
    assert shown["cadres.liaisons.count"] == "set in alone.yaml, no source given"
    assert not shown["cadres.supervisors.count"].startswith("set in")  # a default keeps the schema's provenance
    assert not shown["name"].startswith("set in")  # a name is not a parameter with a source


def test_the_resolved_scenario_keeps_the_notes_as_they_are(tmp_path: Path) -> None:
    child = _city(tmp_path, "cadres: {liaisons: {count: 400}}\n")
    loaded = load_scenario(child)
    again = load_scenario_text(yaml.safe_dump(resolved_scenario(loaded), sort_keys=False, allow_unicode=True),
                               str(tmp_path / "scenario.resolved.yaml"))
    assert again.provenance == loaded.provenance
    assert _shown(again) == _shown(loaded)


@pytest.mark.parametrize("note, where", [
    ("population.strata[5]", "has 2 entries"),
    ("population.strata[5].count", "has 2 entries"),
    ("counties[2].inspectors", "has 2 entries"),
])
def test_a_note_for_a_value_the_scenario_does_not_have_is_an_error(tmp_path: Path, note: str, where: str) -> None:
    child = _city(tmp_path, f"""\
provenance:
  {note}: "source: somewhere"
""")
    with pytest.raises(InputError) as err:
        load_scenario(child)
    problem = err.value.problems[0]
    assert (problem.line, problem.key) == (4, f"provenance.{note}")
    assert where in problem.message and note in problem.message
    assert cli(["validate", str(child)]) == 2


def test_a_note_for_a_value_only_a_variant_has_is_allowed(tmp_path: Path) -> None:
    child = _city(tmp_path, """\
variants:
  three:
    population:
      strata:
        - {name: a, count: 10}
        - {name: b, count: 10}
        - {name: c, count: 10}
provenance:
  population.strata[2]: "assumption: a third stratum"
""")
    assert load_scenario(child).variants["three"].population.strata[2].name == "c"


def test_extends_with_a_population_csv(tmp_path: Path) -> None:
    csv = (SCENARIOS / "example-firms.csv").read_text(encoding="utf-8")
    _write(tmp_path, "firms.csv", csv)
    counties = sorted({line.split(",")[1] for line in csv.splitlines()[1:] if line.strip()})
    county_list = "\n".join(f"  - {{name: {c}, weight: 1}}" for c in counties)
    town = (BASE.replace("  - {name: north, weight: 1, approval_reviewers: 2, inspectors: 3, liaisons: 4}\n"
                         "  - {name: south, weight: 1}", county_list)
            .replace("  counties[0].liaisons: \"source: four cadres of the north\"\n", ""))
    child = _city(tmp_path, """\
population: {csv: firms.csv}
variants:
  strata-again:
    population:
      strata:
        - {name: firms, count: 12}
""", town)
    loaded = load_scenario(child)
    assert loaded.base.population.csv == str((tmp_path / "firms.csv").resolve())
    assert loaded.base.population.strata == []  # the CSV replaces the strata it extends
    assert loaded.variants["strata-again"].population.csv is None  # and strata replace a CSV
    assert _shown(loaded)["population.csv"] == "set in city.yaml, no source given"
    # the undocumented work-around still works
    both = _write(tmp_path, "both.yaml", "extends: town.yaml\nname: both\npopulation: {csv: firms.csv, strata: []}\n")
    assert load_scenario(both).base.population.csv is not None


def test_a_csv_and_strata_in_one_file_are_still_refused(tmp_path: Path) -> None:
    _write(tmp_path, "firms.csv", (SCENARIOS / "example-firms.csv").read_text(encoding="utf-8"))
    path = _write(tmp_path, "s.yaml", "name: s\npopulation:\n  csv: firms.csv\n  strata: [{name: a, count: 3}]\n")
    with pytest.raises(InputError) as err:
        load_scenario(path)
    assert "not both" in str(err.value)


# -- the bundled files -------------------------------------------------------------------------------

POLICY_FILES = sorted(p.name for p in SCENARIOS.glob("*.yaml")
                      if p.name != DEFAULT.name and "variants" in yaml.safe_load(p.read_text(encoding="utf-8")))


@pytest.mark.slow  # every bundled scenario file loaded, each with its uncertainty ends: about 4.5 s of CPU
def test_every_bundled_file_validates() -> None:
    for path in sorted(SCENARIOS.glob("*.yaml")):
        assert cli(["validate", str(path)]) == 0, path.name


@pytest.mark.parametrize("name", POLICY_FILES)
def test_a_policy_file_extends_the_default_and_states_only_what_differs(name: str) -> None:
    from sim.scenario.authoring import set_keys, value_at

    path = SCENARIOS / name
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert raw.get("extends") == DEFAULT.name, f"{name} should start from {DEFAULT.name}"
    parent, child = load_scenario(DEFAULT).base, load_scenario(path).base
    own = {k: v for k, v in raw.items() if k not in ("extends", "variants", "provenance")}
    restated = [key for key, parts in set_keys(own, child, parent)
                if value_at(parent, parts) == value_at(child, parts)]
    assert not restated, f"{name} restates values of {DEFAULT.name}: {restated}"


def test_the_policy_files_are_found() -> None:
    assert {"fast-track.yaml", "coverage-111.yaml", "loan-timing.yaml"} <= set(POLICY_FILES)


def test_the_default_declares_what_nobody_published() -> None:
    # the ranges the policy files' robustness runs draw from come from the default, once
    base = load_scenario(DEFAULT).base
    assert len(base.uncertainty) >= 6
    assert load_scenario(SCENARIOS / "fast-track.yaml").base.uncertainty == base.uncertainty
    assert Scenario().uncertainty == []
