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


def yuan(value: float, lang: Lang, signed: bool = False, unit: bool = True) -> str:
    """Money as a planner reads it: millions of yuan (万元 in Chinese)."""
    if not math.isfinite(value):
        return "–"
    scaled, digits, name = (value / 1e4, 0, "万元") if lang == "zh" else (value / 1e6, 1, " million yuan")
    return number(scaled, "", digits, signed) + (name if unit else "")
