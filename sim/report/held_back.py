"""What holds firms back, and why the leading variant wins: the report's binding-constraint view.

A run whose model counts every firm, each day, under the one constraint that
binds it writes ``held_<constraint>`` shares to ``timeseries.csv``
(:mod:`sim.plotting.held_back` finds them and draws a stacked area per
variant). This section adds:

- **why the leading variant wins**: the variant the scorecard ranks first
  against its reference (against the next best when it is the reference
  itself), constraint by constraint, as the paired difference of the shares
  (replication by replication, common random numbers) with its 95 % CI, on a
  few days: the day the two differ most (half the total variation distance of
  their mean shares), half-way to it and twice as far; and in words, the
  constraints whose shares differ most on that day;
- the shares of every variant on those days (a table, beside the figure).

Nothing here knows the constraints' names: any held_* series is read the same.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.analysis.stats import PairedDifference, paired_difference
from sim.plotting.held_back import NOT_HELD, held_columns, held_label, mean_shares, stack_order
from sim.plotting.labels import Lang, metric_label
from sim.report.counties import day_text
from sim.report.numbers import number
from sim.report.tables import Table, blocks, renamed
from sim.report.text import word

if TYPE_CHECKING:
    import pandas as pd

    from sim.report.scorecard import Scorecard
    from sim.scenario.labels import Labels

VISIBLE = 0.0005  # a constraint holding fewer firms than this (0.05 %) on every day shown is left out of the tables
REASONS = 3  # constraints named in the sentence on why the leader wins


@dataclass(frozen=True)
class Contrast:
    """The leading variant against the variant it is compared with, constraint by constraint."""

    leader: str
    other: str
    tied: list[str]  # variants the scorecard cannot tell from the leader
    day: int  # the day the two differ most
    differences: dict[tuple[str, int], PairedDifference]  # (column, day): leader − other


@dataclass(frozen=True)
class HeldBack:
    """Everything the section shows."""

    series: list[tuple[str, str]]  # (column, label), bottom to top of the stack
    pair: tuple[str, str] | None  # the leader and the variant it is compared with
    days: list[int]
    lines: list[str]  # why the leader wins, in words
    contrast: Table | None  # a row per constraint, a column per day: leader − other, pp [95 % CI]
    shares: list[Table]  # day, constraint, then a column per variant: mean share (in blocks of variants)


def leader_and_other(card: Scorecard) -> tuple[str, str, list[str]] | None:
    """The variant ranked first, the one it is compared with, and the variants tied with it; None when there
    is nothing to compare. The leader's reference when it has one in the run; when the leader is the
    reference itself, the best variant of the next tier (of its own tier when all are tied)."""
    if not card.tiers:
        return None
    leader = card.winner or card.tiers[0].variants[0]
    tied = [v for v in card.tiers[0].variants if v != leader]
    if leader in card.references:
        return leader, card.references[leader], tied
    following = [v for tier in card.tiers[1:] for v in tier.variants] or tied
    return (leader, following[0], tied) if following else None


def _per_replication(timeseries: pd.DataFrame, variant: str, column: str) -> pd.DataFrame:
    """``column`` of one variant as a table: a row per day, a column per replication."""
    rows = timeseries.loc[timeseries["variant"].astype(str) == variant, ["day", "replication", column]]
    return rows.pivot_table(index="day", columns="replication", values=column, aggfunc="first")


def widest_gap_day(first: pd.DataFrame, second: pd.DataFrame, columns: list[str]) -> int | None:
    """The day (after day 0) on which two variants' mean shares differ most: the largest total variation
    distance, half the sum of the absolute differences over the constraints. None when they never differ."""
    common = first.index.intersection(second.index)
    common = common[common > 0]
    if not len(common):
        return None
    gap = 0.5 * (first.loc[common, columns] - second.loc[common, columns]).abs().sum(axis=1)
    if not (gap > 0).any():
        return None
    return int(gap.idxmax())


def chosen_days(gap_day: int | None, last: int) -> list[int]:
    """The days the tables show: half-way to the widest gap, the gap, twice as far (within the run); without
    a gap, a quarter, half of and the whole of the run."""
    if gap_day is None:
        wanted = [last / 4, last / 2, last]
    else:
        wanted = [gap_day / 2, gap_day, gap_day * 2]
    return sorted({min(last, max(1, round(d))) for d in wanted})


def contrast(timeseries: pd.DataFrame, columns: list[str], leader: str, other: str, tied: list[str],
             days: list[int], gap_day: int) -> Contrast:
    """The paired differences leader − other of each constraint's share on ``days``."""
    differences = {}
    for column in columns:
        mine, theirs = _per_replication(timeseries, leader, column), _per_replication(timeseries, other, column)
        common = sorted(set(mine.columns) & set(theirs.columns))
        for day in days:
            if day in mine.index and day in theirs.index:
                differences[(column, day)] = paired_difference(theirs.loc[day, common].to_numpy(dtype=float),
                                                               mine.loc[day, common].to_numpy(dtype=float))
    return Contrast(leader, other, tied, gap_day, differences)


def _pp(value: float, signed: bool = True) -> str:
    """A share (0–1) in percent or percentage points, one decimal; never '+0.0'."""
    return number(value * 100, "percent", 1, signed)


def _clear(d: PairedDifference) -> bool:
    return math.isfinite(d.ci_low) and math.isfinite(d.ci_high) and (d.ci_low > 0 or d.ci_high < 0)


