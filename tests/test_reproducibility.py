"""Same scenario and seed give the same results, whatever the workers; CRN across variants."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiment.runner import Task, execute
from sim.model.world import run_replication
from tests.conftest import tiny


def _scenario():  # type: ignore[no-untyped-def]
    return tiny(population={"strata": [
        {"name": "a", "count": 60, "workers": {"dist": "lognormal", "mean": 20, "cv": 1.0}},
        {"name": "b", "count": 30, "size_class": "above_scale", "priority": "essential",
         "already_running_share": 0.3}]},
        approval={"preparation_days": {"dist": "exponential", "mean": 2}, "rework_probability": 0.3,
                  "review_days": {"dist": "exponential", "mean": 0.3}},
        problems={"kinds": [{"kind": "labour", "department": "human_resources", "expected_per_enterprise": 1.0}]},
        outbreak={"hazard_per_worker": 1e-3},
        horizon_days=60,
        policies={"coverage": {"name": "one_plus_one_plus_one"}, "loans": {"enabled": True}},
        cadres={"liaisons": {"count": 10}, "supervisors": {"count": 5}})


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    """Every outcome, series and summary figure of two runs identical (the same names, none missing)."""
    for table in ("outcomes", "series", "summary"):
        mine, theirs = getattr(a, table), getattr(b, table)
        assert mine.keys() == theirs.keys(), table
        assert len(mine) >= 10, f"only {len(mine)} {table} compared"
        for key in mine:
            np.testing.assert_equal(mine[key], theirs[key], err_msg=f"{table}: {key}")


def test_the_comparison_of_two_runs_can_fail() -> None:
    """_same rejects two replications that differ, and a run missing one of its series."""
    sc = _scenario()
    a = run_replication(sc, "base", 0)
    with pytest.raises(AssertionError, match="outcomes"):
        _same(a, run_replication(sc, "base", 1))
    shorter = run_replication(sc, "base", 0)
    del shorter.series["resumed_share"]
    with pytest.raises(AssertionError, match="series"):
        _same(a, shorter)


def test_same_seed_same_results() -> None:
    sc = _scenario()
    _same(run_replication(sc, "base", 3), run_replication(sc, "base", 3))


def test_replications_differ() -> None:
    sc = _scenario()
    a, b = run_replication(sc, "base", 0), run_replication(sc, "base", 1)
    assert not np.array_equal(a.outcomes["restart_day"], b.outcomes["restart_day"], equal_nan=True)


def test_identical_variant_gives_identical_results() -> None:
    sc = _scenario()
    twin = sc.model_validate(sc.model_dump(by_alias=True))
    _same(run_replication(sc, "base", 2), run_replication(twin, "twin", 2))


def test_results_do_not_depend_on_workers() -> None:
    sc = _scenario()
    tasks = [Task("base", r, sc) for r in range(3)]
    one = execute(tasks, workers=1, progress=False)
    two = execute(tasks, workers=2, progress=False)
    for a, b in zip(one, two, strict=True):
        _same(a, b)


def test_policy_change_keeps_unrelated_draws() -> None:
    """Common random numbers: a faster review leaves preparation and population draws alone."""
    sc = _scenario()
    fast = sc.model_validate({**sc.model_dump(by_alias=True),
                              "policies": {**sc.model_dump(by_alias=True)["policies"],
                                           "approval": {"name": "standard", "review_time_factor": 0.5}}})
    a, b = run_replication(sc, "base", 0), run_replication(fast, "fast", 0)
    np.testing.assert_array_equal(a.outcomes["application_day"], b.outcomes["application_day"])
    np.testing.assert_array_equal(a.outcomes["cash_start"], b.outcomes["cash_start"])
