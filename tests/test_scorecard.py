"""The decision scorecard: verdicts against the minimal important difference, no winner on a tie,
censored thresholds counted, costs and cost-effectiveness. Constructed summary tables, no simulation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.model.catalogue import costs
from sim.report.scorecard import build_scorecard, verdict
from sim.report.scorecard_view import number, scorecard_view
from sim.report.tables import headline_table
from sim.scenario.decision import Decision


@pytest.mark.parametrize(("diff", "low", "high", "mid", "direction", "expected"), [
    (-5.0, -6.0, -4.0, 1.0, -1, "better"),      # CI excludes 0, |diff| >= MID, lower is better
    (5.0, 4.0, 6.0, 1.0, -1, "worse"),
    (0.03, 0.02, 0.04, 0.01, 1, "better"),      # a share: +3 pp, higher is better
    (-0.1, -0.2, -0.05, 1.0, -1, "negligible"),  # significant but the whole CI within ±MID
    (0.0, 0.0, 0.0, 1.0, -1, "negligible"),      # identical variant
    (-0.5, -1.8, 0.8, 1.0, -1, "uncertain"),     # CI crosses 0 and leaves ±MID
    (-1.5, -2.5, -0.5, 1.0, -1, "better"),       # CI excludes 0 and |diff| >= MID even if part of the CI is < MID
    (-0.8, -1.5, -0.1, 1.0, -1, "uncertain"),    # CI excludes 0 but |diff| < MID and the CI leaves ±MID
    (-8.0, -13.0, -3.0, 5.0, 0, "lower"),        # no better direction (loans)
    (3.0, math.nan, math.nan, 1.0, -1, "uncertain"),  # one pair: no interval
    (math.nan, math.nan, math.nan, 1.0, -1, "no_data"),
])
def test_verdict(diff: float, low: float, high: float, mid: float, direction: int, expected: str) -> None:
    assert verdict(diff, low, high, mid, direction) == expected


def _summary(values: dict[str, dict[str, list[float]]]) -> pd.DataFrame:
    rows = []
    for variant, metrics in values.items():
        n = len(next(iter(metrics.values())))
        for r in range(n):
            rows.append({"variant": variant, "replication": r, **{m: v[r] for m, v in metrics.items()}})
    return pd.DataFrame(rows)


BASE_DAYS = [24.0, 25.0, 23.5, 24.5, 26.0, 24.2]


def test_no_winner_on_a_tie() -> None:
    """Two variants 0.1 day apart on common random numbers (significant, but below the 1-day MID)."""
    days = np.array(BASE_DAYS)
    summary = _summary({
        "base": {"mean_restart_day": list(days)},
        "a": {"mean_restart_day": list(days - 3.0 + np.array([0.1, -0.1, 0.05, 0, 0.1, -0.05]))},
        "b": {"mean_restart_day": list(days - 3.1 + np.array([0.1, -0.1, 0.05, 0, 0.1, -0.05]))},
    })
    card = build_scorecard(summary, ["base", "a", "b"])
    assert card is not None
    assert card.winner is None
    assert [t.variants for t in card.tiers] == [["b", "a"], ["base"]]
    view = scorecard_view(card, "en")
    assert "no single variant is best" in view.answer[0]
    assert not any(f"{v} is best" in line for line in view.answer for v in ("a", "b", "base"))
    # both are clearly better than the base
    assert card.cells[("a", "mean_restart_day")].verdict == "better"


def test_a_clear_winner_is_named() -> None:
    days = np.array(BASE_DAYS)
    noise = np.array([0.2, -0.1, 0.0, 0.1, -0.2, 0.05])
    summary = _summary({"base": {"mean_restart_day": list(days)},
                        "a": {"mean_restart_day": list(days - 3 + noise)},
                        "b": {"mean_restart_day": list(days - 6 - noise)}})
    card = build_scorecard(summary, ["base", "a", "b"])
    assert card is not None and card.winner == "b"
    assert scorecard_view(card, "en").answer[0].startswith("On mean restart day, b is best")


def test_all_tied_names_nobody() -> None:
    days = list(BASE_DAYS)
    summary = _summary({"base": {"mean_restart_day": days}, "same": {"mean_restart_day": days}})
    card = build_scorecard(summary, ["base", "same"])
    assert card is not None and card.winner is None and len(card.tiers) == 1
    view = scorecard_view(card, "en")
    assert "cannot be told apart" in view.answer[0]
    cell = view.rows[0][2][0]
    assert cell.verdict == "negligible" and "-0" not in cell.text and "+0" not in cell.text


def test_zero_is_never_signed() -> None:
    assert number(-0.04, "mean_restart_day", 1) == "0.0"
    assert number(0.0004, "failed_share", 1) == "0.0"  # 0.04 pp
    assert number(-0.4, "mean_restart_day", 1) == "-0.4"


def test_primary_metric_from_the_decision() -> None:
    """Ranking on jobs lost: a variant equal on restart days but losing 1,200 more jobs is worse."""
    summary = _summary({
        "base": {"mean_restart_day": BASE_DAYS, "jobs_lost": [5000, 5200, 4900, 5100, 5050, 4950]},
        "supervisors": {"mean_restart_day": BASE_DAYS, "jobs_lost": [6200, 6400, 6050, 6300, 6250, 6180]},
    })
    card = build_scorecard(summary, ["base", "supervisors"], Decision(primary_metric="jobs_lost"))
    assert card is not None and card.primary == "jobs_lost" and card.metrics[0] == "jobs_lost"
    assert card.winner == "base"
    assert card.cells[("supervisors", "jobs_lost")].verdict == "worse"
    assert card.cells[("supervisors", "mean_restart_day")].verdict == "negligible"
    lines = scorecard_view(card, "en").tradeoffs
    assert "worse: jobs lost" in lines[0]


def test_minimal_differences_are_settable() -> None:
    summary = _summary({"base": {"mean_restart_day": BASE_DAYS},
                        "a": {"mean_restart_day": [d - 1.5 + 0.01 * i for i, d in enumerate(BASE_DAYS)]}})
    assert build_scorecard(summary, ["base", "a"]).cells[("a", "mean_restart_day")].verdict == "better"  # type: ignore[union-attr]
    strict = Decision(minimal_differences={"mean_restart_day": 2.0})
    assert strict.mid("jobs_lost") == 100.0  # the others keep their defaults
    assert build_scorecard(summary, ["base", "a"], strict).cells[  # type: ignore[union-attr]
        ("a", "mean_restart_day")].verdict == "negligible"


def test_censored_thresholds_are_counted_not_dropped() -> None:
    nan = math.nan
    summary = _summary({
        "base": {"mean_restart_day": BASE_DAYS, "day_resumed_90": [50, nan, 52, nan, 51, nan]},
        "fast": {"mean_restart_day": BASE_DAYS, "day_resumed_90": [40, 41, 42, 40, 41, 43]},
    })
    card = build_scorecard(summary, ["base", "fast"], horizon=60)
    assert card is not None
    cell = card.cells[("fast", "day_resumed_90")]
    assert (cell.censored_variant, cell.censored_reference, cell.n) == (0, 3, 3)
    assert cell.verdict == "better"  # the censored replications agree: the base is later there too
    view = scorecard_view(card, "en")
    row = next(r for r in view.rows if r[0].startswith("day resumption (复工率) ≥ 90"))
    assert "not reached in 0 of 6 replications (fast), 3 of 6 (base)" in row[2][0].note
    headline = headline_table(summary, None, ["base", "fast"], "en")
    row = next(i for i, r in enumerate(headline.rows) if r[0].startswith("day resumption (复工率) ≥ 90"))
    assert "not reached in 3 of 6 replications" in headline.notes[(row, 1)]
    assert (row, 2) not in headline.notes
    assert headline.rows[row][1].startswith("51.0")  # the mean of the three that reached it
    # Kaplan–Meier median over replications: S(t) falls to 3/6 on day 52
    assert "median 52.0" in headline.notes[(row, 1)]


def test_censoring_that_contradicts_the_pairs_makes_it_uncertain() -> None:
    nan = math.nan
    summary = _summary({
        "base": {"mean_restart_day": BASE_DAYS, "day_resumed_90": [50, 51, 52, 50, 51, 52]},
        "odd": {"mean_restart_day": BASE_DAYS, "day_resumed_90": [40, nan, 42, nan, 41, nan]},
    })
    card = build_scorecard(summary, ["base", "odd"], horizon=60)
    assert card is not None and card.cells[("odd", "day_resumed_90")].verdict == "uncertain"


def test_costs_and_cost_effectiveness() -> None:
    summary = _summary({
        "base": {"mean_restart_day": BASE_DAYS, "jobs_lost": [5000.0] * 6, "failures": [200.0] * 6,
                 "cadre_days_deployed": [100_000.0] * 6, "loan_amount": [3e7] * 6},
        "more": {"mean_restart_day": BASE_DAYS, "jobs_lost": [4000.0] * 6, "failures": [150.0] * 6,
                 "cadre_days_deployed": [200_000.0] * 6, "loan_amount": [3e7] * 6},
    })
    card = build_scorecard(summary, ["base", "more"])
    assert card is not None
    # every declared cost but the two the summary holds is named as missing, in the catalogue's order
    assert card.missing_costs == [k for k in costs() if k not in ("cadre_days_deployed", "loan_amount")]
    assert "reviewer_days" in card.missing_costs and "relief_yuan" in card.missing_costs
    assert card.effectiveness[("more", "jobs")][0] == pytest.approx(1000 / 200_000 * 1000)
    assert card.effectiveness[("more", "firms")][0] == pytest.approx(50 / 200_000 * 1000)
    view = scorecard_view(card, "en")
    assert view.costs is not None
    labels = [r[0] for r in view.costs.rows]
    assert "jobs saved per 1,000 cadre-days (vs base)" in labels
    assert ", ".join(card.missing_costs) in view.cost_note


def test_missing_cadre_days_says_so() -> None:
    summary = _summary({"base": {"mean_restart_day": BASE_DAYS}, "a": {"mean_restart_day": BASE_DAYS}})
    card = build_scorecard(summary, ["base", "a"])
    assert card is not None and card.effectiveness == {}
    view = scorecard_view(card, "en")
    assert view.costs is None and "cadre_days_deployed" in view.cost_note
    assert "no cost-effectiveness" in view.cost_note


def test_decision_rejects_a_metric_without_a_direction() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="scorecard can rank by"):
        Decision(primary_metric="loans_disbursed")
    with pytest.raises(ValidationError, match="scorecard can rank by"):
        Decision(primary_metric="no_such_metric")


@given(diff=st.floats(-50, 50), half=st.floats(0, 20), mid=st.floats(0, 10), direction=st.sampled_from([-1, 0, 1]))
def test_verdict_properties(diff: float, half: float, mid: float, direction: int) -> None:
    """A clear verdict never comes from a CI that touches zero or a gap below the MID; negligible means
    the whole CI lies within ±MID; the sign of a clear verdict follows the difference and the direction."""
    low, high = diff - half, diff + half
    v = verdict(diff, low, high, mid, direction)
    if v in ("better", "worse", "higher", "lower"):
        assert (low > 0 or high < 0) and abs(diff) >= mid
        assert (v in ("better", "higher")) == ((diff > 0) == (direction >= 0))
    elif v == "negligible":
        assert -mid <= low and high <= mid
    else:
        assert v == "uncertain"
