"""The scorecard in words and table cells, in English or Chinese (the logic is in sim.report.scorecard)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.model import catalogue
from sim.plotting.labels import Lang, metric_label
from sim.report.costs_view import cost_notes, cost_tables
from sim.report.numbers import digits_of, number, unit_word, yuan
from sim.report.scorecard import CLEAR, Cell, Scorecard
from sim.report.tables import BLOCK_COLUMNS, Table, column_groups
from sim.report.text import word
from sim.scenario.labels import Labels


@dataclass(frozen=True)
class ScoreCell:
    """A table cell: the difference with its CI, the verdict, and a note on censoring."""

    text: str
    verdict: str  # key of the verdict (for the CSS class)
    label: str  # the verdict in words
    note: str = ""
    span: int = 1  # variants (columns) the cell stands for


ScoreRow = tuple[str, str, list[ScoreCell]]  # metric label, MID text, a cell per variant


@dataclass(frozen=True)
class ScoreBlock:
    """Part of the scorecard table: a few variants (those sharing a reference together), every metric."""

    header: list[str]
    rows: list[ScoreRow]


@dataclass(frozen=True)
class ScorecardView:
    answer: list[str]  # sentences that answer the question, first the primary metric
    tradeoffs: list[str]  # one line per variant: where it is better and where worse
    header: list[str]  # the whole table (every variant) …
    rows: list[ScoreRow]
    blocks: list[ScoreBlock]  # … and as shown: blocks of a few variants, so that it wraps, never scrolls
    costs: list[Table]  # the cost table in blocks ([] without costs)
    cost_note: str
    unit_costs_note: str
    mids_note: str


def difference_text(cell: Cell, lang: Lang) -> str:
    """'-5.7 days [-6.8, -4.7]' (a zero-width interval is not repeated)."""
    if not math.isfinite(cell.difference):
        return word("no_pairs", lang)
    if catalogue.is_yuan(cell.metric):
        ci = (f" [{yuan(cell.ci_low, lang, True)}, {yuan(cell.ci_high, lang, True)}]"
              if math.isfinite(cell.ci_low) and cell.ci_low != cell.ci_high else "")
        return yuan(cell.difference, lang, True) + ci
    d = digits_of(cell.metric, cell.mid, cell.difference)
    unit = unit_word(cell.metric, lang)
    main = number(cell.difference, cell.metric, d)
    low, high = number(cell.ci_low, cell.metric, d), number(cell.ci_high, cell.metric, d)
    ci = "" if not math.isfinite(cell.ci_low) or low == high == main else f" [{low}, {high}]"
    return f"{main}{(' ' + unit) if unit else ''}{ci}"


def mid_text(metric: str, mid: float, lang: Lang) -> str:
    if catalogue.is_yuan(metric):
        return "± " + yuan(mid, lang)
    shown = mid * 100 if catalogue.is_share(metric) else mid
    d = 0 if shown >= 1 and float(round(shown, 9)).is_integer() else digits_of(metric, mid, mid)
    unit = unit_word(metric, lang)
    if unit == "days" and mid == 1:
        unit = "day"
    return f"± {number(mid, metric, d, signed=False)}{(' ' + unit) if unit else ''}"


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
    if cell.verdict == "not_reached":
        return ScoreCell("", "not_reached", word("verdict_not_reached", lang),
                         word("not_reached_either", lang).format(n=cell.replications))
    return ScoreCell(difference_text(cell, lang), cell.verdict, word("verdict_" + cell.verdict, lang),
                     censored_text(cell, lang))


def answer_lines(card: Scorecard, lang: Lang, labels: Labels | None = None) -> list[str]:
    """The answer on the primary metric: the clear winner, or which variants cannot be told apart."""
    name = _namer(labels, lang)
    label = metric_label(card.primary, lang)
    mid = mid_text(card.primary, card.cells[(card.variants[0], card.primary)].mid, lang) if card.variants else ""
    lines = []
    winner = card.winner
    sep = "、" if lang == "zh" else ", "
    if winner is not None:
        if (winner, card.primary) not in card.cells:  # the reference itself is best
            lines.append(word("answer_base_best", lang).format(metric=label, base=name(winner), mid=mid))
        else:
            c = card.cells[(winner, card.primary)]
            lines.append(word("answer_winner", lang).format(metric=label, variant=name(winner),
                                                            base=name(c.reference), diff=difference_text(c, lang),
                                                            mid=mid))
    elif len(card.tiers) == 1:
        lines.append(word("answer_all_tied", lang).format(metric=label, mid=mid))
    else:
        lines.append(word("answer_no_winner", lang).format(metric=label, mid=mid,
                                                           variants=sep.join(map(name, card.tiers[0].variants))))
    if len(card.tiers) > 1:
        ranked = (" > " if lang == "en" else " ＞ ").join(
            ("{" + sep.join(map(name, t.variants)) + "}") if len(t.variants) > 1 else name(t.variants[0])
            for t in card.tiers)
        lines.append(word("answer_ranking", lang).format(metric=label, ranking=ranked))
    for i, tier in enumerate(card.tiers):
        if len(tier.variants) > 1 and not (i == 0 and winner is None):  # the first line said it already
            lines.append(word("answer_tie", lang).format(metric=label, variants=sep.join(map(name, tier.variants)),
                                                         mid=mid))
    return lines


def _namer(labels: Labels | None, lang: Lang):  # type: ignore[no-untyped-def]
    """A variant's display label in ``lang`` (its name without labels)."""
    return (lambda v: labels.variant(v, lang)) if labels is not None else (lambda v: v)


