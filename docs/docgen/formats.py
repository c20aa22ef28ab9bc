"""Numbers as the pages print them, by the format each metric declares (sim.model.catalogue).

A value that is missing (a day never reached, a metric the model no longer
reports) prints as "—"; a difference prints with its sign and its 95 %
confidence interval, shares in percentage points.
"""

from __future__ import annotations

import math
from typing import Any

from sim.model import catalogue

MINUS = "−"
MISSING = "—"


def _fmt_of(metric: str) -> str:
    m = catalogue.metric(metric)
    return m.fmt if m is not None else "number"


def number(x: Any, digits: int = 1) -> str:
    """1,234.5 with thousands separators; a unicode minus."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return MISSING
    text = f"{float(x):,.{digits}f}"
    return text.replace("-", MINUS)


def signed(x: Any, digits: int = 1) -> str:
    if x is None:
        return MISSING
    text = number(x, digits)
    return text if text.startswith(MINUS) else "+" + text


def value(x: Any, metric: str) -> str:
    """A metric's value in its own unit: days to 0.1, shares in %, counts whole, yuan in millions."""
    if x is None:
        return MISSING
    kind = _fmt_of(metric)
    if kind == "share":
        return f"{number(100 * x)} %"
    if kind == "yuan":
        return f"{number(x / 1e6)} million yuan"
    if kind == "count":
        return number(x, 0 if abs(x) >= 100 else 1)
    if kind == "hours":
        return f"{number(x)} h"
    if kind == "number":
        return number(x, 0 if abs(x) >= 1000 else (1 if abs(x) >= 10 else 2))
    return number(x)


def _diff_parts(x: Any, metric: str) -> tuple[float, str, int]:
    kind = _fmt_of(metric)
    if kind == "share":
        return 100.0, " pp", 1
    if kind == "yuan":
        return 1e-6, " million yuan", 1
    if kind in ("count", "number") and x is not None and abs(x) >= 100:
        return 1.0, "", 0
    return 1.0, "", 1


def diff(d: dict[str, Any] | None, metric: str, ci: bool = True) -> str:
    """``{"diff", "low", "high"}`` as "−8.6 [−9.1, −8.0]" (shares in percentage points)."""
    if not d or d.get("diff") is None:
        return MISSING
    scale, unit, digits = _diff_parts(d["diff"], metric)
    text = signed(d["diff"] * scale, digits) + unit
    if ci and d.get("low") is not None and d.get("high") is not None:
        text += f" [{signed(d['low'] * scale, digits)}, {signed(d['high'] * scale, digits)}]"
    return text


def with_half(s: dict[str, Any] | None, metric: str) -> str:
    """A mean with its 95 % half-width, and how many replications never reached it."""
    if not s or s.get("mean") is None:
        return "not reached" if s and s.get("of") else MISSING
    text = value(s["mean"], metric)
    if s.get("half") is not None:
        scale, unit, digits = _diff_parts(s["half"], metric)
        text += f" ± {number(s['half'] * scale, digits)}{unit.replace(' million yuan', '')}"
    if s.get("n", 0) < s.get("of", 0):
        text += f" (not reached in {s['of'] - s['n']} of {s['of']})"
    return text


def share(x: Any, digits: int = 0) -> str:
    """A share of points or firms, in %."""
    return MISSING if x is None else f"{number(100 * x, digits)} %"
