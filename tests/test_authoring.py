"""Writing scenarios: extends (override, chain, cycle, missing base), dates for day parameters, notes on
defaults a minimal file took, every allowed key in messages, validate on a sweep file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from sim.cli import main as cli
from sim.errors import InputError
from sim.results.output import resolved_scenario
from sim.scenario.authoring import DEFAULT_START
from sim.scenario.loader import load_scenario, load_scenario_text
from sim.scenario.schema import Scenario

REPO = Path(__file__).resolve().parent.parent

BASE = """\
name: town
start_date: 2020-02-03
counties:
  - {name: north, weight: 1, approval_reviewers: 2, inspectors: 3}
  - {name: south, weight: 1}
population:
  strata:
    - {name: firms, count: 30, workers: 10}
cadres:
  liaisons: {count: 7}
  supervisors: {count: 5}
policies:
  loans: {window_opens_day: 10}
variants:
  fast:
    policies:
      approval: {name: fast_track}
provenance:
  cadres.liaisons.count: "assumption: a small town"
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_extends_overrides_the_base_and_inherits_the_rest(tmp_path: Path) -> None:
    _write(tmp_path, "base/town.yaml", BASE)
    child = _write(tmp_path, "child.yaml", """\
extends: base/town.yaml
name: town-more-cadres
cadres:
  liaisons: {count: 20}
variants:
  fast:
    policies:
      approval: {name: fast_track, steps: commitment}
  slow-loans:
    policies:
      loans: {window_opens_day: 40}
""")
    loaded = load_scenario(child)
    assert loaded.base.name == "town-more-cadres"
    assert loaded.base.cadres.liaisons.count == 20
    assert loaded.base.cadres.supervisors.count == 5  # merged, not replaced
    assert [c.name for c in loaded.base.counties] == ["north", "south"]
    assert list(loaded.variants) == ["fast", "slow-loans"]
    assert loaded.variants["fast"].policies.approval.name == "fast_track"
    assert loaded.variants["fast"].policies.approval.steps == "commitment"  # type: ignore[union-attr]
    # the child's 20 is not the base's "small town" figure (tests/test_extends.py: provenance after extends)
    assert loaded.provenance["cadres.liaisons.count"] == "set in child.yaml, no source given"
    # the resolved scenario is flat and self-contained: no extends, loads without the base file
    doc = resolved_scenario(loaded)
    assert "extends" not in doc
    flat = load_scenario_text(yaml.safe_dump(doc, sort_keys=False), str(tmp_path / "resolved.yaml"))
    assert flat.base == loaded.base and flat.variants == loaded.variants