def contrast_table(found: Contrast, columns: list[str], days: list[int], means: dict[str, pd.DataFrame],
                   start: dt.date | None, lang: Lang) -> Table:
    """A row per constraint, a column per day: the leader's share minus the other's, in percentage points with
    its 95 % CI, the two shares under it; a row in bold where a CI excludes zero."""
    header = [word("constraint", lang), *(day_text(d, start, lang) for d in days)]
    rows: list[list[str]] = []
    strong: list[bool] = []
    notes: dict[tuple[int, int], str] = {}
    for column in _shown(columns, days, {v: means[v] for v in (found.leader, found.other)}):
        row, bold = [held_label(column, lang)], False
        for day in days:
            d = found.differences.get((column, day))
            if d is None or not math.isfinite(d.mean_difference):
                row.append("–")
                continue
            interval = (f" [{_pp(d.ci_low)}, {_pp(d.ci_high)}]"
                        if math.isfinite(d.ci_low) and math.isfinite(d.ci_high) else "")
            row.append(f"{_pp(d.mean_difference)} pp{interval}")
            notes[(len(rows), len(row) - 1)] = word("shares_pair", lang).format(
                mine=_pp(d.mean_variant, False), theirs=_pp(d.mean_reference, False))
            bold = bold or _clear(d)
        rows.append(row)
        strong.append(bold)
    return Table(header, rows, strong, 1, notes)


def shares_table(columns: list[str], days: list[int], means: dict[str, pd.DataFrame], variants: list[str],
                 start: dt.date | None, lang: Lang) -> Table:
    """Day and constraint, then per variant its mean share of firms held back by the constraint that day."""
    header = [word("day_word", lang), word("constraint", lang), *variants]
    rows, strong = [], []
    for day in days:
        for k, column in enumerate(_shown(columns, [day], means)):
            rows.append([day_text(day, start, lang) if k == 0 else "", held_label(column, lang),
                         *(f"{_pp(float(means[v].loc[day, column]), False)} %" if day in means[v].index else "–"
                           for v in variants)])
            strong.append(column == NOT_HELD)
    return Table(header, rows, strong, 2)


def _shown(columns: list[str], days: list[int], means: dict[str, pd.DataFrame]) -> list[str]:
    """The constraints, top of the stack first, that hold at least VISIBLE of the firms on one of ``days`` in
    one of the variants (the others would be rows of zeros)."""
    def seen(column: str) -> bool:
        return any(day in m.index and float(m.loc[day, column]) >= VISIBLE for m in means.values() for day in days)

    return [c for c in reversed(stack_order(columns)) if seen(c)]


def why_lines(found: Contrast, card: Scorecard, start: dt.date | None, lang: Lang,
              name: dict[str, str]) -> list[str]:
    """The constraints that differ most between the leader and the other on the day of the widest gap: why the
    leader wins when it is the clear winner; what differs between them when the run cannot tell them apart."""
    sep = "、" if lang == "zh" else ", "
    leader, other = name.get(found.leader, found.leader), name.get(found.other, found.other)
    values = {"leader": leader, "other": other, "metric": metric_label(card.primary, lang),
              "day": day_text(found.day, start, lang)}
    if found.other in found.tied:  # a tie: nothing to explain, only a difference to show
        lead = word("held_differs", lang).format(**values)
        tied = [v for v in found.tied if v != found.other]
    else:
        lead = word("held_why", lang).format(**values)
        tied = found.tied
    notes = ([word("held_tied", lang).format(variants=sep.join(name.get(v, v) for v in tied))] if tied else [])
    on_day = [(c, d) for (c, day), d in found.differences.items() if day == found.day and c != NOT_HELD]
    clear = sorted((x for x in on_day if _clear(x[1])), key=lambda x: -abs(x[1].mean_difference))[:REASONS]
    if not clear:
        return [lead + " " + word("held_no_clear", lang), *notes]
    items = [word("held_lower" if d.mean_difference < 0 else "held_higher", lang).format(
        label=held_label(c, lang), pp=_pp(abs(d.mean_difference), False),
        low=_pp(min(abs(d.ci_low), abs(d.ci_high)), False), high=_pp(max(abs(d.ci_low), abs(d.ci_high)), False))
        for c, d in clear]
    return [lead + " " + ("；" if lang == "zh" else "; ").join(items) + ("。" if lang == "zh" else "."), *notes]


def held_back_section(timeseries: pd.DataFrame, card: Scorecard | None, variants: list[str], lang: Lang,
                      labels: Labels | None = None, start: dt.date | None = None) -> HeldBack | None:
    """The section, or None when the run recorded no held_* series."""
    columns = held_columns(timeseries)
    if not columns:
        return None
    means = mean_shares(timeseries, columns)
    variants = [v for v in variants if v in means] or list(means)
    name = {v: labels.variant(v, lang) for v in variants} if labels is not None else {}
    last = int(max(int(m.index.max()) for m in means.values()))
    pair = leader_and_other(card) if card is not None else None
    gap_day = widest_gap_day(means[pair[0]], means[pair[1]], columns) if pair else None
    days = chosen_days(gap_day, last)
    lines: list[str] = []
    table = None
    if pair is not None and gap_day is None:
        lines.append(word("held_same", lang).format(leader=name.get(pair[0], pair[0]),
                                                    other=name.get(pair[1], pair[1])))
    elif pair is not None and gap_day is not None:
        found = contrast(timeseries, columns, *pair, days, gap_day)
        lines = why_lines(found, card, start, lang, name)  # type: ignore[arg-type]
        table = contrast_table(found, columns, days, means, start, lang)
    families = [card.family(v) for v in variants] if card is not None else None
    shares = blocks(renamed(shares_table(columns, days, means, variants, start, lang), name), keys=families)
    series = [(c, held_label(c, lang)) for c in stack_order(columns)]
    return HeldBack(series, pair[:2] if pair else None, days, lines, table, shares)
