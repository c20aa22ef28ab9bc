"""Refresh the regression baseline on purpose: ``python tests/baseline/refresh.py``.

Runs ``scenario.yaml`` (every variant, every replication, one worker), writes
``summary.csv`` and prints what changed against the stored file. Commit the new
file with a message that says why the results changed.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "scenario.yaml"
SUMMARY = HERE / "summary.csv"
RTOL = 1e-9


def compute() -> pd.DataFrame:
    """The baseline scenario's summary, one row per variant and replication."""
    from sim.experiment.runner import execute, tasks_for
    from sim.results.output import summary_frame
    from sim.scenario.loader import load_scenario

    loaded = load_scenario(SCENARIO)
    results = execute(tasks_for(loaded, loaded.base.replications), workers=1, progress=False)
    return summary_frame(results)


def differences(stored: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    """Every difference in what the baseline stores: exact for whole numbers, relative 1e-9 for other floats,
    NaN equals NaN. A column the model no longer produces is a difference; a new column (a module's new
    metric) is not: it changes nothing that was there (see :func:`new_columns`)."""
    out: list[str] = []
    gone = [c for c in stored.columns if c not in new.columns]
    if gone:
        out.append(f"columns no longer produced: {', '.join(gone)}")
    if len(stored) != len(new):
        out.append(f"{len(new)} rows instead of {len(stored)}")
        return out
    for col in [c for c in stored.columns if c in new.columns]:
        for i, (a, b) in enumerate(zip(stored[col], new[col], strict=True)):
            if not same(a, b):
                where = f"{stored['variant'][i]} replication {stored['replication'][i]}"
                out.append(f"{where}: {col} {a!r} -> {b!r}")
    return out


def new_columns(stored: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    """Columns the model produces that the stored baseline lacks (stored by the next refresh)."""
    return [c for c in new.columns if c not in stored.columns]


def same(a: object, b: object) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return str(a) == str(b)
    x, y = float(a), float(b)  # type: ignore[arg-type]
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    if x.is_integer():
        return x == y  # counts must match exactly
    return math.isclose(x, y, rel_tol=RTOL, abs_tol=0.0)


def main() -> int:
    new = compute()
    if SUMMARY.exists():
        stored = pd.read_csv(SUMMARY)
        changes = differences(stored, new)
        print("\n".join(changes) if changes else "no change against the stored baseline.")
        added = new_columns(stored, new)
        if added:
            print(f"new columns: {', '.join(added)}")
    else:
        print("no stored baseline yet.")
    new.to_csv(SUMMARY, index=False)
    print(f"wrote {SUMMARY} ({len(new)} rows). Commit it with a message that explains the change.")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent.parent))
    raise SystemExit(main())
