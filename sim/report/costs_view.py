"""The cost table in words and cells, in English or Chinese (the figures are :mod:`sim.report.costs`).

A column per variant: what it uses (cadre-days, reviewer-days, relief, loan
money …), its public cost in yuan, and against its reference the extra
cadre-days and yuan and what they buy (jobs and firms saved, the primary
metric's gain) with Fieller's 95 % interval. The ratio is shown only where it
reads as a price: a variant that costs more and does no better is
"dominated", one that costs less and does no worse "dominates".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from sim.analysis.cost_effectiveness import Incremental
from sim.model import catalogue
from sim.plotting.labels import Lang, metric_label
from sim.report.costs import CADRE_DAYS, Basis
from sim.report.numbers import number, yuan
from sim.report.tables import BLOCK_COLUMNS, Table, blocks
from sim.report.text import word
from sim.scenario.labels import Labels

if TYPE_CHECKING:
    from sim.report.scorecard import Scorecard

SAVED = {"jobs_lost": "jobs_saved", "failures": "firms_saved"}  # gains that read better as "saved"


def cost_label(metric: str, lang: Lang) -> str:
    """A cost's name with the unit its cells are in (money in millions of yuan, 万元 in Chinese)."""
    label = metric_label(metric, lang)
    if catalogue.is_yuan(metric):
        label = label.replace(", yuan", "").replace("（元）", "")
        return f"{label}, million yuan" if lang == "en" else f"{label}（万元）"
    return label


def _amount(value: float, metric: str, lang: Lang) -> str:
    if catalogue.is_yuan(metric):
        return yuan(value, lang, unit=False)
    return number(value, metric, 0 if not math.isfinite(value) or abs(value) >= 100 else 1, signed=False)


def _mean_cell(mean: float, half: float, metric: str, lang: Lang) -> str:
    cell = _amount(mean, metric, lang)
    if math.isfinite(half) and half > 0:
        cell += f" ± {_amount(half, metric, lang)}"
    return cell


def effect_name(metric: str, lang: Lang) -> str:
    """'jobs saved', 'firms saved', or '<metric>, gain' for the primary metric."""
    if metric in SAVED:
        return word(SAVED[metric], lang)
    return word("gain_of", lang).format(metric=metric_label(metric, lang))


def _ratio_digits(value: float) -> int:
    return 0 if math.isfinite(value) and abs(value) >= 100 else 1


def ratio_cell(inc: Incremental, lang: Lang) -> tuple[str, str]:
    """(cell, note) of an incremental ratio: the price where it is one, else the quadrant in words."""
    if inc.case == "no_data":
        return "–", ""
    if inc.case in ("dominated", "dominates", "no_extra_cost", "unclear_cost"):
        return word("ce_" + inc.case, lang), ""
    d = _ratio_digits(inc.ratio)
    text = number(inc.ratio, "", d, signed=False)
    if inc.bounded:
        text += f" [{number(inc.low, '', d, signed=False)}, {number(inc.high, '', d, signed=False)}]"
    return text, (word("ce_less_for_less", lang) if inc.case == "less_for_less" else "")


def _per(basis: Basis, lang: Lang) -> str:
    return word("per_" + basis, lang)


def cost_tables(card: Scorecard, lang: Lang, labels: Labels | None = None,
                per_block: int = BLOCK_COLUMNS) -> list[Table]:
    """The cost table of every variant, cut into blocks of at most ``per_block`` variants."""
    costs = card.costs
    if costs is None or not (costs.metrics or costs.public):
        return []
    name: Callable[[str], str] = (lambda v: labels.variant(v, lang)) if labels is not None else (lambda v: v)
    shown = {k for k, _ in costs.means} | set(costs.public)
    order = [v for v in dict.fromkeys([card.reference, *card.variants]) if v in shown]
    rows: list[list[str]] = [[word("compared_with", lang), *[name(card.references[v]) if v in card.references
                                                             else "–" for v in order]]]
    strong = [False]
    notes: dict[tuple[int, int], str] = {}
    for m in costs.metrics:
        rows.append([cost_label(m, lang), *[_mean_cell(*costs.means.get((v, m), (math.nan, math.nan)), m, lang)
                                            for v in order]])
        strong.append(False)
    if costs.public:
        rows.append([word("public_cost", lang), *[_mean_cell(*costs.public.get(v, (math.nan, math.nan)),
                                                             "relief_yuan", lang) for v in order]])
        strong.append(True)
    for basis in costs.bases():
        metric = CADRE_DAYS if basis == "cadre_days" else "relief_yuan"  # how the extra cost is written
        row = [word("extra_" + basis, lang)]
        for v in order:
            extra = costs.extra.get((v, basis))
            row.append("–" if extra is None else _extra_cell(extra, metric, lang))
        rows.append(row)
        strong.append(False)
    for m in costs.effects:
        for basis in costs.bases():
            found = [costs.ratios.get((v, m, basis)) for v in order]
            if all(inc is None or inc.case in ("no_extra_cost", "no_data") for inc in found):
                continue  # no variant spends more or less of it than its reference: nothing to price
            row = [f"{effect_name(m, lang)} {_per(basis, lang)}"]
            for v in order:
                inc = costs.ratios.get((v, m, basis))
                text, note = ratio_cell(inc, lang) if inc is not None else ("–", "")
                if note:
                    notes[(len(rows), len(row))] = note
                row.append(text)
            rows.append(row)
            strong.append(m == card.primary)
    table = Table([word("cost", lang), *map(name, order)], rows, strong, notes=notes)
    return blocks(table, per_block, [card.family(v) for v in order])


def _extra_cell(extra: tuple[float, float, float], metric: str, lang: Lang) -> str:
    mean, low, high = extra
    if catalogue.is_yuan(metric):
        fmt = lambda x: yuan(x, lang, signed=True, unit=False)  # noqa: E731
    else:
        fmt = lambda x: number(x, metric, 0, signed=True)  # noqa: E731
    text = fmt(mean)
    if math.isfinite(low) and math.isfinite(high) and fmt(low) != fmt(high):
        text += f" [{fmt(low)}, {fmt(high)}]"
    return text


def cost_notes(card: Scorecard, lang: Lang) -> tuple[str, str]:
    """(what is missing, how yuan were counted) under the cost table."""
    costs = card.costs
    if costs is None:
        return "", ""
    missing = word("costs_missing", lang).format(columns=", ".join(costs.missing)) if costs.missing else ""
    if CADRE_DAYS in costs.missing:
        missing += " " + word("no_effectiveness", lang)
    units = costs.unit_costs
    if not costs.public or units is None:
        return missing.strip(), ""
    valued = word("unit_costs_note", lang).format(
        cadre=f"{units.cadre_day_yuan:,.0f}", reviewer=f"{units.reviewer_day_yuan:,.0f}",
        transport=f"{units.point_to_point_cost_factor:g}", relief=f"{units.relief_cost_factor:g}",
        rate=f"{units.interest_subsidy_rate * 100:.2f} %", years=f"{units.interest_subsidy_years:g}",
        forgone=f"{units.forgone_tax_factor:g}")
    return missing.strip(), valued
