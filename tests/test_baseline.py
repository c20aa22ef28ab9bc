"""Regression baseline: a small fixed-seed run must reproduce the stored summary exactly.

Whole numbers must match exactly, other floats to a relative 1e-9 (the run is
deterministic; the tolerance only absorbs the CSV round trip). A change in the
model that changes results must come with a deliberate refresh of the baseline.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent / "baseline"
HOW_TO_REFRESH = ("If the change is intended, run `python tests/baseline/refresh.py` (it prints the differences), "
                  "and commit tests/baseline/summary.csv with a message that explains why the results changed.")


def _refresh_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("baseline_refresh", HERE / "refresh.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_summary_matches_the_stored_baseline() -> None:
    refresh = _refresh_module()
    stored = pd.read_csv(HERE / "summary.csv")
    new = refresh.compute()
    changes = refresh.differences(stored, new)
    assert not changes, (f"the baseline run changed ({len(changes)} difference(s)):\n  "
                         + "\n  ".join(changes[:30]) + f"\n{HOW_TO_REFRESH}")


def test_comparison_catches_a_changed_value() -> None:
    refresh = _refresh_module()
    stored = pd.read_csv(HERE / "summary.csv")
    changed = stored.copy()
    changed.loc[0, "failures"] = changed.loc[0, "failures"] + 1
    changed.loc[1, "mean_restart_day"] = changed.loc[1, "mean_restart_day"] * (1 + 1e-7)
    found = refresh.differences(stored, changed)
    assert any("failures" in f for f in found) and any("mean_restart_day" in f for f in found)
    assert refresh.differences(stored, stored.copy()) == []
    # a value that became NaN, a column no longer produced, a replication missing
    nan = stored.copy()
    nan.loc[2, "mean_restart_day"] = float("nan")
    assert any("mean_restart_day" in f for f in refresh.differences(stored, nan))
    assert any("no longer produced: failures" in f for f in refresh.differences(stored, stored.drop(columns="failures")))
    assert any("rows instead of" in f for f in refresh.differences(stored, stored.iloc[1:]))
    # a new column (a new module's metric) changes nothing stored; refresh.py lists it
    assert refresh.differences(stored, stored.assign(new_metric=1.0)) == []
    assert refresh.new_columns(stored, stored.assign(new_metric=1.0)) == ["new_metric"]
