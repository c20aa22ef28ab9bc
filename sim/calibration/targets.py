"""Observed calibration targets: dated shares read from a CSV.

A target file has one row per observation with at least the columns
``region``, ``date`` (YYYY-MM-DD) and ``share_of_firms_resumed`` (0–1); other
columns (basis, definition, source, confidence) are kept as notes. A bad date
or share is an input error naming the file line and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

from sim.errors import InputError, InputProblem

REQUIRED = ("region", "date", "share_of_firms_resumed")


@dataclass(frozen=True)
class Target:
    """One observed point: the share of firms resumed in a region on a date."""

    region: str
    date: dt.date
    share: float
    source: str = ""
    line: int = 0

    def day(self, start_date: dt.date) -> int:
        """Day number of the observation in a scenario starting at ``start_date`` (day 0)."""
        return (self.date - start_date).days


def read_targets(path: str | Path, region: str | None = None) -> list[Target]:
    """Read and check a target CSV; keep the rows of ``region`` (all rows if None), in date order."""
    path = Path(path)
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError.single(file, "the target file does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.single(file, f"cannot read the target file: {exc}.") from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None:
        raise InputError.single(file, "the target file is empty; expected a header with columns "
                                f"{', '.join(REQUIRED)}.", line=1)
    columns = [h.strip() for h in header]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise InputError.single(file, f"missing column(s) {', '.join(missing)}; the header must name "
                                f"{', '.join(REQUIRED)} (found: {', '.join(columns)}).", line=1)
    idx = {c: columns.index(c) for c in columns}
    problems: list[InputProblem] = []
    targets: list[Target] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            problems.append(InputProblem(file, f"row has {len(row)} fields, the header has {len(columns)} "
                                         "(quote fields that contain commas).", None, line))
            continue
        cell = {c: row[i].strip() for c, i in idx.items()}
        ok = True
        try:
            date = dt.date.fromisoformat(cell["date"])
        except ValueError:
            problems.append(InputProblem(file, f"'{cell['date']}' is not a date; write YYYY-MM-DD, e.g. 2020-02-12.",
                                         "date", line, idx["date"] + 1))
            ok = False
        try:
            share = float(cell["share_of_firms_resumed"])
            if not (math.isfinite(share) and 0.0 <= share <= 1.0):
                raise ValueError
        except ValueError:
            problems.append(InputProblem(file, f"'{cell['share_of_firms_resumed']}' is not a share; write a number "
                                         "from 0 to 1, e.g. 0.544.", "share_of_firms_resumed", line,
                                         idx["share_of_firms_resumed"] + 1))
            ok = False
        if not cell["region"]:
            problems.append(InputProblem(file, "the region is empty; name the region the figure is for.",
                                         "region", line, idx["region"] + 1))
            ok = False
        if ok:
            targets.append(Target(cell["region"], date, share, cell.get("source", ""), line))
    if problems:
        raise InputError(problems)
    regions = sorted({t.region for t in targets})
    if region is not None:
        targets = [t for t in targets if t.region.lower() == region.lower()]
        if not targets:
            raise InputError.single(file, f"no rows for region '{region}'; regions in the file: {', '.join(regions)}.",
                                    key="region")
    elif len(regions) > 1:
        raise InputError.single(file, f"the file holds several regions ({', '.join(regions)}); choose one with "
                                "--region.", key="region")
    if not targets:
        raise InputError.single(file, "the target file has no data rows.")
    return sorted(targets, key=lambda t: t.date)
