"""The scorecard in words and table cells, in English or Chinese (the logic is in sim.report.scorecard)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.model import catalogue
from sim.plotting.labels import Lang, metric_label
from sim.report.scorecard import CLEAR, Cell, Scorecard
from sim.report.tables import Table
from sim.report.text import word


@dataclass(frozen=True)
class ScoreCell:
    """A table cell: the difference with its CI, the verdict, and a note on censoring."""

    text: str
    verdict: str  # key of the verdict (for the CSS class)
    label: str  # the verdict in words
    note: str = ""


@dataclass(frozen=True)
class ScorecardView:
    answer: list[str]  # sentences that answer the question, first the primary metric
    tradeoffs: list[str]  # one line per variant: where it is better and where worse
    header: list[str]
    rows: list[tuple[str, str, list[ScoreCell]]]  # metric label, MID text, cells per variant
    costs: Table | None
    cost_note: str
    mids_note: str


def _unit(metric: str, lang: Lang) -> str:
    if catalogue.is_share(metric):
        return word("pp_short", lang)
    if catalogue.is_day(metric):
        return word("days", lang)
    if catalogue.is_yuan(metric):
        return word("yuan", lang)
    return ""


def _digits(metric: str, mid: float, value: float) -> int:
    if catalogue.is_share(metric):
        return 1
    size = max(abs(mid), abs(value) if math.isfinite(value) else 0.0)
    return 0 if size >= 100 else 1


def number(value: float, metric: str, digits: int, signed: bool = True) -> str:
    """A difference as text; never '-0.0' or '+0.0' (a value that rounds to zero is '0')."""
    if not math.isfinite(value):
        return "–"
    v = value * 100 if catalogue.is_share(metric) else value
    text = f"{v:+,.{digits}f}" if signed else f"{v:,.{digits}f}"
    if float(text.replace(",", "")) == 0:
        return f"{0:.{digits}f}"
    return text


def difference_text(cell: Cell, lang: Lang) -> str:
    """'-5.7 days [-6.8, -4.7]' (a zero-width interval is not repeated)."""
    if not math.isfinite(cell.difference):
        return word("no_pairs", lang)
    if catalogue.is_yuan(cell.metric):
        ci = (f" [{yuan(cell.ci_low, lang, True)}, {yuan(cell.ci_high, lang, True)}]"
              if math.isfinite(cell.ci_low) and cell.ci_low != cell.ci_high else "")
        return yuan(cell.difference, lang, True) + ci
    d = _digits(cell.metric, cell.mid, cell.difference)
    unit = _unit(cell.metric, lang)
    main = number(cell.difference, cell.metric, d)
    low, high = number(cell.ci_low, cell.metric, d), number(cell.ci_high, cell.metric, d)
    ci = "" if not math.isfinite(cell.ci_low) or low == high == main else f" [{low}, {high}]"
    return f"{main}{(' ' + unit) if unit else ''}{ci}"


def mid_text(metric: str, mid: float, lang: Lang) -> str:
    if catalogue.is_yuan(metric):
        return "± " + yuan(mid, lang)
    shown = mid * 100 if catalogue.is_share(metric) else mid
    d = 0 if shown >= 1 and float(round(shown, 9)).is_integer() else _digits(metric, mid, mid)
    unit = _unit(metric, lang)
    if unit == "days" and mid == 1:
        unit = "day"
    return f"± {number(mid, metric, d, signed=False)}{(' ' + unit) if unit else ''}"


def yuan(value: float, lang: Lang, signed: bool = False, unit: bool = True) -> str:
    """Money as a planner reads it: millions of yuan (万元 in Chinese)."""
    if not math.isfinite(value):
        return "–"
    scaled, digits, name = (value / 1e4, 0, "万元") if lang == "zh" else (value / 1e6, 1, " million yuan")
    return number(scaled, "", digits, signed) + (name if unit else "")


def censored_text(cell: Cell, lang: Lang) -> str:
    """'not reached in 3 of 8 replications (variant); 0 of 8 (base)' when a threshold was missed."""
    if not catalogue.is_censored(cell.metric) or not (cell.censored_variant or cell.censored_reference):
        return ""
    r = cell.replications
    if lang == "zh":
        return (f"{r}次重复中未达到：本方案{cell.censored_variant}次，{cell.reference}{cell.censored_reference}次"
                "（按期末删失计）")
    return (f"not reached in {cell.censored_variant} of {r} replications ({cell.variant}), "
            f"{cell.censored_reference} of {r} ({cell.reference}); censored at the horizon")


def score_cell(cell: Cell | None, lang: Lang) -> ScoreCell:
    if cell is None:
        return ScoreCell("–", "no_data", "")
    return ScoreCell(difference_text(cell, lang), cell.verdict, word("verdict_" + cell.verdict, lang),
                     censored_text(cell, lang))


def answer_lines(card: Scorecard, lang: Lang) -> list[str]:
    """The answer on the primary metric: the clear winner, or which variants cannot be told apart."""
    label = metric_label(card.primary, lang)
    mid = mid_text(card.primary, card.cells[(card.variants[0], card.primary)].mid, lang) if card.variants else ""
    lines = []
    winner = card.winner
    if winner is not None:
        if winner == card.reference:
            lines.append(word("answer_base_best", lang).format(metric=label, base=winner, mid=mid))
        else:
            c = card.cells[(winner, card.primary)]
            lines.append(word("answer_winner", lang).format(metric=label, variant=winner, base=card.reference,
                                                            diff=difference_text(c, lang), mid=mid))
    elif len(card.tiers) == 1:
        lines.append(word("answer_all_tied", lang).format(metric=label, mid=mid))
    else:
        lines.append(word("answer_no_winner", lang).format(metric=label, mid=mid,
                                                           variants=", ".join(card.tiers[0].variants)))
    sep = "、" if lang == "zh" else ", "
    if len(card.tiers) > 1:
        ranked = (" > " if lang == "en" else " ＞ ").join(
            ("{" + sep.join(t.variants) + "}") if len(t.variants) > 1 else t.variants[0] for t in card.tiers)
        lines.append(word("answer_ranking", lang).format(metric=label, ranking=ranked))
    for i, tier in enumerate(card.tiers):
        if len(tier.variants) > 1 and not (i == 0 and winner is None):  # the first line said it already
            lines.append(word("answer_tie", lang).format(metric=label, variants=sep.join(tier.variants), mid=mid))
    return lines


def tradeoff_lines(card: Scorecard, lang: Lang) -> list[str]:
    """Per variant: the metrics where it is clearly better, clearly worse, and where it cannot be told."""
    sep = "；" if lang == "zh" else "; "
    out = []
    for v in card.variants:
        groups: dict[str, list[str]] = {"better": [], "worse": [], "changed": [], "uncertain": []}
        for m in card.metrics:
            c = card.cells[(v, m)]
            label = metric_label(m, lang)
            if c.verdict in ("better", "worse"):
                groups[c.verdict].append(label)
            elif c.verdict in CLEAR:
                groups["changed"].append(f"{label} ({word('verdict_' + c.verdict, lang)})")
            elif c.verdict == "uncertain":
                groups["uncertain"].append(label)
        comma = "、" if lang == "zh" else ", "
        parts = [f"{word('tradeoff_' + k, lang)}: {comma.join(items)}" for k, items in groups.items() if items]
        if not parts:
            parts = [word("tradeoff_none", lang).format(base=card.reference)]
        out.append(f"{v} − {card.reference}: " + sep.join(parts))
    return out


def _amount(value: float, metric: str, lang: Lang, size: float) -> str:
    if catalogue.is_yuan(metric):
        return yuan(value, lang, unit=False)
    return number(value, metric, 0 if not math.isfinite(size) or abs(size) >= 100 else 1, signed=False)


def cost_label(metric: str, lang: Lang) -> str:
    """A cost's name with the unit its cells are in (money in millions of yuan, 万元 in Chinese)."""
    label = metric_label(metric, lang)
    if catalogue.is_yuan(metric):
        label = label.replace(", yuan", "").replace("（元）", "")
        return f"{label}, million yuan" if lang == "en" else f"{label}（万元）"
    return label


