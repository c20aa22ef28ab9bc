"""Kaplan–Meier restart curves: the product-limit estimate by hand, censoring at the horizon."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.analysis.survival import (
    censored_restarts,
    kaplan_meier,
    km_frame,
    restart_curves,
    survival_frame,
)
from sim.model.world import run_replication
from tests.conftest import tiny


def test_product_limit_estimate_matches_hand_computation() -> None:
    # restarts at 1, 3, 3, 5, 8; still closed (censored) at 4, 6, 10, 10
    times = [1, 3, 3, 5, 8, 4, 6, 10, 10]
    observed = [True] * 5 + [False] * 4
    km = kaplan_meier(times, observed, grid=np.arange(11))
    # t=1: 9 at risk, 1 restarts → 8/9; t=3: 8 at risk, 2 → ×6/8 = 2/3; t=4 censored;
    # t=5: 5 at risk, 1 → ×4/5 = 8/15; t=6 censored; t=8: 3 at risk, 1 → ×2/3 = 16/45
    expected = [1, 8 / 9, 8 / 9, 2 / 3, 2 / 3, 8 / 15, 8 / 15, 8 / 15, 16 / 45, 16 / 45, 16 / 45]
    assert km.survival == pytest.approx(expected)
    assert km.enterprises == 9 and km.events == 5
    assert km.median == 8.0  # first time S ≤ 1/2
    # Greenwood at t=1: V = 1/(9·8); log-log band: S^exp(±1.96·√V/|log S|)
    s = 8 / 9
    sigma = math.sqrt(1 / 72) / abs(math.log(s))
    assert km.ci_low[1] == pytest.approx(s ** math.exp(1.959964 * sigma), abs=1e-5)
    assert km.ci_high[1] == pytest.approx(s ** math.exp(-1.959964 * sigma), abs=1e-5)
    assert km.ci_low[0] == km.ci_high[0] == 1.0  # nobody restarted yet: no uncertainty
    assert np.all(km.ci_low <= km.survival + 1e-12) and np.all(km.survival <= km.ci_high + 1e-12)
    assert km.median_ci_low <= km.median
    assert math.isnan(km.median_ci_high) or km.median_ci_high >= km.median


def test_still_closed_firms_are_censored_at_the_horizon_not_dropped() -> None:
    times, observed = censored_restarts([2.0, math.nan, 5.0, math.nan], horizon=30.0)
    assert list(times) == [2.0, 30.0, 5.0, 30.0]
    assert list(observed) == [True, False, True, False]
    km = kaplan_meier(times, observed, grid=[0, 2, 5, 30])
    # with every censoring at the horizon the curve is the share still closed: 4/4, 3/4, 2/4, 2/4
    assert km.survival == pytest.approx([1.0, 0.75, 0.5, 0.5])
    assert km.median == 5.0


def test_everyone_closed_or_everyone_restarted() -> None:
    closed = kaplan_meier([30.0, 30.0], [False, False], grid=[0, 10, 30])
    assert list(closed.survival) == [1.0, 1.0, 1.0] and math.isnan(closed.median)
    assert list(closed.ci_low) == [1.0, 1.0, 1.0]
    all_open = kaplan_meier([1.0, 2.0], [True, True], grid=[0, 1, 2, 3])
    assert list(all_open.survival) == [1.0, 0.5, 0.0, 0.0]
    assert all_open.ci_low[3] == all_open.ci_high[3] == 0.0
    empty = kaplan_meier([], [], grid=[0, 1])
    assert empty.enterprises == 0 and math.isnan(empty.median)


def test_restart_curves_on_the_model_equal_the_share_still_closed() -> None:
    # 30 firms, one reviewer, horizon 30 days: about half are still closed at the horizon
    sc = tiny(population={"strata": [{"name": "s", "count": 30, "workers": 10}]})
    results = [run_replication(sc, "base", r) for r in range(2)]
    curves = restart_curves(results, {"base": 30.0})
    km = curves["base"]
    restarted = np.mean([r.summary["restarted_share"] for r in results])
    assert 0 < restarted < 1  # the test needs censored firms
    # all censoring is at the horizon, so KM at the horizon = pooled share still closed
    assert km.survival[-1] == pytest.approx(1 - restarted)
    assert km.enterprises == 60 and km.events == round(60 * restarted)
    frame = km_frame(curves)
    assert list(frame.columns) == ["variant", "day", "survival", "ci_low", "ci_high"]
    assert len(frame) == 31 and frame["day"].iloc[-1] == 30
    assert np.all(np.diff(frame["survival"]) <= 0)
    table = survival_frame(curves, {"base": 30.0})
    assert {"km_median_restart_day", "km_median_ci_low", "km_median_ci_high"} <= set(table.columns)
    assert table.loc[0, "censored"] == 60 - km.events and table.loc[0, "horizon_days"] == 30.0
