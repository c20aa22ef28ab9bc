"""Statistics for comparing replications: confidence intervals, paired tests, Holm.

Pure functions on arrays. Replication r of every variant shares its random
streams (common random numbers), so variants are compared by the paired
difference ``variant[r] - reference[r]`` over replications: the pairing
removes the noise both runs share and leaves the effect of the policy.

Degenerate cases are answered, not left as NaN: a difference that is exactly
zero in every replication (a variant identical to its reference) is 0 with
CI [0, 0] and p = 1; a constant non-zero difference has a CI of zero width and
p = 0 (differences equal up to floating-point rounding count as constant).
Replications where either value is NaN (a day never reached) are dropped pair
by pair, and the number of pairs used is reported; two samples that agree in
every replication, NaN for NaN, differ by exactly 0 (p = 1) even with no
finite pair.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

TestName = Literal["t", "wilcoxon"]
TESTS: tuple[TestName, ...] = ("t", "wilcoxon")
CONFIDENCE = 0.95


def t_halfwidth(values: ArrayLike, confidence: float = CONFIDENCE) -> float:
    """Half-width of the Student-t confidence interval of the mean of the finite values.

    NaN with fewer than two finite values; exactly 0 when they are all equal.
    """
    from scipy import stats

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = len(v)
    if n < 2:
        return math.nan
    if np.all(v == v[0]):
        return 0.0
    sd = float(v.std(ddof=1))
    return float(stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n))


@dataclass(frozen=True)
class PairedDifference:
    """The paired comparison of one metric between a variant and its reference."""

    n: int  # pairs where both values are finite
    mean_reference: float
    mean_variant: float
    mean_difference: float  # variant − reference
    ci_low: float
    ci_high: float
    p_value: float
    test: TestName

    @property
    def half_width(self) -> float:
        """Half-width of the confidence interval of the mean difference (NaN if undefined)."""
        return (self.ci_high - self.ci_low) / 2


def paired_difference(reference: ArrayLike, variant: ArrayLike, test: TestName = "t",
                      confidence: float = CONFIDENCE) -> PairedDifference:
    """Mean of ``variant - reference`` over replications, its paired-t CI and a p-value.

    The CI is always the paired Student-t interval of the mean difference; the
    p-value comes from the paired t-test (``scipy.stats.ttest_rel``) or, with
    ``test="wilcoxon"``, the Wilcoxon signed-rank test (``scipy.stats.wilcoxon``,
    which drops zero differences). Pairs with a NaN on either side are dropped.
    """
    if test not in TESTS:
        raise ValueError(f"unknown test {test!r}; allowed: {', '.join(TESTS)}")
    ref = np.asarray(reference, dtype=float)
    var = np.asarray(variant, dtype=float)
    if ref.shape != var.shape:
        raise ValueError(f"paired samples differ in length: {ref.shape} and {var.shape}")
    keep = np.isfinite(ref) & np.isfinite(var)
    identical = len(ref) > 0 and bool(np.array_equal(ref, var, equal_nan=True))
    ref, var = ref[keep], var[keep]
    n = int(len(ref))
    if identical:  # the same value, or "never reached" on both sides, in every replication
        mean = float(ref.mean()) if n else math.nan
        return PairedDifference(n, mean, mean, 0.0, 0.0, 0.0, 1.0, test)
    if n == 0:
        nan = math.nan
        return PairedDifference(0, nan, nan, nan, nan, nan, nan, test)
    diff = var - ref
    mean_ref, mean_var, mean_diff = float(ref.mean()), float(var.mean()), float(diff.mean())
    # Differences equal up to rounding (e.g. 0.05 − 0.034 and 0.06 − 0.044) count as constant,
    # so that rounding noise cannot turn into an arbitrary t statistic.
    rounding = 16 * np.finfo(float).eps * max(float(np.abs(ref).max()), float(np.abs(var).max()))
    if float(np.ptp(diff)) <= rounding:
        # Zero variance: the t statistic is 0/0 or c/0. A zero difference is "no difference"
        # (p = 1); a constant non-zero one is certain when seen twice.
        c = float(diff[0]) if np.all(diff == diff[0]) else mean_diff
        if abs(c) <= rounding:
            return PairedDifference(n, mean_ref, mean_var, c, c, c, 1.0, test)
        if n == 1:
            return PairedDifference(n, mean_ref, mean_var, c, math.nan, math.nan, math.nan, test)
        p = _wilcoxon_p(diff) if test == "wilcoxon" else 0.0
        return PairedDifference(n, mean_ref, mean_var, c, c, c, p, test)
    half = t_halfwidth(diff, confidence)
    p = _wilcoxon_p(diff) if test == "wilcoxon" else _t_p(ref, var)
    return PairedDifference(n, mean_ref, mean_var, mean_diff, mean_diff - half, mean_diff + half, p, test)


def _t_p(ref: np.ndarray, var: np.ndarray) -> float:
    from scipy import stats

    if len(ref) < 2:
        return math.nan
    with warnings.catch_warnings():  # "nearly identical data": the p-value is still the right limit
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(stats.ttest_rel(var, ref).pvalue)


def _wilcoxon_p(diff: np.ndarray) -> float:
    from scipy import stats

    if not np.any(diff != 0):
        return 1.0
    with warnings.catch_warnings():  # scipy warns when it falls back to the normal approximation
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        return float(stats.wilcoxon(diff).pvalue)


def holm(p_values: ArrayLike) -> np.ndarray:
    """Holm step-down adjusted p-values (family-wise error rate), NaN kept as NaN.

    The m finite p-values are sorted, p_(i) is multiplied by (m − i + 1),
    monotonicity is enforced with a running maximum, and values are capped at 1.
    NaN entries (comparisons that could not be made) do not count in m.
    scipy has no Holm correction (``false_discovery_control`` is Benjamini–Hochberg).
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, math.nan)
    finite = np.flatnonzero(np.isfinite(p.ravel()))
    m = len(finite)
    if m == 0:
        return out
    flat = p.ravel()[finite]
    order = np.argsort(flat, kind="stable")
    scaled = flat[order] * (m - np.arange(m))
    adjusted = np.minimum(np.maximum.accumulate(scaled), 1.0)
    result = np.empty(m)
    result[order] = adjusted
    out_flat = out.ravel()
    out_flat[finite] = result
    return out_flat.reshape(p.shape)


def needed_replications(n: int, half_width: float, target: float, confidence: float = CONFIDENCE) -> int:
    """Replications expected to bring a t half-width from ``half_width`` (at n) to ``target``.

    Half-widths shrink like t(n−1)/sqrt(n); the ratio of t quantiles is ignored
    here (it only makes the estimate slightly conservative). Returns at least n.
    """
    if n < 2 or not math.isfinite(half_width):
        return max(2, 2 * n)
    if half_width <= target:
        return n
    return max(n + 1, math.ceil(n * (half_width / target) ** 2))
