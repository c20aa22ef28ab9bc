"""Report sections of an optimisation (recommendation, guarantee, Pareto front) and of a scenario discovery.

Each appears only when the folder holds its files: ``recommendation.json``
(``python -m sim optimize``) or ``discovery/discovery.json``
(``python -m sim discover`` on a sweep folder).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sim.plotting.labels import Lang

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


def optimization_section(folder: Path) -> dict[str, Any] | None:
    """The recommendation, its guarantee sentence, the Pareto table and plot; None without recommendation.json."""
    from sim.report.tables import frame_table

    rec = _read_json(folder / "recommendation.json")
    if rec is None:
        return None
    import pandas as pd

    pareto = pd.read_csv(folder / "pareto.csv") if (folder / "pareto.csv").is_file() else None
    rows = [[k, str(v)] for k, v in rec.get("decisions", {}).items()]
    base = rec.get("base") or {}
    compare = []
    for name, stats in rec.get("objectives", {}).items():
        diff = (base.get("difference") or {}).get(name)
        base_mean = (base.get("objectives") or {}).get(name, {}).get("mean")
        compare.append([name, stats.get("direction", ""), f"{stats['mean']:.4g} [{stats['ci_low']:.4g}, "
                        f"{stats['ci_high']:.4g}]", "" if base_mean is None else f"{base_mean:.4g}",
                        "" if diff is None else f"{diff['mean']:+.4g} [{diff['ci_low']:+.4g}, {diff['ci_high']:+.4g}]"])
    return {"guarantee": rec.get("guarantee", ""), "decisions": rows, "objectives": compare,
            "base_decisions": [[k, str(v)] for k, v in (base.get("decisions") or {}).items()],
            "pareto": frame_table(pareto) if pareto is not None and len(pareto) else None,
            "figure": _figure(folder, "pareto_front", "Pareto front")}


def discovery_section(folder: Path) -> dict[str, Any] | None:
    """The boxes PRIM found, with coverage and density, and the peeling plot; None without a discovery."""
    info = _read_json(folder / "discovery" / "discovery.json")
    if info is None:
        return None
    boxes = []
    for b in info.get("boxes", []):
        limits = "; ".join(f"{k} in {{{', '.join(map(str, lo))}}}" if isinstance(lo, list) else
                           f"{lo:.4g} ≤ {k} ≤ {hi:.4g}" for k, (lo, hi) in b.get("limits", {}).items())
        boxes.append([str(b["box"]), limits or "—", f"{b['coverage']:.2f}", f"{b['density']:.2f}",
                      f"{b['mass']:.2f}"])
    return {"condition": info.get("condition", ""), "cases": info.get("cases"), "points": info.get("points"),
            "base_rate": info.get("base_rate"), "boxes": boxes,
            "figure": _figure(folder, "peeling_trajectory", "PRIM peeling trajectory")}
