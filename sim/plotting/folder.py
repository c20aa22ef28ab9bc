"""Reading a finished results folder: the CSV files the plots and the report are made from.

Plots are drawn from the folder, not from objects in memory, so that
``python -m sim report`` works on any finished run or sweep. Each table is
read once, when first asked for; a file that is absent gives None, so every
plot can say "not in this folder" instead of failing.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from sim.scenario.labels import Labels

RUN_FILES = ("summary.csv", "timeseries.csv")
SWEEP_FILES = ("points.csv", "summary.csv")
# a run's tables, in the order a planner reads them (what `sim export` and Results.to_excel() write)
RUN_TABLES = ("summary", "comparison", "timeseries", "enterprises", "restart_survival", "restart_km")


@dataclass
class ResultsFolder:
    """A results folder of ``python -m sim run`` or ``python -m sim sweep``."""

    path: Path
    _frames: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, path: str | Path) -> ResultsFolder:
        """Check that ``path`` is a finished results folder (InputError, exit 2, if not)."""
        folder = Path(path)
        if not folder.is_dir():
            raise InputError.single(folder, "is not a folder; give the results folder written by "
                                    "`python -m sim run` or `python -m sim sweep`.")
        found = cls(folder)
        if not (found.is_run or found.is_sweep):
            raise InputError.single(folder, "is not a finished results folder: it needs summary.csv and "
                                    "timeseries.csv (a run) or points.csv and summary.csv (a sweep). "
                                    "Was the run interrupted?")
        return found

    @property
    def is_run(self) -> bool:
        return all((self.path / f).is_file() for f in RUN_FILES)

    @property
    def is_sweep(self) -> bool:
        return not self.is_run and all((self.path / f).is_file() for f in SWEEP_FILES)

    def has(self, name: str) -> bool:
        return (self.path / name).is_file()

    def csv(self, name: str, usecols: list[str] | None = None) -> pd.DataFrame | None:
        """A CSV of the folder, or None if it is absent; InputError if it cannot be read."""
        import pandas as pd

        key = name if usecols is None else f"{name}:{','.join(usecols)}"
        if key in self._frames:
            return self._frames[key]  # type: ignore[no-any-return]
        file = self.path / name
        frame = None
        if file.is_file():
            try:
                frame = pd.read_csv(file, usecols=usecols)
            except (ValueError, OSError, pd.errors.ParserError) as exc:
                raise InputError.single(file, f"cannot be read as a results table: {exc}.") from None
        self._frames[key] = frame
        return frame

    def run_tables(self) -> dict[str, pd.DataFrame]:
        """A run's tables by name (those in the folder), read afresh; InputError for one that cannot be read."""
        tables = {name: self.csv(f"{name}.csv") for name in RUN_TABLES}
        return {name: frame for name, frame in tables.items() if frame is not None}

    @cached_property
    def manifest(self) -> dict[str, Any]:
        file = self.path / "manifest.json"
        if not file.is_file():
            return {}
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError.single(file, f"is not valid JSON: {exc}.") from None
        return data if isinstance(data, dict) else {}

    def variants(self) -> list[str]:
        """Variant names in the order of the manifest (base first), else of summary.csv."""
        listed = [str(v) for v in self.manifest.get("variants", [])]
        summary = self.csv("summary.csv")
        present = list(dict.fromkeys(summary["variant"].astype(str))) if summary is not None and "variant" in summary else []
        ordered = [v for v in listed if v in present]
        return ordered + [v for v in present if v not in ordered]

    @cached_property
    def resolved(self) -> dict[str, Any]:
        """scenario.resolved.yaml as plain data ({} when absent or unreadable; the report validates it apart)."""
        import yaml

        file = self.path / "scenario.resolved.yaml"
        if not file.is_file():
            return {}
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            return {}
        return data if isinstance(data, dict) else {}

    @cached_property
    def labels(self) -> Labels:
        """The scenario's display labels of variants and counties (none when the folder does not say)."""
        from pydantic import ValidationError

        from sim.scenario.labels import Labels

        try:
            return Labels.model_validate(self.resolved.get("labels") or {})
        except ValidationError:
            return Labels()

    def county_order(self) -> list[str]:
        """County names in the scenario's order ([] when the folder does not say)."""
        counties = self.resolved.get("counties")
        return [str(c["name"]) for c in counties if isinstance(c, dict) and "name" in c] \
            if isinstance(counties, list) else []

    def start_date(self) -> dt.date | None:
        """Day 0 of the run (``start_date`` of scenario.resolved.yaml), or None when the folder does not say."""
        value = self.resolved.get("start_date")
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value)) if value else None
        except ValueError:
            return None

    def horizon(self) -> float:
        """The simulated horizon in days (timeseries' last day when the manifest does not say)."""
        if "horizon_days" in self.manifest:
            return float(self.manifest["horizon_days"])
        ts = self.csv("timeseries.csv", usecols=["day"])
        return float(ts["day"].max()) if ts is not None and len(ts) else math.nan


@dataclass(frozen=True)
class Band:
    """A daily series of one variant: mean over replications and its 95 % CI."""

    day: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    replications: int


def manifest_of(folder: Path) -> dict[str, Any]:
    """A folder's manifest.json, or {} when it is missing or unreadable: for looking at folders beside the
    one being read (a reader of the folder itself uses :attr:`ResultsFolder.manifest`, which says why)."""
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def bands(timeseries: pd.DataFrame, column: str, confidence: float = 0.95) -> dict[str, Band]:
    """Per variant, the mean of ``column`` by day over replications and the t-interval of that mean."""
    from scipy import stats

    out: dict[str, Band] = {}
    for variant, group in timeseries.groupby("variant", sort=False):
        ordered = group.sort_values(["replication", "day"], kind="stable")
        n = ordered["replication"].nunique()
        day = ordered["day"].to_numpy(dtype=float)
        raw = ordered[column].to_numpy(dtype=float)
        if n and len(raw) % n == 0:  # every replication covers the same days: one row each
            values = raw.reshape(n, -1).T
            day = day[: values.shape[0]]
        else:
            table = ordered.pivot_table(index="day", columns="replication", values=column, aggfunc="first")
            values, day = table.to_numpy(dtype=float), table.index.to_numpy(dtype=float)
        with warnings.catch_warnings():  # a day no replication reached is NaN, as it should be
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(values, axis=1)
            half = (stats.t.ppf(0.5 + confidence / 2, n - 1) * np.nanstd(values, axis=1, ddof=1) / math.sqrt(n)
                    if n > 1 else np.zeros_like(mean))
        out[str(variant)] = Band(day, mean, mean - half, mean + half, n)
    return out
