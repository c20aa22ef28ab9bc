"""Loading scenario files: good files load, bad ones fail with file:line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import InputError
from sim.scenario.loader import load_scenario, load_scenario_text
from sim.scenario.schema import Scenario, scenario_json_schema

# scenario files (sweep files, sweep-*.yaml, have their own schema and tests)
SCENARIOS = sorted(p for p in (Path(__file__).parent.parent / "scenarios").glob("*.yaml")
                   if not p.name.startswith("sweep-"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_bundled_scenarios_are_valid(path: Path) -> None:
    loaded = load_scenario(path)
    assert loaded.base.name


def _error(text: str) -> InputError:
    with pytest.raises(InputError) as info:
        load_scenario_text(text, "bad.yaml")
    return info.value


def test_misspelt_key_names_line_and_suggests() -> None:
    err = _error("name: x\ncadres:\n  liasons: {count: 3}\n")
    (p,) = err.problems
    assert (p.file, p.line, p.key) == ("bad.yaml", 3, "cadres.liasons")
    assert "Did you mean 'liaisons'" in p.message


def test_negative_count_is_refused_with_its_key() -> None:
    err = _error("population:\n  strata:\n    - name: a\n      count: -5\n")
    (p,) = err.problems
    assert p.key == "population.strata[0].count" and p.line == 4
    assert "at least 0" in p.message


def test_string_where_number_belongs() -> None:
    err = _error("horizon_days: soon\n")
    (p,) = err.problems
    assert p.key == "horizon_days" and p.line == 1 and "valid number" in p.message


def test_duplicate_keys_are_errors() -> None:
    err = _error("name: a\nseed: 1\nseed: 2\n")
    (p,) = err.problems
    assert p.line == 3 and "duplicate key 'seed'" in p.message


def test_variant_unknown_key_points_into_the_variant() -> None:
    err = _error("name: a\nvariants:\n  v1:\n    cadres:\n      dispatch_dya: 3\n")
    (p,) = err.problems
    assert p.line == 5 and p.key is not None and p.key.startswith("variants.v1")


def test_variant_cannot_change_the_seed() -> None:
    err = _error("name: a\nvariants:\n  v1:\n    seed: 3\n")
    assert any("common random numbers" in p.message for p in err.problems)


def test_variants_deep_merge_into_the_base() -> None:
    loaded = load_scenario_text(
        "name: a\ncadres:\n  liaisons: {count: 10, enterprises_per_cadre: 4}\n"
        "variants:\n  more:\n    cadres:\n      liaisons: {count: 20}\n", "ok.yaml")
    more = loaded.variants["more"]
    assert more.cadres.liaisons.count == 20
    assert more.cadres.liaisons.enterprises_per_cadre == 4  # kept from the base
    assert loaded.base.cadres.liaisons.count == 10


def test_provenance_keys_must_name_parameters() -> None:
    err = _error("name: a\nprovenance:\n  cadres.liaisons.cnt: 'source: x'\n")
    assert err.problems[0].key == "provenance.cadres.liaisons.cnt"
    ok = load_scenario_text("name: a\nprovenance:\n  cadres.liaisons.count: 'source: x'\n", "ok.yaml")
    assert ok.provenance == {"cadres.liaisons.count": "source: x"}


def test_every_parameter_has_unit_and_provenance() -> None:
    """Walk the JSON Schema: every leaf parameter with a default declares unit and provenance."""
    schema = scenario_json_schema()
    missing: list[str] = []

    def visit(props: dict, where: str) -> None:  # type: ignore[type-arg]
        for name, spec in props.items():
            if "unit" in spec or "$ref" in spec or "allOf" in spec or name in ("name", "description", "variants", "extends",
                                                                               "provenance", "dist", "kind",
                                                                               "department", "county", "sector",
                                                                               "size_class", "priority", "csv",
                                                                               "grid", "strata"):
                continue
            if spec.get("type") in ("object", "array") or "anyOf" in spec or "oneOf" in spec:
                continue
            missing.append(f"{where}.{name}")

    visit(schema["properties"], "scenario")
    for model, spec in schema["$defs"].items():
        if model in ("Fixed", "Exponential", "Uniform", "Triangular", "LogNormal"):
            continue  # shape of a distribution: the field using it carries unit and provenance
        visit(spec.get("properties", {}), model)
    assert not missing, f"parameters without unit/provenance: {missing}"


def test_defaults_validate() -> None:
    assert Scenario().horizon_days == 120


def test_switching_policy_kind_drops_the_old_settings() -> None:
    loaded = load_scenario_text(
        "name: a\npolicies:\n  approval: {name: standard, review_time_factor: 1.0, max_rounds: 5}\n"
        "approval:\n  review_days: {dist: lognormal, mean: 1, cv: 0.5}\n"
        "variants:\n  ft:\n    policies:\n      approval: {name: fast_track}\n"
        "  fixed:\n    approval:\n      review_days: {dist: fixed, value: 1}\n", "ok.yaml")
    ft = loaded.variants["ft"].policies.approval
    assert ft.name == "fast_track" and ft.review_time_factor == 0.5 and ft.max_rounds == 2
    assert loaded.variants["fixed"].approval.review_days.dist == "fixed"