def cost_table(card: Scorecard, lang: Lang) -> Table | None:
    """Costs per variant (mean ± 95 % half-width) and jobs and firms saved per 1,000 cadre-days."""
    variants = [card.reference, *card.variants]
    rows = []
    for m in card.cost_metrics:
        row = [cost_label(m, lang)]
        for v in variants:
            mean, half = card.costs.get((v, m), (math.nan, math.nan))
            cell = _amount(mean, m, lang, mean)
            if math.isfinite(half) and half > 0:
                cell += f" ± {_amount(half, m, lang, mean)}"
            row.append(cell)
        rows.append(row)
    for label in ("jobs", "firms"):
        if not any((v, label) in card.effectiveness for v in card.variants):
            continue
        row = [word("saved_per_cadre_days_" + label, lang), "–"]
        for v in card.variants:
            mean, half = card.effectiveness.get((v, label), (math.nan, math.nan))
            cell = number(mean, "", 1)
            if math.isfinite(half) and half > 0:
                cell += f" ± {number(half, '', 1, signed=False)}"
            row.append(cell)
        rows.append(row)
    if not rows:
        return None
    return Table([word("cost", lang), *variants], rows, [False] * len(rows))


def scorecard_view(card: Scorecard, lang: Lang) -> ScorecardView:
    rows = []
    for m in card.metrics:
        mid = card.cells[(card.variants[0], m)].mid
        label = metric_label(m, lang) + (" ★" if m == card.primary else "")
        rows.append((label, mid_text(m, mid, lang), [score_cell(card.cell(v, m), lang) for v in card.variants]))
    missing = ", ".join(card.missing_costs)
    cost_note = word("costs_missing", lang).format(columns=missing) if card.missing_costs else ""
    if "cadre_days_deployed" in card.missing_costs:
        cost_note += " " + word("no_effectiveness", lang)
    return ScorecardView(
        answer=answer_lines(card, lang), tradeoffs=tradeoff_lines(card, lang),
        header=[word("metric", lang), word("mid", lang), *[f"{v} − {card.reference}" for v in card.variants]],
        rows=rows, costs=cost_table(card, lang), cost_note=cost_note.strip(),
        mids_note=word("scorecard_note", lang).format(n=card.replications))
