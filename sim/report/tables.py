"""The report's tables from a results folder's CSV files: headline, comparison, sweep."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.analysis.stats import t_halfwidth
from sim.model import catalogue
from sim.plotting.forest import SIGNIFICANT
from sim.plotting.labels import Lang, metric_label
from sim.report.scorecard import CLEAR, verdict
from sim.report.text import word
from sim.scenario.decision import Decision

if TYPE_CHECKING:
    import pandas as pd



@dataclass(frozen=True)
class Table:
    """Rows of already-formatted cells; ``strong`` marks rows to set in bold."""

    header: list[str]
    rows: list[list[str]]
    strong: list[bool]
    text_columns: int = 1  # the first columns are words; the rest are numbers, right-aligned
    notes: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column): a small line under the cell


# Value columns per table block: a table with more variants than this wraps down the page in blocks
# (each repeating the row labels) instead of scrolling sideways.
BLOCK_COLUMNS = 4


def column_groups(keys: list[str], per_block: int = BLOCK_COLUMNS) -> list[list[int]]:
    """Indices of value columns in blocks of at most ``per_block``.

    Columns of the same key (a family of variants: a policy and its timing variants) stay together,
    in the order keys first appear; a family goes into the first block with room for it (so small
    families share blocks), and a family larger than a block is cut into blocks of even size.
    """
    by_key: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        by_key.setdefault(key, []).append(i)
    out: list[list[int]] = []
    for members in by_key.values():
        if len(members) > per_block:
            count = math.ceil(len(members) / per_block)
            size = math.ceil(len(members) / count)
            out += [members[i:i + size] for i in range(0, len(members), size)]
            continue
        room = next((block for block in out if len(block) + len(members) <= per_block), None)  # first fit
        if room is None:
            out.append(list(members))
        else:
            room += members
    return out


def blocks(table: Table, per_block: int = BLOCK_COLUMNS, keys: list[str] | None = None) -> list[Table]:
    """``table`` cut into tables of at most ``per_block`` value columns, each repeating the text columns."""
    fixed = table.text_columns if table.text_columns < len(table.header) else 1
    values = len(table.header) - fixed
    if values <= per_block:
        return [table]
    out = []
    for group in column_groups(keys or [""] * values, per_block):
        chosen = list(range(fixed)) + [fixed + i for i in group]
        notes = {(r, chosen.index(c)): text for (r, c), text in table.notes.items() if c in chosen}
        out.append(Table([table.header[c] for c in chosen], [[row[c] for c in chosen] for row in table.rows],
                         table.strong, min(table.text_columns, len(chosen)), notes))
    return out


def renamed(table: Table, names: dict[str, str], columns: tuple[int, ...] = ()) -> Table:
    """``table`` with its header's names, and the cells of ``columns``, shown by their display labels."""
    if not names:
        return table
    rows = [[names.get(c, c) if i in columns else c for i, c in enumerate(row)] for row in table.rows]
    return Table([names.get(h, h) for h in table.header], rows, table.strong, table.text_columns, table.notes)


def digits_for(value: float) -> int:
    """Decimals that suit a metric of this size (the same for its mean, half-width and CI)."""
    size = abs(value) if value is not None and math.isfinite(value) else 0.0
    return 0 if size >= 1e3 else (1 if size >= 1 or size == 0 else 3)


def fmt(value: float, metric: str, lang: Lang, signed: bool = False, digits: int | None = None) -> str:
    if value is None or not math.isfinite(value):
        return word("never", lang) if metric.startswith("day_") or metric.endswith("_day") else "–"
    if catalogue.is_share(metric):
        return f"{value * 100:+.1f} pp" if signed else f"{value * 100:.1f} %"
    d = digits_for(value) if digits is None else digits
    return f"{value:+,.{d}f}" if signed else f"{value:,.{d}f}"