def tradeoff_lines(card: Scorecard, lang: Lang, labels: Labels | None = None) -> list[str]:
    """Per variant: the metrics where it is clearly better, clearly worse, and where it cannot be told."""
    name = _namer(labels, lang)
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
        ref = name(card.reference_of(v))
        parts = [f"{word('tradeoff_' + k, lang)}: {comma.join(items)}" for k, items in groups.items() if items]
        if not parts:
            parts = [word("tradeoff_none", lang).format(base=ref)]
        out.append(f"{name(v)} − {ref}: " + sep.join(parts))
    return out


def _merged(cells: list[ScoreCell], replications: int, lang: Lang) -> list[ScoreCell]:
    """A row of a block where no variant nor its reference ever reached the threshold, as one cell (the same
    note in every column said nothing more)."""
    if len(cells) < 2 or any(c.verdict != "not_reached" for c in cells):
        return cells
    return [ScoreCell("", "not_reached", word("verdict_not_reached_any", lang),
                      word("not_reached_any", lang).format(n=replications), span=len(cells))]


def scorecard_view(card: Scorecard, lang: Lang, labels: Labels | None = None,
                   per_block: int = BLOCK_COLUMNS) -> ScorecardView:
    """The scorecard in ``lang``, its table cut into blocks of at most ``per_block`` variants (a policy and
    the variants compared with it together)."""
    name = _namer(labels, lang)
    rows: list[ScoreRow] = []
    for m in card.metrics:
        mid = card.cells[(card.variants[0], m)].mid
        label = metric_label(m, lang) + (" ★" if m == card.primary else "")
        rows.append((label, mid_text(m, mid, lang), [score_cell(card.cell(v, m), lang) for v in card.variants]))
    header = [word("metric", lang), word("mid", lang),
              *[f"{name(v)} − {name(card.reference_of(v))}" for v in card.variants]]
    groups = column_groups([card.family(v) for v in card.variants], per_block)
    shown = [ScoreBlock(header[:2] + [header[2 + i] for i in g],
                        [(label, mid, _merged([cells[i] for i in g], card.replications, lang))
                         for label, mid, cells in rows]) for g in groups]
    cost_note, unit_note = cost_notes(card, lang)
    return ScorecardView(
        answer=answer_lines(card, lang, labels), tradeoffs=tradeoff_lines(card, lang, labels),
        header=header, rows=rows, blocks=shown, costs=cost_tables(card, lang, labels, per_block),
        cost_note=cost_note, unit_costs_note=unit_note,
        mids_note=word("scorecard_note", lang).format(n=card.replications))
