"""Comparing variants on common random numbers, and running to a target precision.

``compare`` turns summary.csv (one row per variant and replication) into
comparison.csv: for every summary metric and every pair (each variant against
the base, or every pair), the mean paired difference over replications, its
95 % CI, a p-value and the Holm-adjusted p-value over all comparisons.

``precision_status`` and ``next_total`` drive ``python -m sim run --precision``:
replications are added in batches until the CI half-width of every reported
difference on the named metrics is within its target.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.analysis.stats import (
    CONFIDENCE,
    TestName,
    holm,
    needed_replications,
    paired_difference,
    t_halfwidth,
)
from sim.model import catalogue

if TYPE_CHECKING:
    import pandas as pd

    from sim.results.run_result import RunResult
    from sim.scenario.loader import LoadedScenario

NOT_METRICS = ("variant", "replication", "enterprises", "events")
COLUMNS = ["variant", "reference", "metric", "n", "mean_reference", "mean_variant", "mean_difference",
           "ci_low", "ci_high", "half_width", "p_value", "p_holm", "test"]
DEFAULT_MAX_REPLICATIONS = 200


def comparable_metrics() -> list[str]:
    """Summary metrics that can be compared (every summary column but counts of enterprises and events)."""
    return [m for m in catalogue.summary_keys() if m not in NOT_METRICS]


def metric_columns(summary: pd.DataFrame) -> list[str]:
    """The numeric metric columns of a summary frame, in their order."""
    from pandas.api.types import is_numeric_dtype

    return [c for c in summary.columns if c not in NOT_METRICS and is_numeric_dtype(summary[c])]


def pairs_of(variants: Sequence[str], reference: str = "base", all_pairs: bool = False) -> list[tuple[str, str]]:
    """(variant, reference) pairs: each variant against ``reference``, or every pair in order."""
    if all_pairs:
        return [(b, a) for i, a in enumerate(variants) for b in variants[i + 1:]]
    return [(v, reference) for v in variants if v != reference]


def compare(summary: pd.DataFrame, reference: str = "base", all_pairs: bool = False, test: TestName = "t",
            confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Paired comparison of every metric for every pair of variants, Holm-corrected over all rows.

    Replications are paired by their index; a replication missing on either side
    or with a NaN metric drops out of that metric's pairs (``n`` counts the rest).
    """
    import pandas as pd

    variants = list(dict.fromkeys(summary["variant"]))
    wide = {v: summary[summary["variant"] == v].set_index("replication").sort_index() for v in variants}
    metrics = metric_columns(summary)
    rows: list[dict[str, Any]] = []
    for var, ref in pairs_of(variants, reference, all_pairs):
        if ref not in wide:
            continue
        common = wide[ref].index.intersection(wide[var].index)
        for metric in metrics:
            res = paired_difference(wide[ref].loc[common, metric].to_numpy(float),
                                    wide[var].loc[common, metric].to_numpy(float), test, confidence)
            rows.append({"variant": var, "reference": ref, "metric": metric, "n": res.n,
                         "mean_reference": res.mean_reference, "mean_variant": res.mean_variant,
                         "mean_difference": res.mean_difference, "ci_low": res.ci_low, "ci_high": res.ci_high,
                         "half_width": res.half_width, "p_value": res.p_value, "test": res.test})
    frame = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "p_holm"])
    frame.insert(COLUMNS.index("p_holm"), "p_holm", holm(frame["p_value"].to_numpy(float)))
    return frame


