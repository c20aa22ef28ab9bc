"""Report sections of an optimisation (recommendation, guarantee, Pareto front) and of a scenario discovery.

Each appears only when the folder holds its files: ``recommendation.json``
(``python -m sim optimize``) or ``discovery/discovery.json``
(``python -m sim discover`` on a sweep folder).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.plotting.labels import Lang, metric_label
from sim.report.numbers import amount, digits_of, interval, number, plain, unit_word
from sim.report.text import word

if TYPE_CHECKING:
    from sim.report.secondary import Source

TITLES = {
    "optimization": ("Recommended deployment and its guarantee", "推荐部署及其统计保证"),
    "discovery": ("Where the condition holds (scenario discovery)", "条件成立的情形（情景发现）"),
}


def title(key: str, lang: Lang) -> str:
    en, zh = TITLES[key]
    return zh if lang == "zh" else en


def _figure(folder: Path, key: str, caption: str) -> tuple[str, str, Path] | None:
    """(key, caption, PNG) of a plot the command wrote; the report embeds it."""
    png = folder / "plots" / f"{key}.png"
    return (key, caption, png) if png.is_file() else None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def optimization_section(folder: Path, source: Source, lang: Lang) -> dict[str, Any] | None:
    """The recommendation, its guarantee sentence, the Pareto table and plot; None without recommendation.json.

    Decisions are named in words ("inspectors, Changtu") and every number is formatted by its metric.
    """
    from sim.report.secondary import outcome_table

    rec = _read_json(folder / "recommendation.json")
    if rec is None:
        return None
    import pandas as pd

    pareto = pd.read_csv(folder / "pareto.csv") if (folder / "pareto.csv").is_file() else None
    decisions = rec.get("decisions", {})
    base = rec.get("base") or {}
    base_decisions = base.get("decisions") or {}
    rows = [[source.name_of(k, lang), k, _whole(v), _whole(base_decisions.get(k))] for k, v in decisions.items()]
    compare = []
    for name, stats in rec.get("objectives", {}).items():
        diff = (base.get("difference") or {}).get(name)
        base_stats = (base.get("objectives") or {}).get(name, {})
        compare.append([metric_label(name, lang), word(str(stats.get("direction", "")), lang),
                        interval(stats["mean"], stats.get("ci_low", math.nan), stats.get("ci_high", math.nan), name,
                                 lang),
                        "–" if not base_stats else amount(float(base_stats.get("mean", math.nan)), name, lang),
                        "–" if diff is None else _difference(diff, name, lang)])
    budgets = [[str(k), f"{_whole(b.get('used'))} / {_whole(b.get('limit'))} {b.get('unit', '')}".strip()]
               for k, b in (rec.get("budget") or {}).items() if isinstance(b, dict)]
    objectives = list(rec.get("objectives", {}))
    return {"guarantee": rec.get("guarantee", ""), "decisions": rows, "objectives": compare, "budgets": budgets,
            "pareto": (outcome_table(pareto, list(decisions), objectives, source, lang, keys=("candidate",))
                       if pareto is not None and len(pareto) else None),
            "figure": _figure(folder, "pareto_front", "Pareto front")}


def _whole(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "–" if value is None else str(value)
    if isinstance(value, int | float) and float(value).is_integer():
        return f"{int(value):,}"
    return plain(float(value)) if isinstance(value, int | float) else str(value)


def _difference(diff: dict[str, float], metric: str, lang: Lang) -> str:
    """'+1.0 [+0.9, +1.2] days' or '+1.1 pp [-1.3, +3.5]': a paired difference with its unit."""
    d = digits_of(metric, 0.0, float(diff["mean"]))
    unit = unit_word(metric, lang)
    text = number(float(diff["mean"]), metric, d) + (f" {unit}" if unit else "")
    low, high = float(diff.get("ci_low", math.nan)), float(diff.get("ci_high", math.nan))
    if math.isfinite(low) and math.isfinite(high):
        text += f" [{number(low, metric, d)}, {number(high, metric, d)}]"
    return text


def discovery_section(folder: Path, source: Source | None = None, lang: Lang = "en") -> dict[str, Any] | None:
    """The boxes PRIM found, with coverage and density, and the peeling plot; None without a discovery."""
    info = _read_json(folder / "discovery" / "discovery.json")
    if info is None:
        return None

    def name(path: str) -> str:
        return source.name_of(path, lang) if source is not None else path

    boxes = []
    for b in info.get("boxes", []):
        limits = "; ".join(f"{name(k)} in {{{', '.join(map(str, lo))}}}" if isinstance(lo, list) else
                           f"{plain(lo)} ≤ {name(k)} ≤ {plain(hi)}" for k, (lo, hi) in b.get("limits", {}).items())
        boxes.append([str(b["box"]), limits or "—", f"{b['coverage']:.0%}", f"{b['density']:.0%}",
                      f"{b['mass']:.0%}"])
    return {"condition": info.get("condition", ""), "cases": info.get("cases"), "points": info.get("points"),
            "base_rate": info.get("base_rate"), "boxes": boxes,
            "figure": _figure(folder, "peeling_trajectory", "PRIM peeling trajectory")}
