"""Numbers as a planner reads them: thousands separated, shares in percent, money in millions of yuan
(万元 in Chinese), never '-0.0', never '5.233e+04'.

The scorecard, the cost table and the secondary reports (sweeps, optimisations, robustness) all
format their numbers here, by what the column's metric declares (:mod:`sim.model.catalogue`).
"""

from __future__ import annotations

import math

from sim.model import catalogue
from sim.plotting.labels import Lang
from sim.report.text import word


def unit_word(metric: str, lang: Lang) -> str:
    """The unit a difference of ``metric`` is shown in: percentage points, days, yuan (or none)."""
    if catalogue.is_share(metric):
        return word("pp_short", lang)
    if catalogue.is_day(metric):
        return word("days", lang)
    if catalogue.is_yuan(metric):
        return word("yuan", lang)
    return ""


def digits_of(metric: str, mid: float, value: float) -> int:
    """Decimals for a difference of ``metric``: one for shares, none from 100 up."""
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


SMALL_DIGITS = 4  # at most: a sum below 50 yuan (0.00005 million) is shown as zero


def yuan(value: float, lang: Lang, signed: bool = False, unit: bool = True) -> str:
    """Money as a planner reads it: millions of yuan (万元 in Chinese). A sum that is not zero is never shown
    as zero: it gets the decimals that show it (12,454 yuan is 0.012 million, not 0.0)."""
    if not math.isfinite(value):
        return "–"
    scaled, digits, name = (value / 1e4, 0, "万元") if lang == "zh" else (value / 1e6, 1, " million yuan")
    if 0.5 * 10.0 ** -SMALL_DIGITS <= abs(scaled) < 0.5 * 10.0 ** -digits:
        digits = min(SMALL_DIGITS, 1 - math.floor(math.log10(abs(scaled))))  # two significant digits
    return number(scaled, "", digits, signed) + (name if unit else "")


def plain(value: float) -> str:
    """A number of no declared metric: three significant digits, thousands separated, never an exponent."""
    if not math.isfinite(value):
        return "–"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    digits = min(max(0, 2 - magnitude), 6)
    text = f"{round(value, digits):,.{digits}f}"
    return "0" if float(text.replace(",", "")) == 0 else text


def amount(value: float, metric: str, lang: Lang = "en", unit: bool = True) -> str:
    """A value of ``metric`` as its declaration says: a share in percent, money in millions of yuan (万元),
    days with one decimal, counts with thousands separated; an undeclared column as :func:`plain`."""
    if not math.isfinite(value):
        return "–"
    if catalogue.is_yuan(metric):
        return yuan(value, lang, unit=unit)
    if catalogue.is_share(metric):
        return f"{value * 100:.1f}" + (" %" if unit else "")
    declared = catalogue.metric(metric)
    if declared is None:
        return plain(value)
    whole = abs(value) >= 1000 or declared.fmt == "count" and abs(value) >= 10
    return number(value, metric, 0 if whole else 1, signed=False)


def interval(mean: float, low: float, high: float, metric: str, lang: Lang = "en") -> str:
    """'9.4 [8.7, 10.1]', '2.2 % [-4.1, 8.5]', '15.7 million yuan [15.1, 16.3]' (no interval when it is not known)."""
    text = amount(mean, metric, lang)
    if math.isfinite(low) and math.isfinite(high):
        text += f" [{amount(low, metric, lang, unit=False)}, {amount(high, metric, lang, unit=False)}]"
    return text
