"""The decision scorecard: verdicts against the minimal important difference, no winner on a tie,
censored thresholds counted, a threshold neither side reached named as such, references per variant,
blocks that wrap, costs in yuan and incremental cost-effectiveness. Constructed summary tables, no
simulation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.analysis.cost_effectiveness import incremental
from sim.model.catalogue import costs
from sim.report.costs_view import ratio_cell
from sim.report.scorecard import build_scorecard, verdict
from sim.report.scorecard_view import number, scorecard_view
from sim.report.tables import headline_table
from sim.scenario.decision import Decision, UnitCosts


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


def test_costs_and_incremental_cost_effectiveness() -> None:
    """Jobs saved per EXTRA cadre-day: the gain over the extra cadre-days, not over the variant's total."""
    summary = _summary({
        "base": {"mean_restart_day": BASE_DAYS, "jobs_lost": [5000.0] * 6, "failures": [200.0] * 6,
                 "cadre_days_deployed": [100_000.0] * 6, "loan_amount": [3e7] * 6},
        "more": {"mean_restart_day": BASE_DAYS, "jobs_lost": [4000.0] * 6, "failures": [150.0] * 6,
                 "cadre_days_deployed": [200_000.0] * 6, "loan_amount": [3e7] * 6},
    })
    card = build_scorecard(summary, ["base", "more"])
    assert card is not None and card.costs is not None
    # every declared cost but the two the summary holds is named as missing, in the catalogue's order
    assert card.costs.missing == [k for k in costs() if k not in ("cadre_days_deployed", "loan_amount")]
    assert "reviewer_days" in card.costs.missing and "relief_yuan" in card.costs.missing
    jobs = card.costs.ratios[("more", "jobs_lost", "cadre_days")]
    assert jobs.case == "more_for_more"
    assert jobs.ratio == pytest.approx(1000 / 100_000 * 1000)  # 1,000 jobs for 100,000 extra cadre-days: 10
    assert card.costs.ratios[("more", "failures", "cadre_days")].ratio == pytest.approx(50 / 100_000 * 1000)
    view = scorecard_view(card, "en")
    labels = [r[0] for t in view.costs for r in t.rows]
    assert "jobs saved per 1,000 extra cadre-days [95 % CI]" in labels
    assert ", ".join(card.costs.missing) in view.cost_note


def test_a_variant_with_fewer_cadres_is_credited_with_what_it_gives_up() -> None:
    """Supervisors only: fewer cadre-days and more jobs lost. Dividing by its total cadre-days gave a
    negative 'jobs saved per 1,000 cadre-days'; incrementally it gives up 10 jobs per 1,000 cadre-days saved."""
    noise = np.array([30.0, -20.0, 10.0, -40.0, 25.0, -5.0])
    summary = _summary({
        "base": {"mean_restart_day": BASE_DAYS, "jobs_lost": list(5000.0 + noise),
                 "cadre_days_deployed": [100_000.0] * 6},
        "supervisors-only": {"mean_restart_day": BASE_DAYS, "jobs_lost": list(5400.0 + noise * 1.1),
                             "cadre_days_deployed": [60_000.0] * 6},
    })
    card = build_scorecard(summary, ["base", "supervisors-only"], Decision(primary_metric="jobs_lost"))
    assert card is not None and card.costs is not None
    inc = card.costs.ratios[("supervisors-only", "jobs_lost", "cadre_days")]
    old_way = float(np.mean((summary.loc[summary.variant == "base", "jobs_lost"].to_numpy()
                             - summary.loc[summary.variant == "supervisors-only", "jobs_lost"].to_numpy())
                            / 60_000 * 1000))
    assert old_way < 0  # what the report used to show
    assert inc.case == "less_for_less"
    assert inc.ratio == pytest.approx(10.0, abs=0.05)
    assert inc.low < inc.ratio < inc.high
    text, note = ratio_cell(inc, "en")
    assert text.startswith("10.0 [") and "given up per unit saved" in note


