"""The report's tables from a results folder's CSV files: headline, comparison, findings, sweep."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.analysis.stats import t_halfwidth
from sim.plotting.forest import SIGNIFICANT
from sim.plotting.labels import PERCENT_METRICS, Lang, metric_label
from sim.report.text import word

if TYPE_CHECKING:
    import pandas as pd

HEADLINE_METRICS = ("restarted_share", "mean_restart_day", "km_median_restart_day", "day_resumed_50",
                    "day_resumed_90", "full_production_share", "failed_share", "jobs_lost",
                    "output_lost_share", "incidents", "loans_disbursed", "liaison_coverage")
COMPARISON_METRICS = ("mean_restart_day", "day_resumed_50", "day_resumed_90", "restarted_share",
                      "full_production_share", "failed_share", "jobs_lost", "output_lost_share", "incidents",
                      "loans_disbursed")
# Lower is better for these, so a negative difference is good news.
DAY_METRICS = ("mean_restart_day", "median_restart_day", "day_resumed_50", "day_resumed_90",
               "mean_full_production_day")


@dataclass(frozen=True)
class Table:
    """Rows of already-formatted cells; ``strong`` marks rows to set in bold."""

    header: list[str]
    rows: list[list[str]]
    strong: list[bool]
    text_columns: int = 1  # the first columns are words; the rest are numbers, right-aligned


def digits_for(value: float) -> int:
    """Decimals that suit a metric of this size (the same for its mean, half-width and CI)."""
    size = abs(value) if value is not None and math.isfinite(value) else 0.0
    return 0 if size >= 1e3 else (1 if size >= 1 or size == 0 else 3)


def fmt(value: float, metric: str, lang: Lang, signed: bool = False, digits: int | None = None) -> str:
    if value is None or not math.isfinite(value):
        return word("never", lang) if metric.startswith("day_") or metric.endswith("_day") else "–"
    if metric in PERCENT_METRICS:
        return f"{value * 100:+.1f} pp" if signed else f"{value * 100:.1f} %"
    d = digits_for(value) if digits is None else digits
    return f"{value:+,.{d}f}" if signed else f"{value:,.{d}f}"


def headline_table(summary: pd.DataFrame, survival: pd.DataFrame | None, variants: list[str],
                   lang: Lang) -> Table:
    """Mean ± 95 % half-width over replications of the headline metrics: a row per metric, a column per
    variant (so that variants are compared along a row)."""
    metrics = [m for m in HEADLINE_METRICS if m in summary.columns
               or (m == "km_median_restart_day" and survival is not None and m in survival.columns)]
    rows = []
    for m in metrics:
        row = [metric_label(m, lang)]
        for v in variants:
            if m == "km_median_restart_day" and survival is not None:
                row.append(_km_cell(survival, v, lang))
                continue
            values = summary.loc[summary["variant"].astype(str) == v, m].to_numpy(dtype=float)
            finite = values[np.isfinite(values)]
            if not len(finite):
                row.append(fmt(math.nan, m, lang))
                continue
            mean = float(finite.mean())
            cell = fmt(mean, m, lang)
            half = t_halfwidth(finite)
            if math.isfinite(half):
                cell += " ± " + (f"{half * 100:.1f}" if m in PERCENT_METRICS
                                 else fmt(half, m, lang, digits=digits_for(mean)))
            if len(finite) < len(values):
                cell += f" ({len(values) - len(finite)}× {word('never', lang)})"
            row.append(cell)
        rows.append(row)
    return Table([word("metric", lang)] + list(variants), rows, [False] * len(rows))


def _km_cell(survival: pd.DataFrame, variant: str, lang: Lang) -> str:
    match = survival[survival["variant"].astype(str) == variant]
    if match.empty:
        return "–"
    r = match.iloc[0]
    m = "km_median_restart_day"
    return (f"{fmt(float(r[m]), m, lang)} [{fmt(float(r['km_median_ci_low']), m, lang)}, "
            f"{fmt(float(r['km_median_ci_high']), m, lang)}]")


def comparison_table(comparison: pd.DataFrame, lang: Lang, metrics: tuple[str, ...] | None = None) -> Table:
    """variant − reference per metric: means, difference [95 % CI], p and Holm-adjusted p."""
    rows_df = comparison if metrics is None else comparison[comparison["metric"].isin(metrics)]
    if metrics is not None:  # variants in file order, metrics in the chosen order
        v_order, m_order = _first_seen(comparison["variant"]), {m: i for i, m in enumerate(metrics)}
        rows_df = rows_df.assign(_v=rows_df["variant"].map(v_order), _m=rows_df["metric"].map(m_order))
        rows_df = rows_df.sort_values(["_v", "_m"], kind="stable")
    rows, strong = [], []
    for _, r in rows_df.iterrows():
        m = str(r["metric"])
        p_holm = float(r.get("p_holm", math.nan))
        d = digits_for(float(r["mean_reference"]))
        rows.append([str(r["variant"]), str(r["reference"]), metric_label(m, lang),
                     fmt(float(r["mean_reference"]), m, lang, digits=d),
                     fmt(float(r["mean_variant"]), m, lang, digits=d),
                     f"{fmt(float(r['mean_difference']), m, lang, True, d)} "
                     f"[{fmt(float(r['ci_low']), m, lang, True, d)}, {fmt(float(r['ci_high']), m, lang, True, d)}]",
                     _p(float(r.get("p_value", math.nan))), _p(p_holm)])
        strong.append(math.isfinite(p_holm) and p_holm < SIGNIFICANT)
    header = [word(k, lang) for k in ("variant", "reference", "metric", "mean_reference", "mean_variant",
                                      "difference", "p_value", "p_holm")]
    return Table(header, rows, strong, text_columns=3)


def _first_seen(series: pd.Series) -> dict[str, int]:
    return {v: i for i, v in enumerate(dict.fromkeys(series))}


def _p(p: float) -> str:
    if not math.isfinite(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


FINDING_METRICS = ("mean_restart_day", "day_resumed_90", "failed_share")

Segment = tuple[str, bool]  # text, set in bold (a difference that survives the Holm correction)


def findings(comparison: pd.DataFrame, summary: pd.DataFrame, lang: Lang) -> list[list[Segment]]:
    """What a planner reads first: which variant restarts firms soonest, then one line per variant with
    its paired differences from the reference on the mean restart day, the day 复工率 reaches 90 % and
    the share failed (bold when significant after the Holm correction)."""
    out: list[list[Segment]] = []
    if "mean_restart_day" in summary.columns:
        means = summary.groupby("variant", sort=False)["mean_restart_day"].mean().dropna()
        if len(means) > 1:
            best, base = str(means.idxmin()), str(means.index[0])
            label = metric_label("mean_restart_day", lang)
            if lang == "zh":
                text = f"复工最快的方案：{best}（{label} {means[best]:.1f} 天，{base} 为 {means[base]:.1f} 天）。"
            else:
                text = (f"Soonest restarts: {best} ({label} {means[best]:.1f} days, against "
                        f"{means[base]:.1f} for {base}).")
            out.append([(text, False)])
    pairs = list(dict.fromkeys(zip(comparison["variant"].astype(str), comparison["reference"].astype(str),
                                   strict=True)))
    for variant, reference in pairs:
        rows = comparison[(comparison["variant"].astype(str) == variant)
                          & (comparison["reference"].astype(str) == reference)]
        line: list[Segment] = [(f"{variant} − {reference}: ", False)]
        for metric in FINDING_METRICS:
            match = rows[rows["metric"] == metric]
            if match.empty or not math.isfinite(float(match.iloc[0]["mean_difference"])):
                continue
            r = match.iloc[0]
            p = float(r.get("p_holm", math.nan))
            sig = math.isfinite(p) and p < SIGNIFICANT
            if len(line) > 1:
                line.append(("; ", False))
            line.append((_clause(metric, float(r["mean_difference"]), float(r["ci_low"]), float(r["ci_high"]),
                                 p, lang), sig))
        if len(line) > 1:
            line.append(("." if lang == "en" else "。", False))
            out.append(line)
    return out


def _clause(metric: str, diff: float, low: float, high: float, p: float, lang: Lang) -> str:
    pct = metric in PERCENT_METRICS
    scale = 100.0 if pct else 1.0
    unit = word("pp", lang) if pct else (word("days", lang) if metric in DAY_METRICS else "")
    ci = f"[{low * scale:+.1f}, {high * scale:+.1f}]"
    text = f"{metric_label(metric, lang)} {diff * scale:+.1f} {unit} {ci}, Holm p = {_p(p)}"
    return text.replace("  ", " ")


def frame_table(frame: pd.DataFrame, digits: int = 3, max_rows: int = 200) -> Table:
    """Any small frame as a table (sweep summaries, sensitivity indices)."""
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "–" if not math.isfinite(v) else f"{v:.{digits}g}"
        return str(v)

    rows = [[cell(v) for v in row] for row in frame.head(max_rows).itertuples(index=False)]
    return Table([str(c) for c in frame.columns], rows, [False] * len(rows))