def comparison_table(frame: pd.DataFrame, headline: Sequence[tuple[str, str, str]]) -> str:
    """A compact text table of the headline metrics: difference, 95 % CI, Holm-adjusted p.

    ``headline`` is (metric, label, kind) with kind "pct" for shares (shown in
    percentage points) or "num".
    """
    if frame.empty:
        return ""
    rows = [["variant", "vs", "metric", "difference", "95% CI", "p (Holm)", "n"]]
    shown = {key: (i, label, kind) for i, (key, label, kind) in enumerate(headline)}
    pair_order = {pair: i for i, pair in enumerate(dict.fromkeys(zip(frame["variant"], frame["reference"],
                                                                     strict=True)))}
    picked = [r for _, r in frame.iterrows() if r["metric"] in shown]
    picked.sort(key=lambda r: (pair_order[(r["variant"], r["reference"])], shown[r["metric"]][0]))
    for r in picked:
        _, label, kind = shown[r["metric"]]
        scale, unit = (100.0, " pp") if kind == "pct" else (1.0, "")
        if r["n"] == 0:
            same = r["p_value"] == 1.0  # "never reached" in both, replication by replication
            rows.append([r["variant"], r["reference"], label, "never in either" if same else "–", "", "", "0"])
            continue
        ci = "" if not math.isfinite(r["ci_low"]) else \
            f"[{r['ci_low'] * scale:+.1f}, {r['ci_high'] * scale:+.1f}]"
        rows.append([r["variant"], r["reference"], label, f"{r['mean_difference'] * scale:+.1f}{unit}", ci,
                     _p_text(r["p_holm"]), str(int(r["n"]))])
    if len(rows) == 1:
        return ""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    title = "Paired differences (variant − reference, 95% CI over replications; p Holm-adjusted over all metrics):"
    return title + "\n" + "\n".join(lines)


def _p_text(p: float) -> str:
    if not math.isfinite(p):
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


# -- replications to a target precision ---------------------------------------------------------