def test_fieller_with_a_fixed_extra_cost_is_the_gains_interval_scaled() -> None:
    """With the same extra cost in every pair, Fieller's interval is the paired t-interval of the gain ÷ cost."""
    from scipy import stats

    rng = np.random.default_rng(7)
    gain = rng.normal(50.0, 12.0, size=10)
    inc = incremental(gain, np.full(10, 4.0))
    half = stats.t.ppf(0.975, 9) * gain.std(ddof=1) / np.sqrt(10)
    assert (inc.low, inc.ratio, inc.high) == pytest.approx(((gain.mean() - half) / 4, gain.mean() / 4,
                                                            (gain.mean() + half) / 4))


def test_no_price_when_the_extra_cost_could_be_zero() -> None:
    inc = incremental([5.0, 6.0, 4.0, 5.5], [1.0, -1.2, 0.8, -0.3])
    assert not inc.bounded and inc.case == "unclear_cost"
    assert ratio_cell(inc, "en")[0] == "extra cost not clearly different from zero"
    assert incremental([3.0, 4.0], [0.0, 0.0]).case == "no_extra_cost"
    assert incremental([-3.0, -4.0, -3.5], [2.0, 2.5, 2.2]).case == "dominated"
    assert incremental([3.0, 4.0, 3.5], [-2.0, -2.5, -2.2]).case == "dominates"


def test_public_cost_in_yuan_at_the_declared_unit_costs() -> None:
    costs = {"cadre_days_deployed": 1000.0, "reviewer_days": 200.0, "relief_yuan": 5e6, "rent_relief_yuan": 1e6,
             "point_to_point_cost": 2e5, "green_loan_amount": 1e8, "loan_amount": 3e8}
    summary = _summary({"base": {"mean_restart_day": BASE_DAYS, **{k: [v] * 6 for k, v in costs.items()}},
                        "a": {"mean_restart_day": BASE_DAYS, **{k: [v * 2] * 6 for k, v in costs.items()}}})
    units = UnitCosts(cadre_day_yuan=500, reviewer_day_yuan=300, point_to_point_cost_factor=0.5,
                      relief_cost_factor=1.2, interest_subsidy_rate=0.0128, interest_subsidy_years=1)
    card = build_scorecard(summary, ["base", "a"], Decision(unit_costs=units))
    assert card is not None and card.costs is not None
    expected = 1000 * 500 + 200 * 300 + 5e6 * 1.2 + 1e6 * 1.2 + 2e5 * 0.5 + 1e8 * 0.0128
    assert card.costs.public["base"][0] == pytest.approx(expected)  # the loan money itself is lent, not spent
    assert card.costs.extra[("a", "yuan")][0] == pytest.approx(expected)
    assert card.costs.extra[("a", "cadre_days")][0] == pytest.approx(1000)
    view = scorecard_view(card, "en")
    assert "a cadre-day 500 yuan" in view.unit_costs_note and "1.28 % a year" in view.unit_costs_note