def headline_table(summary: pd.DataFrame, survival: pd.DataFrame | None, variants: list[str],
                   lang: Lang) -> Table:
    """Mean ± 95 % half-width over replications of the headline metrics: a row per metric, a column per
    variant (so that variants are compared along a row)."""
    metrics = [m for m in catalogue.headline("headline") if m in summary.columns
               or (m == "km_median_restart_day" and survival is not None and m in survival.columns)]
    rows: list[list[str]] = []
    notes: dict[tuple[int, int], str] = {}
    for m in metrics:
        row = [metric_label(m, lang)]
        for v in variants:
            if m == "km_median_restart_day" and survival is not None:
                row.append(_km_cell(survival, v, lang))
                continue
            values = summary.loc[summary["variant"].astype(str) == v, m].to_numpy(dtype=float)
            finite = values[np.isfinite(values)]
            if not len(finite):
                row.append(not_reached(len(values), len(values), lang) if len(values) else "–")
                continue
            mean = float(finite.mean())
            cell = fmt(mean, m, lang)
            half = t_halfwidth(finite)
            if math.isfinite(half):
                cell += " ± " + (f"{half * 100:.1f}" if catalogue.is_share(m)
                                 else fmt(half, m, lang, digits=digits_for(mean)))
            if len(finite) < len(values):  # a threshold not reached: censored at the horizon, never dropped
                # Censoring is at the horizon only, after every observed day, so the Kaplan–Meier median over
                # replications is the plain median with "never" as later than any day.
                ordered = np.sort(np.where(np.isfinite(values), values, np.inf))
                median = float(ordered[math.ceil(len(ordered) / 2) - 1])  # first day with S(t) <= 0.5
                km = fmt(median, m, lang) if math.isfinite(median) else word("never", lang)
                notes[(len(rows), len(row))] = (f"{not_reached(len(values) - len(finite), len(values), lang)}; "
                                                f"{word('mean_of_reached', lang).format(k=len(finite))}; "
                                                f"{word('km_median', lang).format(value=km)}")
            row.append(cell)
        rows.append(row)
    return Table([word("metric", lang)] + list(variants), rows, [False] * len(rows), notes=notes)


def not_reached(missed: int, replications: int, lang: Lang) -> str:
    """'not reached in 3 of 8 replications' (a threshold day is censored at the horizon there)."""
    return word("not_reached", lang).format(k=missed, n=replications)


def _km_cell(survival: pd.DataFrame, variant: str, lang: Lang) -> str:
    match = survival[survival["variant"].astype(str) == variant]
    if match.empty:
        return "–"
    r = match.iloc[0]
    m = "km_median_restart_day"
    return (f"{fmt(float(r[m]), m, lang)} [{fmt(float(r['km_median_ci_low']), m, lang)}, "
            f"{fmt(float(r['km_median_ci_high']), m, lang)}]")


def comparison_table(comparison: pd.DataFrame, lang: Lang, metrics: tuple[str, ...] | None = None,
                     decision: Decision | None = None) -> Table:
    """variant − reference per metric: means, difference [95 % CI], p and Holm-adjusted p.

    A row is bold when it is significant after the Holm correction *and* its verdict against the
    minimal important difference is clear (a significant but negligible gap is not news).
    """
    decision = decision or Decision()
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
                     f"{_signed(float(r['mean_difference']), m, lang, d)} "
                     f"[{_signed(float(r['ci_low']), m, lang, d)}, {_signed(float(r['ci_high']), m, lang, d)}]",
                     _pairs(r), _p(float(r.get("p_value", math.nan))), _p(p_holm)])
        clear = verdict(float(r["mean_difference"]), float(r["ci_low"]), float(r["ci_high"]), decision.mid(m),
                        catalogue.direction(m)) in CLEAR
        strong.append(math.isfinite(p_holm) and p_holm < SIGNIFICANT and clear)
    header = [word(k, lang) for k in ("variant", "reference", "metric", "mean_reference", "mean_variant",
                                      "difference", "n_pairs", "p_value", "p_holm")]
    return Table(header, rows, strong, text_columns=3)


def _pairs(r: pd.Series) -> str:
    n = r.get("n")
    return "–" if n is None or not math.isfinite(float(n)) else str(int(n))


def _first_seen(series: pd.Series) -> dict[str, int]:
    return {v: i for i, v in enumerate(dict.fromkeys(series))}


def _p(p: float) -> str:
    if not math.isfinite(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _signed(value: float, metric: str, lang: Lang, digits: int) -> str:
    """A signed difference that never reads '-0.0' or '+0.0'."""
    text = fmt(value, metric, lang, True, digits)
    return text.replace("+", "", 1).replace("-", "", 1) if _is_zero(text) else text


def _is_zero(text: str) -> bool:
    digits = [c for c in text if c.isdigit()]
    return bool(digits) and set(digits) == {"0"}


def frame_table(frame: pd.DataFrame, digits: int = 3, max_rows: int = 200) -> Table:
    """Any small frame as a table (sweep summaries, sensitivity indices)."""
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "–" if not math.isfinite(v) else f"{v:.{digits}g}"
        return str(v)

    rows = [[cell(v) for v in row] for row in frame.head(max_rows).itertuples(index=False)]
    return Table([str(c) for c in frame.columns], rows, [False] * len(rows))
