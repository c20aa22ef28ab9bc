"""Workers coming back (复岗): origins with their own travel restrictions, point-to-point
transport, recruitment, and the worker and production series by size class and county.

The scenarios are tiny and deterministic given the seed (no problems, no outbreaks, cash for
years), and the variants differ in one workforce setting only. With common random numbers every
firm draws the same return quantiles in both variants, so the comparisons are exact, day by day,
not statistical.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.model.workforce import cohort_sizes, split_by_origin
from sim.model.world import run_replication
from sim.results.run_result import RunResult
from sim.scenario.schema import Scenario
from tests.conftest import tiny
from tests.test_invariants import check_groups_add_up, run_with_city

TOL = 1e-9

ORIGINS = [
    {"name": "near", "share": 0.7, "restrictions_end": "2020-02-03",
     "return_days": {"dist": "lognormal", "mean": 5, "cv": 1.0}},
    {"name": "far", "share": 0.3, "restrictions_end": "2020-02-10",
     "return_days": {"dist": "lognormal", "mean": 10, "cv": 1.0}},
]


def _scenario(**overrides: Any) -> Scenario:
    """Big above-scale firms (groups of 10+ workers per origin) and micro firms (groups of 1–3)."""
    base: dict[str, Any] = {
        "horizon_days": 80,
        "counties": [{"name": "a", "approval_reviewers": 2, "inspectors": 2},
                     {"name": "b", "approval_reviewers": 2, "inspectors": 2}],
        "population": {"strata": [
            {"name": "big", "count": 6, "size_class": "above_scale", "workers": 120, "readiness": 1.0,
             "nonlocal_share": 0.5, "cash_runway_days": 1000},
            {"name": "small", "count": 10, "size_class": "micro", "workers": 8, "readiness": 1.0,
             "nonlocal_share": 0.5, "cash_runway_days": 1000},
        ]},
        "workforce": {"local_return_days": 0.0, "origins": ORIGINS, "attrition_share": 0.1},
    }
    from sim.scenario.loader import deep_merge

    return tiny(**deep_merge(base, overrides))


def _run(sc: Scenario, replication: int = 0) -> RunResult:
    return run_replication(sc, "base", replication)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(a, b, equal_nan=True))


def test_stricter_restriction_delays_workers_and_output_not_restart() -> None:
    strict_origins = [dict(o) for o in ORIGINS]
    strict_origins[1]["restrictions_end"] = "2020-03-10"
    for rep in range(3):
        base = _run(_scenario(), rep)
        strict = _run(_scenario(workforce={"origins": strict_origins}), rep)
        assert _same(base.outcomes["restart_day"], strict.outcomes["restart_day"]), "restart moved"
        back_b, back_s = base.series["workers_back_share"], strict.series["workers_back_share"]
        assert np.all(back_s <= back_b + TOL), "a later end of restrictions brought workers back sooner"
        assert np.any(back_s < back_b - 1e-6), "a later end of restrictions changed nothing"
        assert np.all(strict.series["production_index"] <= base.series["production_index"] + TOL)
        assert strict.summary["output_lost"] > base.summary["output_lost"]


def test_no_worker_from_an_origin_before_its_restrictions_end_and_quarantine() -> None:
    # every non-local worker comes from one origin closed until day 40; no attrition, so the
    # workers back before day 40 + 14 are exactly the local half
    origin = [{"name": "closed", "share": 1.0, "restrictions_end": "2020-03-14",
               "return_days": {"dist": "lognormal", "mean": 5, "cv": 1.0}}]
    res = _run(_scenario(workforce={"origins": origin, "attrition_share": 0.0},
                         policies={"workforce": {"point_to_point": False}}))
    pop_workers = 6 * 120 + 10 * 8
    local = 6 * 60 + 10 * 4
    back = res.series["workers_back_share"] * pop_workers
    assert np.all(back[: 40 + 14 + 1] <= local + TOL)
    assert back[-1] > local + 1  # and they do come back afterwards
    # point-to-point from an earlier date (Wuhan's workers left by charter from 25 March) lets the
    # big firms' groups leave sooner
    early = [dict(origin[0], point_to_point_from="2020-02-23")]
    res2 = _run(_scenario(workforce={"origins": early, "attrition_share": 0.0}))
    back2 = res2.series["workers_back_share"] * pop_workers
    assert back2[40 + 14] > local + 1


def test_point_to_point_shortens_the_lag_only_for_firms_that_use_it() -> None:
    for rep in range(3):
        on = _run(_scenario(policies={"workforce": {"point_to_point": True}}), rep)
        off = _run(_scenario(policies={"workforce": {"point_to_point": False}}), rep)
        users = on.outcomes["point_to_point_workers"] > 0
        size = on.attributes["size_class"]
        assert (size == "above_scale").any() and (size == "micro").any()
        assert users[size == "above_scale"].all() and not users[size == "micro"].any()
        assert on.summary["point_to_point_cost"] > 0 and off.summary["point_to_point_cost"] == 0
        # firms that do not use it: the same day by day
        assert _same(on.series["workers_back_share_micro"], off.series["workers_back_share_micro"])
        assert _same(on.outcomes["full_production_day"][~users], off.outcomes["full_production_day"][~users])
        # firms that use it: never later, and sooner on some day
        a_on, a_off = on.series["workers_back_share_above_scale"], off.series["workers_back_share_above_scale"]
        assert np.all(a_on >= a_off - TOL) and np.any(a_on > a_off + 1e-6)
        assert np.all(on.outcomes["full_production_day"][users] <= off.outcomes["full_production_day"][users] + TOL)
        assert _same(on.outcomes["restart_day"], off.outcomes["restart_day"])


def test_postings_only_where_firms_use_them_and_have_vacancies() -> None:
    none = _run(_scenario(policies={"workforce": {"postings_uptake": {"above_scale": 0.0, "micro": 0.0}}}))
    every = _run(_scenario(policies={"workforce": {"postings_uptake": {"above_scale": 1.0, "micro": 1.0}}}))
    assert none.summary["postings"] == 0 and none.summary["posting_firms"] == 0
    # every firm with vacancies posts (micro firms: 4 non-local, round(3.6) = 4 return, none leave)
    has_vacancies = every.attributes["size_class"] == "above_scale"
    assert np.array_equal(every.outcomes["postings"] > 0, has_vacancies)
    # posting fills more vacancies (0.9 against 0.6 of 6 per firm), never more than there are
    assert every.summary["hires"] > none.summary["hires"]
    assert every.outcomes["hires"].max() <= 6


def test_series_by_class_and_county_add_up_to_the_city() -> None:
    result, city = run_with_city(_scenario())
    assert "production_index_a" in result.series and "workers_back_share_sme" not in result.series
    check_groups_add_up(result, city)
    result.series["workers_back_share_micro"] = result.series["workers_back_share_micro"] * 1.01
    try:
        check_groups_add_up(result, city)
    except AssertionError as exc:
        assert "does not add up" in str(exc)
    else:
        raise AssertionError("a broken split went unnoticed")


@given(st.integers(0, 500), st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6), st.floats(1e-9, 1 - 1e-9))
def test_split_by_origin_is_a_rounding_of_the_shares(n: int, shares: list[float], u: float) -> None:
    counts = split_by_origin(n, shares, u)
    assert sum(counts) == (n if sum(shares) > 0 else 0)
    if sum(shares) > 0:
        for c, s in zip(counts, shares, strict=True):
            assert abs(c - n * s / sum(shares)) < 1 + 1e-9
            if s == 0:
                assert c == 0


def test_split_by_origin_is_unbiased_over_the_draw() -> None:
    # averaged over a fine grid of u, a firm's count from each origin is n × share exactly
    shares = [0.74, 0.24, 0.015, 0.005]
    grid = (np.arange(20_000) + 0.5) / 20_000
    mean = np.mean([split_by_origin(3, shares, float(u)) for u in grid], axis=0)
    assert np.allclose(mean, 3 * np.array(shares), atol=1e-3)


def test_cohort_sizes() -> None:
    assert cohort_sizes(7, 3) == [3, 2, 2]
    assert cohort_sizes(2, 3) == [1, 1]
    assert cohort_sizes(0, 3) == []


def test_a_liaisons_help_with_postings_takes_its_working_hours() -> None:
    # One firm, 10 workers, half non-local and half of those never back: 2 or 3 vacancies, posted online
    # with its liaison's help. The recruits come a fixed 30 days after the postings are out (after every
    # returning worker), so two
    # working days of help (16 of 8 hours a day) put them about two days later than near-instant help.
    def arrivals(hours: float) -> float:
        sc = tiny(horizon_days=90,
                  population={"strata": [{"name": "s", "count": 1, "workers": 10, "readiness": 1.0,
                                          "nonlocal_share": 0.5, "cash_runway_days": 1000}]},
                  workforce={"attrition_share": 0.5, "recruitment_days": 60.0},
                  cadres={"dispatch_day": 0.0, "liaisons": {"posting_help_hours": hours}},
                  policies={"coverage": {"name": "one_plus_one_plus_one", "supervisors": False},
                            "workforce": {"postings_uptake": {"sme": 1.0}, "postings_recruitment_factor": 0.5}})
        result, city = run_with_city(sc)
        assert result.outcomes["postings"][0] > 0 and result.outcomes["hires"][0] > 0
        restart = float(result.outcomes["restart_day"][0])
        # the day the recruits arrive: the last change in the number of workers present
        t = np.asarray(city.log.times, dtype=float)[np.asarray(city.log.d_workers) > 0]
        return float(t.max()) - restart
    quick, slow = arrivals(0.01), arrivals(16.0)
    assert 30.0 <= quick < 31.0, quick
    assert 1.5 <= slow - quick <= 3.0, (quick, slow)
