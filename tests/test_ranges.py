"""One declaration of a parameter with a range, and one sampler, for sweeps, optimisation, robustness and calibration.

The parameter checks its own bounds, maps the unit interval onto its values (whole numbers on their
step and levels equally likely), binds its paths to a scenario with planner-readable problems, and
sets or scales values; every design is drawn in the unit cube from an explicit seed and mapped onto
the parameters by the same function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from sim.experiment.designs import (
    GridDesign,
    LatinHypercubeDesign,
    MorrisDesign,
    RandomDesign,
    SobolDesign,
    design_points,
    point_count,
    unit_points,
)
from sim.scenario.ranges import Parameter, plausible_parameters, resolve
from sim.scenario.schema import Scenario
from sim.scenario.uncertainty import UncertainParameter

# -- the declaration ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("entry", "words"), [
    ({"low": 3, "high": 1}, "'low' (3) must be below 'high' (1)"),
    ({"low": 1}, "'high' is missing"),
    ({"low": 0.5, "high": 3, "integer": True}, "must be whole numbers"),
    ({"low": 0, "high": 30, "step": 10}, "'step' spaces whole numbers"),
    ({"low": 0, "high": 30, "step": 7, "integer": True}, "multiple of 'step' (7)"),
    ({"low": 0, "high": 2, "how": "scale"}, "a scale factor must be above 0"),
    ({"low": 1, "high": 2, "how": "scale", "integer": True}, "apply to how: set"),
    ({"levels": [1, 2], "low": 0}, "not both"),
    ({"levels": ["a", "a"]}, "levels must be distinct"),
    ({"levels": ["a", "b"], "how": "scale"}, "every level is a factor above 0"),
    ({"low": 0, "high": 1, "provenance": "a guess"}, "a provenance note starts with one of"),
    ({"low": 0, "high": 1, "paths": ["a b"]}, "is not a dotted parameter path"),
])
def test_a_parameter_checks_its_own_bounds(entry: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError, match=words.replace("(", r"\(").replace(")", r"\)")):
        Parameter.model_validate({"paths": ["x"], **entry})


def test_whole_numbers_on_their_step_and_levels_are_equally_likely() -> None:
    u = (np.arange(3000) + 0.5) / 3000  # the midpoints of 3,000 equal strata
    stepped = Parameter(paths=["x"], low=0, high=30, step=10, integer=True)
    values = stepped.from_unit(u)
    assert sorted(set(values)) == stepped.values() == [0, 10, 20, 30]
    assert all(values.count(v) == 750 for v in (0, 10, 20, 30))
    words = Parameter(paths=["y"], levels=["a", "b", "c"]).from_unit(u)
    assert all(words.count(w) == 1000 for w in "abc")
    continuous = Parameter(paths=["z"], low=0.1, high=0.3)
    assert continuous.from_unit(np.array([0.0, 0.5, 1.0])) == pytest.approx([0.1, 0.2, 0.3])
    assert continuous.from_unit(np.array([0.7]), digits=12) == [0.24]  # 0.24 instead of 0.24000000000000002
    assert stepped.grid(3) == [0, 20, 30] and Parameter(paths=["w"], low=1, high=4, integer=True).grid(3) == [1, 2, 4]


def test_a_resolved_scenario_lists_an_uncertainty_as_it_was_written() -> None:
    """The dump of an uncertainty: entry has the keys it always had (resolved scenarios and run keys stay the
    same); a levels parameter leaves its unused range keys out."""
    entry = UncertainParameter(name="r", paths=["rate"], low=0.1, high=0.9, provenance="assumption: test")
    assert list(entry.model_dump(mode="json")) == ["name", "paths", "how", "low", "high", "integer", "provenance"]
    levels = Parameter(paths=["p"], group="lever", levels=["standard", "fast_track"], unit="procedure")
    assert levels.model_dump(mode="json") == {"name": "", "paths": ["p"], "group": "lever", "how": "set",
                                              "integer": False, "levels": ["standard", "fast_track"],
                                              "unit": "procedure", "provenance": ""}
    with pytest.raises(ValidationError, match="levels belong in sweep files"):
        UncertainParameter(paths=["rate"], levels=[0.1, 0.2], provenance="assumption: test")


# -- binding to a scenario ----------------------------------------------------------------------------------

DATA = {"counties": [{"inspectors": 1, "name": "a"}, {"inspectors": 4, "name": "b"}], "rate": 0.4, "own": None,
        "review": {"dist": "lognormal", "mean": 2.0, "cv": 0.5}, "empty": []}


@pytest.mark.parametrize(("paths", "entry", "words"), [
    (["counties[*].inspector"], {"low": 1, "high": 2}, "Did you mean 'inspectors'?"),
    (["counties[*].name"], {"low": 1, "high": 2}, "not a number ('a')"),
    (["review"], {"low": 1, "high": 2}, "e.g. review.mean: a distribution's numbers are its fields"),
    (["empty[*]"], {"low": 1, "high": 2}, "names no value"),
    (["own"], {"low": 1, "high": 2, "how": "scale"}, "not a number (None)"),
])
def test_a_path_that_does_not_fit_the_scenario_says_why(paths: list[str], entry: dict[str, Any], words: str) -> None:
    _, issues = resolve([Parameter(paths=paths, **entry)], DATA)
    assert len(issues) == 1 and issues[0][:2] == (0, 0) and words in issues[0][2], issues


def test_no_value_is_set_by_two_parameters_and_levels_may_name_anything() -> None:
    first = Parameter(paths=["counties[*].inspectors"], low=1, high=3, integer=True)
    again = Parameter(name="again", paths=["rate", "counties[1].inspectors"], low=1, high=3, integer=True)
    _, issues = resolve([first, again], DATA)
    assert issues == [(1, 1, "'counties[1].inspectors' sets counties[1].inspectors, which "
                             "'counties[*].inspectors' already sets; each scenario value may be set by one parameter")]
    bindings, issues = resolve([Parameter(paths=["counties[*].name"], levels=["x", "y"]),
                                Parameter(paths=["own"], low=1, high=2)], DATA)  # an empty optional number is set
    assert issues == [] and bindings[0].dotted == ("counties[0].name", "counties[1].name")


def test_a_binding_sets_or_scales_and_keeps_whole_numbers_whole() -> None:
    data: dict[str, Any] = {"counties": [{"inspectors": 1}, {"inspectors": 4}], "rate": 0.4, "n": 3}
    (scale, rate, n), issues = resolve([
        Parameter(paths=["counties[*].inspectors"], low=0.25, high=2, how="scale"),
        Parameter(paths=["rate"], low=0.1, high=0.9),
        Parameter(paths=["n"], low=1, high=9)], data)
    assert not issues and scale.whole and not rate.whole and scale.start == 2.5
    scale.apply(data, 0.3)  # 0.3 and 1.2, rounded, and never below 1
    rate.apply(data, 0.7)
    n.apply(data, 5.0)  # a whole float at a whole number stays an int
    assert data == {"counties": [{"inspectors": 1}, {"inspectors": 1}], "rate": 0.7, "n": 5}
    assert isinstance(data["n"], int)


def test_the_schema_s_plausible_ranges_are_parameters() -> None:
    declared = {p.label: p for p in plausible_parameters(Scenario())}
    reviewers = declared["counties[*].approval_reviewers"]
    assert (reviewers.low, reviewers.high, reviewers.integer, reviewers.unit) == (1, 8, True, "reviewers")
    assert reviewers.provenance.startswith("assumption:")
    assert "registration.desks" in declared


# -- the sampler --------------------------------------------------------------------------------------------

PARAMS = [Parameter(paths=["a"], low=2, high=5, integer=True), Parameter(paths=["b"], low=0.1, high=0.2),
          Parameter(paths=["c"], levels=["x", "y", "z"])]


@pytest.mark.parametrize("design", [
    GridDesign(name="grid", levels=3), RandomDesign(name="random", samples=20),
    LatinHypercubeDesign(name="latin_hypercube", samples=20), SobolDesign(name="sobol", samples=8),
    MorrisDesign(name="morris", samples=4, levels=4)], ids=lambda d: d.name)
def test_every_design_is_drawn_in_the_unit_cube_from_its_seed(design: Any) -> None:
    unit = unit_points(PARAMS, design, seed=1)
    assert unit.shape == (point_count(PARAMS, design), 3)
    assert np.all((unit >= 0) & (unit <= 1))
    assert np.array_equal(unit, unit_points(PARAMS, design, seed=1))
    if design.name != "grid":
        assert not np.array_equal(unit, unit_points(PARAMS, design, seed=2))
        assert np.array_equal(unit_points(PARAMS, design.model_copy(update={"seed": 2}), seed=1),
                              unit_points(PARAMS, design, seed=2))  # a design's own seed comes first
    points = design_points(PARAMS, design, seed=1)
    assert all(2 <= v["a"] <= 5 and 0.1 <= v["b"] <= 0.2 and v["c"] in "xyz" for v in points.values)


def test_robustness_draws_its_latin_hypercube_with_the_sweeps_sampler() -> None:
    """The robustness points are scipy's Latin hypercube from the scenario seed, mapped onto each range
    with every digit (as before the sampler was shared), and the same points a sweep's design gives."""
    from scipy.stats import qmc

    from sim.experiment.robustness import draw_points

    params = [UncertainParameter(paths=["counties[*].inspectors"], how="scale", low=0.5, high=4,
                                 provenance="assumption: test"),
              UncertainParameter(paths=["cadres.liaisons.count"], low=300, high=1500, integer=True,
                                 provenance="assumption: test")]
    drawn = draw_points(params, 7, seed=11)
    unit = qmc.LatinHypercube(d=2, rng=np.random.default_rng(11)).random(7)
    assert np.array_equal(drawn[:, 0], 0.5 + unit[:, 0] * 3.5)
    assert np.array_equal(drawn[:, 1], np.minimum(np.floor(300 + unit[:, 1] * 1201), 1500))
    swept = design_points(params, LatinHypercubeDesign(name="latin_hypercube", samples=7), seed=11, digits=None)
    assert np.array_equal(drawn, np.array(swept.columns, dtype=float).T)


