"""The report of a sweep or an optimisation: its question, design and outcome tables, as a planner reads them.

A sweep or optimisation folder holds no resolved scenario: its question is the
``description:`` of its sweep or optimisation file (recorded in the folder's
manifest; read from the file for folders made before it was recorded), and the
names of what it varies come from its base scenario (``counties[6].inspectors``
is "inspectors, Changtu"). Numbers are formatted by what each metric declares,
never as raw floats or JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.model import catalogue
from sim.plotting.labels import Lang, metric_label
from sim.plotting.names import readable
from sim.report.numbers import amount, interval, plain
from sim.report.tables import Table
from sim.report.text import word
from sim.scenario.labels import Labels

if TYPE_CHECKING:
    import pandas as pd

SPEC_FILES = ("sweep_file", "optimize_file")


@dataclass
class Source:
    """What a sweep or optimisation folder says about its question and its base scenario."""

    name: str
    description: str
    base_file: str | None
    base: dict[str, Any] | None = None  # the base scenario's data, for the names of list elements
    labels: Labels = field(default_factory=Labels)

    def name_of(self, path: str, lang: Lang) -> str:
        return readable(path, self.base, self.labels, lang)


def _yaml(path: Path) -> dict[str, Any] | None:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None


def _existing(name: str, beside: Path | None) -> Path | None:
    path = Path(name)
    for candidate in (path, beside / path if beside is not None and not path.is_absolute() else None):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def sweep_source(folder: Path, manifest: dict[str, Any]) -> Source:
    """The question and base scenario of a sweep or optimisation folder."""
    spec_name = next((str(manifest[k]) for k in SPEC_FILES if manifest.get(k)), None)
    spec_path = _existing(spec_name, None) if spec_name else None
    description = manifest.get("description")
    if description is None and spec_path is not None:  # a folder made before the manifest recorded it
        description = (_yaml(spec_path) or {}).get("description")
    base_name = manifest.get("scenario_file")
    base_path = _existing(str(base_name), spec_path.parent if spec_path else None) if base_name else None
    base = _base_data(base_path) if base_path is not None else None
    labels = Labels()
    if base is not None:
        try:
            labels = Labels.model_validate(base.get("labels") or {})
        except ValueError:
            pass
    name = Path(spec_name).stem if spec_name else folder.name
    return Source(name, str(description or "").strip(), str(base_name) if base_name else None, base, labels)


def _base_data(path: Path) -> dict[str, Any] | None:
    """The base scenario, resolved (defaults filled in), or None when it cannot be read any more."""
    from sim.errors import InputError
    from sim.scenario.loader import load_scenario

    try:
        return load_scenario(path).base.model_dump(mode="json", by_alias=True)
    except (InputError, OSError):
        return None


DESIGN_NAMES = {"latin_hypercube": ("Latin hypercube", "拉丁超立方"), "grid": ("grid", "网格"),
                "sobol": ("Sobol' (Saltelli)", "Sobol'（Saltelli）"), "morris": ("Morris screening", "Morris筛选"),
                "random": ("random", "随机")}
DESIGN_KEYS = {"samples": ("samples", "样本数"), "levels": ("levels", "水平数"),
               "resamples": ("bootstrap resamples", "自助重抽样次数"), "seed": ("seed", "随机种子")}


def design_sentence(design: dict[str, Any], outcomes: list[str], lang: Lang) -> str:
    """'Latin hypercube: 8 samples, seed 3 · outcomes: mean restart day, failed' (never raw JSON)."""
    parts = []
    if design:
        kind = str(design.get("name", ""))
        name = DESIGN_NAMES.get(kind, (kind, kind))[0 if lang == "en" else 1]
        order = list(DESIGN_KEYS)
        keys = sorted((k for k, v in design.items() if k != "name" and v is not None),
                      key=lambda k: order.index(k) if k in order else len(order))
        settings = [f"{DESIGN_KEYS.get(k, (k, k))[0 if lang == 'en' else 1]} {_setting(design[k])}" for k in keys]
        parts.append(name + (": " + ", ".join(settings) if settings else ""))
    if outcomes:
        parts.append(f"{word('outcome', lang)}: " + ", ".join(metric_label(o, lang) for o in outcomes))
    return " · ".join(parts)


def _setting(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{int(value):,}" if float(value).is_integer() else plain(value)


def design_table(parameters: list[dict[str, Any]], source: Source, lang: Lang) -> Table:
    """One row per swept parameter: its name in words (and path), lever or uncertainty, range or levels."""
    rows = []
    for p in parameters:
        if not isinstance(p, dict):
            continue
        path = str(p.get("path"))
        if "levels" in p:
            span = ", ".join(_setting(v) for v in p["levels"])
        else:
            span = f"{_setting(p.get('low'))} – {_setting(p.get('high'))}"
            if p.get("step") and p.get("step") != 1:
                span += f" ({word('step', lang)} {_setting(p['step'])})"
            elif p.get("integer"):
                span += f" ({word('whole_numbers', lang)})"
        rows.append([_with_path(source.name_of(path, lang), path), str(p.get("group", "")), span])
    header = [word("parameter", lang), word("group", lang), word("range", lang)]
    return Table(header, rows, [False] * len(rows), text_columns=3)


def _with_path(name: str, path: str) -> str:
    return name if name == path else f"{name} ({path})"


def outcome_table(frame: pd.DataFrame, parameters: list[str], outcomes: list[str], source: Source, lang: Lang,
                  keys: tuple[str, ...] = ("point",), extra: tuple[str, ...] = ("replications",),
                  max_rows: int = 200) -> Table:
    """A row per design point or candidate: its keys, its parameters in words, and per outcome the mean [95 % CI]."""
    params = [p for p in parameters if p in frame.columns]
    present = [o for o in outcomes if f"{o}_mean" in frame.columns]
    others = [c for c in frame.columns if c not in (*keys, *params, *extra)
              and not any(c.startswith(f"{o}_") for o in present)]
    columns = [c for c in keys if c in frame.columns] + params + [c for c in extra if c in frame.columns] + others
    header = [_column_name(c, source, lang) for c in columns] + [f"{metric_label(o, lang)} {word('mean_ci', lang)}"
                                                                  for o in present]
    rows = []
    for _, r in frame.head(max_rows).iterrows():
        row = [_cell(r[c]) for c in columns]
        for o in present:
            row.append(interval(float(r[f"{o}_mean"]), float(r.get(f"{o}_ci_low", math.nan)),
                                float(r.get(f"{o}_ci_high", math.nan)), o, lang))
        rows.append(row)
    return Table(header, rows, [bool(r.get("selected") is True) for _, r in frame.head(max_rows).iterrows()],
                 text_columns=1)


def _column_name(column: str, source: Source, lang: Lang) -> str:
    if column.startswith("budget_"):
        return f"{word('budget', lang)}: {column.removeprefix('budget_').replace('_', ' ')}"
    if column in ("point", "candidate", "replications", "selected", "eliminated_at"):
        return word("col_" + column, lang)
    return source.name_of(column, lang)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, float):
        if not math.isfinite(value):
            return "–"
        return f"{value:,.0f}" if value.is_integer() else plain(value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def sensitivity_table(frame: pd.DataFrame, source: Source, lang: Lang) -> Table:
    """Sensitivity indices: outcome and parameter in words, each index as a plain number."""
    rows = []
    indices = [c for c in frame.columns if c not in ("outcome", "parameter", "group")]
    for _, r in frame.iterrows():
        outcome = str(r.get("outcome", ""))
        rows.append([metric_label(outcome, lang), _with_path(source.name_of(str(r.get("parameter", "")), lang),
                                                              str(r.get("parameter", ""))),
                     str(r.get("group", "")), *[_index_cell(r[c], outcome, c, lang) for c in indices]])
    header = [word("outcome", lang), word("parameter", lang), word("group", lang), *indices]
    return Table(header, rows, [False] * len(rows), text_columns=3)


def _index_cell(value: Any, outcome: str, column: str, lang: Lang) -> str:
    """Morris' mu* and sigma are in the outcome's unit (shares in percentage points); Sobol' indices are
    shares of variance (plain numbers)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    if column.startswith(("mu", "sigma")) and catalogue.metric(outcome) is not None:
        if catalogue.is_share(outcome):
            return f"{float(value) * 100:.1f} pp"
        return amount(float(value), outcome, lang)
    return plain(float(value))