def test_deferred_taxes_not_collected_back_are_an_extra_public_cost() -> None:
    """Forgiving deferred taxes spends nothing the model counts as spending, but the state does not get them
    back: 85 million yuan for 25 jobs is 0.29 jobs per million yuan, not thousands per million (what a run
    showed when only a few thousand yuan of relief separated the two)."""
    jobs = np.array([9685.0, 9702.0, 9670.0, 9690.0, 9660.0, 9700.0])
    relief = np.array([1.016e8, 1.021e8, 1.012e8, 1.018e8, 1.015e8, 1.019e8])
    summary = _summary({
        "base": {"mean_restart_day": BASE_DAYS, "jobs_lost": list(jobs), "relief_yuan": list(relief),
                 "taxes_repaid": [8.5e7, 8.4e7, 8.6e7, 8.5e7, 8.45e7, 8.55e7]},
        "forgive": {"mean_restart_day": BASE_DAYS, "jobs_lost": list(jobs - 25 + np.array([3, -2, 1, -1, 2, -3])),
                    "relief_yuan": list(relief + 5000.0), "taxes_repaid": [0.0] * 6},
    })
    card = build_scorecard(summary, ["base", "forgive"], Decision(primary_metric="jobs_lost"))
    assert card is not None and card.costs is not None
    extra = card.costs.extra[("forgive", "yuan")][0]
    assert extra == pytest.approx(8.5e7 + 5000.0, rel=1e-9)
    price = card.costs.ratios[("forgive", "jobs_lost", "yuan")]
    assert price.case == "more_for_more" and price.ratio == pytest.approx(25 / 85.005, rel=1e-6)
    half = UnitCosts(forgone_tax_factor=0.5)
    card = build_scorecard(summary, ["base", "forgive"], Decision(primary_metric="jobs_lost", unit_costs=half))
    assert card is not None and card.costs is not None
    assert card.costs.extra[("forgive", "yuan")][0] == pytest.approx(8.5e7 / 2 + 5000.0, rel=1e-9)
    assert "× 0.5 the deferred taxes the reference collects back" in scorecard_view(card, "en").unit_costs_note


def test_missing_cadre_days_says_so() -> None:
    summary = _summary({"base": {"mean_restart_day": BASE_DAYS}, "a": {"mean_restart_day": BASE_DAYS}})
    card = build_scorecard(summary, ["base", "a"])
    assert card is not None and card.costs is not None and card.costs.ratios == {}
    view = scorecard_view(card, "en")
    assert view.costs == [] and "cadre_days_deployed" in view.cost_note
    assert "no cost-effectiveness" in view.cost_note


def test_a_threshold_neither_variant_reached_is_not_called_negligible() -> None:
    """day_resumed_90 missed in every replication of both: 'not reached by either', never 'negligible, 0.0 days'."""
    nan = math.nan
    summary = _summary({"base": {"mean_restart_day": BASE_DAYS, "day_resumed_90": [nan] * 6},
                        "a": {"mean_restart_day": BASE_DAYS, "day_resumed_90": [nan] * 6}})
    card = build_scorecard(summary, ["base", "a"], horizon=60)
    assert card is not None
    assert card.cells[("a", "day_resumed_90")].verdict == "not_reached"
    view = scorecard_view(card, "en")
    row = next(r for r in view.rows if r[0].startswith("day resumption (复工率) ≥ 90"))
    cell = row[2][0]
    assert cell.label == "not reached by either" and cell.text == ""
    assert "neither reached it in any of the 6 replications" in cell.note
    # reached by one of them in one replication: a censored comparison, not "not reached by either"
    summary.loc[(summary.variant == "a") & (summary.replication == 0), "day_resumed_90"] = 50.0
    card = build_scorecard(summary, ["base", "a"], horizon=60)
    assert card is not None and card.cells[("a", "day_resumed_90")].verdict != "not_reached"


def test_a_threshold_no_variant_of_a_block_reached_is_said_once_for_the_block() -> None:
    """Every variant of a block and its reference missed day_resumed_90 in every replication: one cell across
    the block says so (the same note under each column said nothing more); a block where one reached it keeps
    a cell per variant."""
    nan = math.nan
    never = {"mean_restart_day": BASE_DAYS, "day_resumed_90": [nan] * 6}
    summary = _summary({"base": never, "a": never, "b": never, "c": never,
                        "d": {"mean_restart_day": BASE_DAYS, "day_resumed_90": [50.0] * 6}})
    card = build_scorecard(summary, ["base", "a", "b", "c", "d"], horizon=60)
    assert card is not None
    merged = scorecard_view(card, "en", per_block=2)
    rows = [next(r for r in b.rows if r[0].startswith("day resumption (复工率) ≥ 90")) for b in merged.blocks]
    assert [len(cells) for _, _, cells in rows] == [1, 2]
    whole = rows[0][2][0]
    assert whole.span == 2 and whole.label == "not reached by any"
    assert "none of these variants nor their references reached it in any of the 6 replications" in whole.note
    assert rows[1][2][0].verdict == "not_reached" and rows[1][2][1].verdict != "not_reached"