def parse_target(text: str) -> tuple[str, float]:
    """``METRIC=HALFWIDTH`` → (metric, half-width); ValueError with a planner-readable message."""
    import difflib

    metric, sep, value = text.partition("=")
    metric = metric.strip()
    if not sep or not metric:
        raise ValueError(f"'{text}' is not METRIC=HALFWIDTH (for example mean_restart_day=0.5)")
    allowed = comparable_metrics()
    if metric not in allowed:
        close = difflib.get_close_matches(metric, allowed, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ValueError(f"unknown metric '{metric}'.{hint} Allowed metrics (columns of summary.csv): "
                         + ", ".join(allowed))
    try:
        half = float(value)
    except ValueError:
        raise ValueError(f"the half-width in '{text}' is not a number") from None
    if not math.isfinite(half) or half <= 0:
        raise ValueError(f"the half-width in '{text}' must be a positive number, in the metric's own unit "
                         "(shares are fractions: restarted_share=0.01 is one percentage point)")
    return metric, half



def precision_status(summary: pd.DataFrame, targets: dict[str, float], reference: str = "base",
                     all_pairs: bool = False, confidence: float = CONFIDENCE) -> list[dict[str, Any]]:
    """The current CI half-width of every targeted quantity, against its target.

    With two or more variants: the paired differences that comparison.csv reports.
    With one variant: the half-width of the metric's mean itself (``reference`` is None).
    A half-width that cannot be computed yet (fewer than two finite pairs) is NaN and unmet.
    """
    variants = list(dict.fromkeys(summary["variant"]))
    out: list[dict[str, Any]] = []
    pairs = pairs_of(variants, reference, all_pairs)
    for metric, target in targets.items():
        if not pairs:
            for v in variants:
                values = summary.loc[summary["variant"] == v, metric].to_numpy(float)
                half = t_halfwidth(values, confidence)
                out.append(_status(v, None, metric, int(np.isfinite(values).sum()), half, target))
            continue
        wide = {v: summary[summary["variant"] == v].set_index("replication").sort_index() for v in variants}
        for var, ref in pairs:
            common = wide[ref].index.intersection(wide[var].index)
            res = paired_difference(wide[ref].loc[common, metric].to_numpy(float),
                                    wide[var].loc[common, metric].to_numpy(float), "t", confidence)
            out.append(_status(var, ref, metric, res.n, res.half_width, target))
    return out


def _status(variant: str, reference: str | None, metric: str, n: int, half: float, target: float) -> dict[str, Any]:
    met = math.isfinite(half) and half <= target
    return {"variant": variant, "reference": reference, "metric": metric, "n": n,
            "half_width": half if math.isfinite(half) else None, "target": target, "met": met}


def next_total(current: int, status: list[dict[str, Any]], cap: int) -> int:
    """How many replications to have after the next batch (``current`` when every target is met).

    The estimate for each unmet target scales the current count by
    (half-width / target)²; the batch is at most the current count (the total
    at most doubles per step, so a noisy early variance cannot overshoot far)
    and the total never exceeds ``cap``.
    """
    unmet = [s for s in status if not s["met"]]
    if not unmet:
        return current
    # scale the replications run (not the finite pairs n): NaN replications recur at the same rate
    wanted = max(needed_replications(current, math.nan if s["half_width"] is None else s["half_width"],
                                     s["target"]) for s in unmet)
    return min(cap, max(wanted, current + 1), 2 * current)


@dataclass
class PrecisionReport:
    """What ``run --precision`` did: targets, the replications it took, the final half-widths."""

    targets: dict[str, float]
    max_replications: int
    start_replications: int
    replications: int = 0
    met: bool = False
    batches: list[int] = field(default_factory=list)
    status: list[dict[str, Any]] = field(default_factory=list)

    def as_manifest(self) -> dict[str, Any]:
        return {"targets": self.targets, "confidence": CONFIDENCE, "start_replications": self.start_replications,
                "max_replications": self.max_replications, "replications": self.replications, "met": self.met,
                "batches": self.batches, "half_widths": self.status}

    def describe(self) -> str:
        worst = _worst(self.status)
        if self.met:
            head = f"Precision reached with {self.replications} replications per variant"
        else:
            head = (f"Precision NOT reached: stopped at the cap of {self.replications} replications per variant"
                    f" (--max-replications {self.max_replications})")
        text = head + (f"; widest: {worst}." if worst else ".")
        if self.met and self.replications < 10:
            text += (f" With only {self.replications} replications the half-width is itself a rough estimate;"
                     " starting from --replications 10 or more is safer.")
        return text


def _worst(status: list[dict[str, Any]]) -> str:
    if not status:
        return ""

    def ratio(s: dict[str, Any]) -> float:
        return math.inf if s["half_width"] is None else s["half_width"] / s["target"]

    s = max(status, key=ratio)
    what = f"{s['variant']} − {s['reference']}" if s["reference"] else s["variant"]
    half = "undefined (fewer than 2 finite values)" if s["half_width"] is None else f"±{s['half_width']:.4g}"
    return f"{s['metric']} ({what}) {half} vs target {s['target']:g}"


def run_to_precision(loaded: LoadedScenario, run_batch: Callable[[int, int], list[RunResult]],
                     targets: dict[str, float], cap: int, reference: str = "base", all_pairs: bool = False,
                     log: Callable[[str], None] | None = None) -> tuple[list[RunResult], PrecisionReport]:
    """Run replications in batches until every targeted half-width is within its target, or ``cap``.

    ``run_batch(first, stop)`` runs replications first..stop-1 of every variant.
    Replication r does not depend on how many are run, so the results equal a
    plain run with the final count.
    """
    from sim.results.output import summary_frame

    start = min(loaded.base.replications, cap)
    report = PrecisionReport(dict(targets), cap, start)
    results: list[RunResult] = []
    done = 0
    total = start
    while True:
        results.extend(run_batch(done, total))
        done = total
        report.batches.append(done)
        report.status = precision_status(summary_frame(results), targets, reference, all_pairs)
        report.replications = done
        report.met = all(s["met"] for s in report.status)
        nxt = next_total(done, report.status, cap)
        if report.met or nxt <= done:
            break
        if log is not None:
            log(f"precision: after {done} replications the widest is {_worst(report.status)}; "
                f"running {nxt - done} more (cap {cap})")
        total = nxt
    order = {name: i for i, (name, _) in enumerate(loaded.all_variants())}
    results.sort(key=lambda r: (order.get(r.variant, len(order)), r.replication))
    return results, report