def test_a_sweep_may_scale_a_value_and_step_whole_numbers(tmp_path: Path) -> None:
    from sim.scenario.loader import load_scenario
    from sim.sweep.run import ScenarioModel
    from sim.sweep.spec import load_sweep

    (tmp_path / "small.yaml").write_text("name: s\nhorizon_days: 30\ncounties:\n"
                                         "  - {name: a, approval_reviewers: 4, inspectors: 2}\n"
                                         "  - {name: b, approval_reviewers: 2, inspectors: 2}\n"
                                         "population: {strata: [{name: firms, count: 10}]}\n")
    (tmp_path / "sweep.yaml").write_text(
        "scenario: small.yaml\nlevers:\n  counties[*].approval_reviewers: {how: scale, low: 0.5, high: 2}\n"
        "  cadres.liaisons.count: {low: 0, high: 30, integer: true, step: 10, unit: cadres}\n"
        "design: {name: grid, levels: 2}\noutcomes: [mean_restart_day]\n")
    spec = load_sweep(tmp_path / "sweep.yaml")
    model = ScenarioModel(load_scenario(spec.scenario_path).base, spec)
    points = design_points(spec.parameters, spec.design, model.seed)
    assert [tuple(v.values()) for v in points.values] == [(0.5, 0), (0.5, 30), (2.0, 0), (2.0, 30)]
    half = model.prepare(0, points.values[0])[0].scenario
    double = model.prepare(3, points.values[3])[0].scenario
    assert [c.approval_reviewers for c in half.counties] == [2, 1]  # 4 and 2 halved (whole, at least 1)
    assert [c.approval_reviewers for c in double.counties] == [8, 4]
    assert (half.cadres.liaisons.count, double.cadres.liaisons.count) == (0, 30)
