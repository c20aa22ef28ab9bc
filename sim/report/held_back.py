"""What holds firms back: the report's place for the binding-constraint view.

A model that decomposes each day's closed and under-producing firms by the
constraint that binds (restart ban, approval queue, inspection, supplies,
workers, critical inputs, orders, cash) writes one ``held_<constraint>``
column per constraint to ``timeseries.csv``, declared with its labels by the
module that computes it. When a run has such columns, the report gets this
section, next to the scorecard: it is where the view of *why* the leading
variant wins goes (a stacked area of the decomposition, each variant against
its reference). Until that view is drawn, the section names the series the run
recorded, so that a reader knows they are in the folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.plotting.labels import Lang, text

if TYPE_CHECKING:
    import pandas as pd

PREFIX = "held_"


@dataclass(frozen=True)
class HeldBack:
    series: list[tuple[str, str]]  # (column, label) of each held_* series, in the file's order


def held_series(timeseries: pd.DataFrame) -> list[str]:
    """The held_<constraint> columns of a run's timeseries.csv."""
    return [str(c) for c in timeseries.columns if str(c).startswith(PREFIX)]


def held_back_section(timeseries: pd.DataFrame, lang: Lang) -> HeldBack | None:
    """The section, or None when the run recorded no held_* series."""
    columns = held_series(timeseries)
    return HeldBack([(c, text(c, lang)) for c in columns]) if columns else None
