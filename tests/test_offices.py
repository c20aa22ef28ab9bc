"""Offices as scenario data: a second approval office is an entry of ``offices:``, not new code.

Tiny scenarios with fixed durations check where a firm's application goes and
when it is served, to the day.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.model.world import run_replication
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario
from tests.conftest import tiny

SCENARIOS = Path(__file__).parent.parent / "scenarios"

THREE = {"population": {"strata": [
    {"name": "a", "count": 2, "workers": 10, "readiness": 1.0, "nonlocal_share": 0.0, "cash_runway_days": 1000},
    {"name": "e", "count": 1, "workers": 10, "readiness": 1.0, "nonlocal_share": 0.0, "cash_runway_days": 1000,
     "priority": "essential"}]}}


def test_a_desk_that_serves_essential_firms_takes_their_applications() -> None:
    # one county reviewer, 2 days a review, everyone applies on day 1: first come first served
    alone = run_replication(tiny(**THREE), "base", 0).outcomes["approval_day"]
    assert list(alone) == [3.0, 5.0, 7.0]
    # a special desk for essential firms (专窗) reviews the essential firm beside the county office
    desk = {**THREE, "offices": {"essential_desk": {"kind": "approval", "servers": 1, "serves": ["essential"]}}}
    both = run_replication(tiny(**desk), "base", 0).outcomes["approval_day"]
    assert list(both) == [3.0, 5.0, 3.0]


def test_a_project_step_that_names_an_office_queues_there() -> None:
    # two new projects, a project office with one reviewer and 10 working days a review: the second waits
    projects = {"population": {"strata": [{"name": "p", "count": 2, "workers": 10, "readiness": 1.0,
                                           "nonlocal_share": 0.0, "cash_runway_days": 1000,
                                           "new_project_share": 1.0}]},
                "offices": {"project_office": {"kind": "approval", "servers": 1}},
                "new_projects": {"steps": [{"name": "project_approval", "office": "project_office", "days": 10.0}],
                                 "setup_days": 0.0},
                "registration": {"background_per_day": 0.0, "service_days": 0.0, "licence_days_standard": 0.0}}
    o = run_replication(tiny(**projects), "base", 0).outcomes
    assert sorted(o["approval_day"]) == [10.0, 20.0]
    # with two reviewers, no wait
    two = {**projects, "offices": {"project_office": {"kind": "approval", "servers": 2}}}
    assert list(run_replication(tiny(**two), "base", 0).outcomes["approval_day"]) == [10.0, 10.0]


def test_an_unknown_office_or_a_misplaced_serves_is_refused() -> None:
    with pytest.raises(ValueError, match="names office 'nowhere'"):
        Scenario.model_validate({"new_projects": {"steps": [{"name": "x", "office": "nowhere"}]}})
    with pytest.raises(ValueError, match="only an approval office serves restart applications"):
        Scenario.model_validate({"offices": {"desk": {"kind": "inspection", "serves": ["essential"]}}})
    with pytest.raises(ValueError, match="unknown serves keys"):
        Scenario.model_validate({"offices": {"desk": {"kind": "approval", "serves": ["vip"]}}})


@pytest.mark.slow  # about 4 s of CPU: the bundled scenario at its full population
def test_the_bundled_project_office_scenario_runs_its_new_projects_through_the_office() -> None:
    loaded = load_scenario(SCENARIOS / "project-office.yaml")
    sc = loaded.base.model_copy(update={"horizon_days": 40.0})
    r = run_replication(sc, "base", 0)
    projects = np.array([i.startswith("new_projects") for i in r.enterprise_ids])
    assert projects.sum() == 20 and np.isfinite(r.outcomes["approval_day"][projects]).all()
    # the office is an approval office: its queue counts in the approval queue series
    assert r.series["approval_queue"].max() > 0