def test_each_variant_is_compared_with_its_declared_reference() -> None:
    """green-for-all-day-40 against green-for-all (its question), the others against the base."""
    days = np.array(BASE_DAYS)
    jitter = np.array([0.1, -0.1, 0.05, 0.0, 0.1, -0.05])
    summary = _summary({"base": {"mean_restart_day": list(days)},
                        "green-for-all": {"mean_restart_day": list(days - 2 + jitter)},
                        "green-for-all-day-40": {"mean_restart_day": list(days + 3 - jitter)},
                        "window-day-0": {"mean_restart_day": list(days - 1.5 + jitter)}})
    variants = ["base", "green-for-all", "green-for-all-day-40", "window-day-0"]
    decision = Decision(references={"green-for-all-day-40": "green-for-all"})
    card = build_scorecard(summary, variants, decision)
    assert card is not None
    cell = card.cells[("green-for-all-day-40", "mean_restart_day")]
    assert cell.reference == "green-for-all" and cell.difference == pytest.approx(5.0, abs=0.2)
    assert card.cells[("window-day-0", "mean_restart_day")].reference == "base"
    view = scorecard_view(card, "en")
    assert "green-for-all-day-40 − green-for-all" in view.header
    assert any(line.startswith("green-for-all-day-40 − green-for-all: worse") for line in view.tradeoffs)
    # the reference of every variant may be another variant than the base
    card = build_scorecard(summary, variants, Decision(reference="green-for-all"))
    assert card is not None and card.cells[("base", "mean_restart_day")].reference == "green-for-all"


def test_thirteen_variants_wrap_in_blocks_grouped_by_family() -> None:
    """No table wider than four variants: 12 columns come as blocks, a variant with those compared with it."""
    names = ["base", *[f"v{i}" for i in range(12)]]
    summary = _summary({v: {"mean_restart_day": list(np.array(BASE_DAYS) - i * 0.3),
                            "cadre_days_deployed": [1000.0 + i] * 6} for i, v in enumerate(names)})
    refs = {"v2": "v9", "v10": "v9", "v11": "v10"}  # v9's family: v2 and v10 against it, v11 against v10
    card = build_scorecard(summary, names, Decision(references=refs))
    assert card is not None
    view = scorecard_view(card, "en")
    assert len(view.header) == 2 + 12
    assert [[h.split(" − ")[0] for h in b.header[2:]] for b in view.blocks] == [
        ["v0", "v1", "v3", "v4"], ["v2", "v9", "v10", "v11"], ["v5", "v6", "v7", "v8"]]
    assert all(len(t.header) - 1 <= 4 for t in view.costs) and len(view.costs) >= 4
    for block in view.blocks:  # every block carries every metric row
        assert [r[0] for r in block.rows] == [r[0] for r in view.rows]


def test_display_labels_name_the_variants() -> None:
    from sim.scenario.labels import Labels

    summary = _summary({"base": {"mean_restart_day": BASE_DAYS},
                        "fast": {"mean_restart_day": [d - 3 + 0.01 * i for i, d in enumerate(BASE_DAYS)]}})
    card = build_scorecard(summary, ["base", "fast"])
    assert card is not None
    labels = Labels.model_validate({"variants": {"fast": {"en": "fast-track approval", "zh": "快速审批"},
                                                 "base": {"zh": "2020年做法"}}})
    assert scorecard_view(card, "en", labels).header[2] == "fast-track approval − base"
    assert scorecard_view(card, "zh", labels).header[2] == "快速审批 − 2020年做法"
    assert "快速审批" in scorecard_view(card, "zh", labels).answer[0]


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
