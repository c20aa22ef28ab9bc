"""Mechanisms as modules: what each declares is what it does, and a city is composed of them.

The baseline scenario exercises every mechanism (approval with rework, inspection, cadres in grids,
preparation, workers, problems, loans, relief, outbreaks, new projects); its run must draw only declared
random streams, produce exactly the declared summary metrics, series and outcome columns, and every
declaration must carry its labels. A city accepts the modules it is given (a test injects its own
instead of patching a class), and a module's dependencies are the modules its ``connect`` names.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.model import catalogue
from sim.model.enterprise import Enterprise
from sim.model.module import Module
from sim.model.registry import MODULES, all_modules
from sim.model.world import City
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario
from tests.conftest import tiny

BASELINE = Path(__file__).parent / "baseline" / "scenario.yaml"


@pytest.fixture(scope="module")
def baseline_run() -> tuple[City, dict[str, float], dict[str, np.ndarray]]:
    sc = load_scenario(BASELINE).base
    city = City(sc, 0)
    city.run()
    result = city.collect("base", city.events_scheduled(), 0.0)
    return city, result.summary, result.series


def test_every_stream_a_run_draws_is_declared_by_one_module(baseline_run: tuple) -> None:  # type: ignore[type-arg]
    city, _, _ = baseline_run
    undeclared = sorted(p for p in city.streams.purposes if catalogue.stream_owner(p) is None)
    assert not undeclared, f"streams drawn but declared by no module: {undeclared}"
    assert len(city.streams.purposes) >= 30, "the baseline run should exercise most streams"


def test_a_stream_declared_twice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class Twin(Module):
        name = "twin"
        STREAMS = ("review",)  # the approval module's

    catalogue.stream_owners.cache_clear()
    monkeypatch.setattr(catalogue, "all_modules", lambda: (*all_modules(), Twin))
    try:
        with pytest.raises(ValueError, match="'review' is declared by both 'approval' and 'twin'"):
            catalogue.stream_owners()
    finally:
        catalogue.stream_owners.cache_clear()


def test_the_summary_is_exactly_the_declared_metrics(baseline_run: tuple) -> None:  # type: ignore[type-arg]
    city, summary, _ = baseline_run
    undeclared = [k for k in summary if catalogue.metric(k) is None]
    assert not undeclared, f"summary columns no module declares: {undeclared}"
    missing = [k for k in catalogue.summary_keys() if k not in summary]
    assert not missing, f"declared metrics the run did not produce: {missing}"
    # a metric declared by size class or county has its group columns
    assert {f"failed_share_{s}" for s in ("above_scale", "sme", "micro")} <= set(summary)
    assert {f"liaison_coverage_{c}" for c in city.pop.county_names} <= set(summary)


def test_the_series_and_outcomes_are_exactly_the_declared_ones(baseline_run: tuple) -> None:  # type: ignore[type-arg]
    city, _, series = baseline_run
    undeclared = [k for k in series if k != "day" and catalogue.series_of(k) is None]
    assert not undeclared, f"series no module declares: {undeclared}"
    assert set(catalogue.series()) <= set(series)
    assert set(city.outcomes.columns) == set(catalogue.outcomes())


def test_every_declaration_has_its_labels_and_units() -> None:
    for m in catalogue.metrics().values():
        assert m.label[0] and m.label[1] and m.unit and m.meaning, m.key
    for s in catalogue.series().values():
        assert s.label[0] and s.label[1] and s.unit and s.meaning, s.key
    # a group column's label is composed from its group's
    assert catalogue.label("workers_back_share_above_scale", "zh") == "规上企业复岗率"
    assert catalogue.label("failed_share_micro", "en") == "failed, micro firms"
    assert catalogue.label("not_a_metric") is None


def test_defaults_of_the_decision_come_from_the_declarations() -> None:
    assert catalogue.direction("mean_restart_day") == -1 and catalogue.direction("restarted_share") == 1
    assert catalogue.direction("loans_disbursed") == 0
    assert catalogue.default_mids()["jobs_lost"] == 100.0
    assert catalogue.headline("scorecard")[0] == "mean_restart_day"
    assert catalogue.costs()[:2] == ("cadre_days_deployed", "reviewer_days")


class CountingProduction(MODULES[0]):  # type: ignore[misc, valid-type]
    """The production module, also counting the firms that restart (a module a test brings)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.restarts = 0

    def restarting(self, ent: Enterprise) -> None:
        super().restarting(ent)
        self.restarts += 1


def test_a_city_is_composed_of_the_modules_it_is_given() -> None:
    sc = tiny()
    modules = [CountingProduction if cls is MODULES[0] else cls for cls in all_modules()]
    city = City(sc, 0, modules=modules)
    city.run()
    counted = city.modules["production"].restarts  # type: ignore[attr-defined]
    assert counted == int((~np.isnan(city.outcomes["restart_day"])).sum()) == 2
    # the default city is unchanged by the test's module
    plain = City(sc, 0)
    assert not hasattr(plain.modules["production"], "restarts")


def test_a_module_that_connects_to_a_missing_module_is_a_clear_error() -> None:
    class Lonely(Module):
        name = "lonely"

        def connect(self, nowhere: object) -> None:
            raise AssertionError("not called")

    with pytest.raises(ValueError, match="'lonely' connects to \\['nowhere'\\]"):
        City(tiny(), 0, modules=[*all_modules(), Lonely])


def test_two_modules_may_not_share_a_name() -> None:
    with pytest.raises(ValueError, match="two modules are named 'production'"):
        City(tiny(), 0, modules=[*all_modules(), MODULES[0]])


def test_relief_measures_are_chosen_by_name_under_policies() -> None:
    sc = Scenario.model_validate({"policies": {"relief": {"tax_deferral": {"enabled": False}}}})
    assert sc.policies.relief.tax_deferral.enabled is False
    assert sc.policies.relief.unemployment_insurance_refund.enabled is True
    with pytest.raises(ValueError, match="rent_holiday"):
        Scenario.model_validate({"policies": {"relief": {"rent_holiday": {}}}})