def test_extends_chains(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", BASE)
    _write(tmp_path, "b.yaml", "extends: a.yaml\nname: b\nhorizon_days: 60\n")
    c = _write(tmp_path, "c.yaml", "extends: b.yaml\nname: c\ncadres: {supervisors: {count: 9}}\n")
    loaded = load_scenario(c)
    assert (loaded.base.name, loaded.base.horizon_days) == ("c", 60)
    assert (loaded.base.cadres.liaisons.count, loaded.base.cadres.supervisors.count) == (7, 9)
    assert loaded.notices == []  # the city comes from a.yaml


@pytest.mark.parametrize("files", [
    {"a.yaml": "extends: a.yaml\nname: a\n"},
    {"a.yaml": "extends: b.yaml\nname: a\n", "b.yaml": "extends: a.yaml\nname: b\n"},
    {"a.yaml": "extends: b.yaml\n", "b.yaml": "extends: c.yaml\n", "c.yaml": "extends: a.yaml\n"},
])
def test_extends_refuses_a_cycle(tmp_path: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        _write(tmp_path, name, text)
    with pytest.raises(InputError) as err:
        load_scenario(tmp_path / "a.yaml")
    text = str(err.value)
    assert "cycle" in text and "a.yaml" in text and "Traceback" not in text


def test_extends_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    child = _write(tmp_path, "child.yaml", "name: x\nextends: nowhere.yaml\n")
    with pytest.raises(InputError) as err:
        load_scenario(child)
    problem = err.value.problems[0]
    assert problem.line == 2 and problem.key == "extends"
    assert "nowhere.yaml does not exist" in problem.message


def test_a_mistake_in_the_base_points_at_the_base(tmp_path: Path) -> None:
    _write(tmp_path, "base.yaml", BASE.replace("count: 7", "count: -7"))
    child = _write(tmp_path, "child.yaml", "extends: base.yaml\nname: x\n")
    with pytest.raises(InputError) as err:
        load_scenario(child)
    assert err.value.problems[0].file.endswith("base.yaml")
    assert err.value.problems[0].key == "cadres.liaisons.count"


def test_day_parameters_accept_dates(tmp_path: Path) -> None:
    text = BASE.replace("window_opens_day: 10", "window_opens_day: 2020-02-27")
    text = text.replace("variants:\n", "variants:\n  late:\n    calendar: {restart_ban_until_day: 2020-02-17}\n")
    path = _write(tmp_path, "s.yaml", text)
    loaded = load_scenario(path)
    assert loaded.base.policies.loans.window_opens_day == 24.0  # 27 Feb − 3 Feb
    assert loaded.variants["late"].calendar.restart_ban_until_day == 14.0
    resolved = resolved_scenario(loaded)
    assert resolved["policies"]["loans"]["window_opens_day"] == 24.0  # numbers in the resolved file


def test_a_date_before_the_start_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "s.yaml", BASE.replace("window_opens_day: 10", "window_opens_day: 2020-01-20"))
    with pytest.raises(InputError) as err:
        load_scenario(path)
    problem = err.value.problems[0]
    assert problem.key == "policies.loans.window_opens_day" and "before start_date 2020-02-03" in problem.message


def test_a_rate_per_day_is_not_a_date_key(tmp_path: Path) -> None:
    text = BASE.replace("{name: firms, count: 30, workers: 10}",
                        "{name: firms, count: 30, workers: 10, revenue_per_worker_day: 2020-02-27}")
    with pytest.raises(InputError) as err:
        load_scenario(_write(tmp_path, "s.yaml", text))
    assert "revenue_per_worker_day" in str(err.value)


def test_default_start_date_matches_the_schema() -> None:
    assert Scenario().start_date == DEFAULT_START == dt.date(2020, 2, 3)


def test_a_minimal_file_says_which_defaults_it_took(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    minimal = _write(tmp_path, "min.yaml", "name: tiny-town\n")
    loaded = load_scenario(minimal)
    notes = " ".join(loaded.notices)
    assert "no 'counties' given" in notes and "no 'population' given" in notes and "toy town" in notes
    assert load_scenario(_write(tmp_path, "full.yaml", BASE)).notices == []
    assert cli(["validate", str(minimal)]) == 0
    assert "note: no 'population' given" in capsys.readouterr().err


def test_allowed_keys_list_every_top_level_key(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load_scenario(_write(tmp_path, "s.yaml", "name: x\nvariantz: {}\n"))
    message = err.value.problems[0].message
    assert "Did you mean 'variants'?" in message
    for key in ("extends", "variants", "provenance", "decision", "counties", "policies"):
        assert key in message
    with pytest.raises(InputError) as err:
        load_scenario(_write(tmp_path, "v.yaml", "name: x\nvariants:\n  a: {cadrez: {}}\n"))
    assert "extends" not in err.value.problems[0].message  # not allowed inside a variant


def test_validate_recognises_a_sweep_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["validate", str(REPO / "scenarios" / "sweep-cadres.yaml")]) == 0
    assert "valid sweep file" in capsys.readouterr().out
    _write(tmp_path, "town.yaml", BASE)
    bad = _write(tmp_path, "sweep.yaml", """\
scenario: town.yaml
levers:
  cadres.liaisons.cont: {low: 1, high: 9, integer: true}
design: {name: grid, levels: 2}
outcomes: [mean_restart_day]
""")
    assert cli(["validate", str(bad)]) == 2
    assert "cadres.liaisons.cont" in capsys.readouterr().err


def test_a_sweep_parameter_lists_both_forms_of_keys(tmp_path: Path) -> None:
    from sim.sweep.spec import load_sweep

    _write(tmp_path, "town.yaml", BASE)
    bad = _write(tmp_path, "sweep.yaml", "scenario: town.yaml\nlevers:\n  cadres.liaisons.count: {low: 1, high: 3, "
                 "lvls: 2}\ndesign: {name: grid, levels: 2}\noutcomes: [mean_restart_day]\n")
    with pytest.raises(InputError) as err:
        load_sweep(bad)
    message = err.value.problems[0].message
    assert "Did you mean 'levels'?" in message and "low, high, integer, step, levels" in message
