"""Paired differences, t half-widths and the Holm correction against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.analysis.stats import holm, needed_replications, paired_difference, t_halfwidth


def test_holm_matches_hand_computation() -> None:
    # m = 4, sorted 0.005, 0.01, 0.03, 0.04 → ×4, ×3, ×2, ×1 = 0.02, 0.03, 0.06, 0.04;
    # running maximum → 0.02, 0.03, 0.06, 0.06; back in input order:
    p = [0.01, 0.04, 0.03, 0.005]
    assert holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02], abs=1e-12)


def test_holm_caps_at_one_and_skips_nan() -> None:
    # NaN does not count in m: m = 2 → 0.01×2 = 0.02, 0.04×1 = 0.04
    out = holm([math.nan, 0.01, 0.04])
    assert math.isnan(out[0]) and out[1:] == pytest.approx([0.02, 0.04])
    # 0.5×2 = 1.0, then max(1.0, 0.6) = 1.0
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])
    assert holm([]).shape == (0,)
    assert np.isnan(holm([math.nan])).all()


def test_holm_is_never_below_the_raw_p_and_keeps_order() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 0.2, size=30)
    adj = holm(p)
    assert np.all(adj >= p) and np.all(adj <= 1)
    order = np.argsort(p)
    assert np.all(np.diff(adj[order]) >= 0)


def test_paired_t_ci_matches_hand_computation() -> None:
    ref = [10.0, 12.0, 9.0, 11.0]
    var = [12.0, 13.0, 12.0, 12.0]
    # d = 2, 1, 3, 1: mean 1.75, s² = (0.0625 + 0.5625 + 1.5625 + 0.5625) / 3 = 0.91667, s = 0.957427,
    # se = s/√4 = 0.478714, t(0.975, 3) = 3.182446 → half-width 1.523480
    res = paired_difference(ref, var)
    assert res.n == 4 and res.test == "t"
    assert res.mean_reference == pytest.approx(10.5) and res.mean_variant == pytest.approx(12.25)
    assert res.mean_difference == pytest.approx(1.75)
    assert res.ci_low == pytest.approx(1.75 - 1.523480, abs=1e-5)
    assert res.ci_high == pytest.approx(1.75 + 1.523480, abs=1e-5)
    assert res.half_width == pytest.approx(1.523480, abs=1e-5)
    # t = 1.75 / 0.478714 = 3.6556 on 3 degrees of freedom: two-sided p = 0.0354 (t tables)
    assert res.p_value == pytest.approx(0.0354, abs=5e-4)


def test_wilcoxon_p_matches_exact_distribution() -> None:
    # d = 1..5, all positive: W+ = 15 is the most extreme of 2⁵ equally likely sign patterns,
    # so the exact two-sided p = 2/32
    res = paired_difference([0.0] * 5, [1.0, 2.0, 3.0, 4.0, 5.0], test="wilcoxon")
    assert res.p_value == pytest.approx(2 / 32)
    assert res.test == "wilcoxon"
    # the CI is the paired-t interval of the mean difference whatever the test
    assert res.ci_low == pytest.approx(3 - t_halfwidth([1, 2, 3, 4, 5]))


@pytest.mark.parametrize("test", ["t", "wilcoxon"])
def test_identical_samples_give_exact_zero_and_p_one(test: str) -> None:
    values = [3.2, 4.1, math.nan, 5.0]
    res = paired_difference(values, list(values), test=test)  # type: ignore[arg-type]
    assert res.mean_difference == 0.0 and res.ci_low == 0.0 and res.ci_high == 0.0
    assert res.p_value == 1.0 and res.n == 3
    # "never reached" on both sides in every replication: no finite pair, but the same outcome
    never = paired_difference([math.nan] * 3, [math.nan] * 3, test=test)  # type: ignore[arg-type]
    assert never.n == 0 and never.mean_difference == 0.0 and never.p_value == 1.0
    assert math.isnan(never.mean_reference)


def test_nan_pairs_are_dropped_and_counted() -> None:
    ref = [1.0, 2.0, math.nan, 4.0, 5.0]
    var = [2.0, math.nan, 3.0, 5.5, 6.0]
    res = paired_difference(ref, var)
    assert res.n == 3  # replications 0, 3, 4
    assert res.mean_difference == pytest.approx((1.0 + 1.5 + 1.0) / 3)
    assert res.mean_reference == pytest.approx((1 + 4 + 5) / 3)


def test_constant_nonzero_difference_and_too_few_pairs() -> None:
    res = paired_difference([1.0, 2.0, 3.0], [3.0, 4.0, 5.0])
    assert (res.mean_difference, res.ci_low, res.ci_high, res.p_value) == (2.0, 2.0, 2.0, 0.0)
    one = paired_difference([1.0], [2.0])
    assert one.n == 1 and one.mean_difference == 1.0 and math.isnan(one.ci_low) and math.isnan(one.p_value)
    empty = paired_difference([math.nan, 1.0], [2.0, math.nan])
    assert empty.n == 0 and math.isnan(empty.mean_difference) and math.isnan(empty.p_value)
    with pytest.raises(ValueError):
        paired_difference([1.0], [1.0, 2.0])
    with pytest.raises(ValueError):
        paired_difference([1.0], [1.0], test="z")  # type: ignore[arg-type]


def test_t_halfwidth() -> None:
    # s = 1 for 1, 2, 3; t(0.975, 2) = 4.302653 → 4.302653 / √3
    assert t_halfwidth([1.0, 2.0, 3.0, math.nan]) == pytest.approx(4.302653 / math.sqrt(3), abs=1e-6)
    assert t_halfwidth([5.0, 5.0]) == 0.0
    assert math.isnan(t_halfwidth([5.0]))


def test_needed_replications() -> None:
    assert needed_replications(10, 1.0, 0.5) == 40  # half-width ∝ 1/√n: halve it with 4× the runs
    assert needed_replications(10, 0.4, 0.5) == 10
    assert needed_replications(10, 0.51, 0.5) == 11
    assert needed_replications(1, math.nan, 0.5) == 2


def test_rounding_noise_is_not_a_difference() -> None:
    # 0.06 − 0.044 and 0.05 − 0.034 are both 0.016 but differ in the last bits: constant, not t = 1e15
    ref = np.array([0.034, 0.044, 0.054])
    var = np.array([0.05, 0.06, 0.07])
    assert np.ptp(var - ref) > 0  # the premise: not bit-identical
    res = paired_difference(ref, var)
    assert res.mean_difference == pytest.approx(0.016)
    assert res.ci_low == res.ci_high == res.mean_difference and res.p_value == 0.0
    # sums taken in another order: a difference of rounding size only is no difference
    a = np.array([0.1 + 0.2, 0.3 + 0.6])
    b = np.array([0.3, 0.9])
    assert paired_difference(b, a).p_value == 1.0
