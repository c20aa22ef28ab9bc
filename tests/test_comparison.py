"""comparison.csv and ``run --precision``: tables on synthetic summaries and on the real model via the CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.analysis.comparison import (
    COLUMNS,
    comparable_metrics,
    compare,
    next_total,
    pairs_of,
    parse_target,
    precision_status,
)
from sim.analysis.stats import holm, paired_difference
from sim.cli import main as cli_main
from tests.conftest import tiny

ROOT = Path(__file__).parent.parent


def _summary(values: dict[str, list[float]], metric: str = "x") -> pd.DataFrame:
    rows = [{"variant": v, "replication": r, "enterprises": 10.0, metric: x, "events": 5.0}
            for v, xs in values.items() for r, x in enumerate(xs)]
    return pd.DataFrame(rows)


def test_compare_pairs_each_variant_with_the_base_and_holm_over_all_rows() -> None:
    frame = _summary({"base": [1.0, 2.0, 3.0, 4.0], "a": [2.0, 2.5, 4.5, 5.0], "b": [1.0, 2.0, 3.0, 4.0]})
    frame["y"] = [0.0, 1.0, 0.0, 1.0, 5.0, 6.0, 5.0, 7.0, 0.0, 1.0, 0.0, 1.0]
    out = compare(frame)
    assert list(out.columns) == COLUMNS
    assert set(out["metric"]) == {"x", "y"}  # not enterprises, events, replication
    assert list(zip(out["variant"], out["reference"], strict=True)) == [("a", "base")] * 2 + [("b", "base")] * 2
    a_x = out[(out.variant == "a") & (out.metric == "x")].iloc[0]
    ref = paired_difference([1, 2, 3, 4], [2, 2.5, 4.5, 5])
    assert a_x["mean_difference"] == pytest.approx(ref.mean_difference)
    assert a_x["ci_low"] == pytest.approx(ref.ci_low) and a_x["p_value"] == pytest.approx(ref.p_value)
    assert out["p_holm"].to_numpy() == pytest.approx(holm(out["p_value"].to_numpy()))
    b = out[out.variant == "b"]
    assert (b["mean_difference"] == 0).all() and (b["p_value"] == 1).all()
    everything = compare(frame, all_pairs=True, test="wilcoxon")
    assert len(everything) == 3 * 2 and set(everything["test"]) == {"wilcoxon"}
    assert ("b", "a") in set(zip(everything["variant"], everything["reference"], strict=True))


def test_compare_counts_finite_pairs() -> None:
    frame = _summary({"base": [10.0, math.nan, 12.0, 13.0], "v": [9.0, 8.0, math.nan, 11.0]})
    row = compare(frame).iloc[0]
    assert row["n"] == 2 and row["mean_difference"] == pytest.approx(-1.5)
    assert row["mean_reference"] == pytest.approx(11.5)


def test_pairs_of() -> None:
    assert pairs_of(["base", "a", "b"]) == [("a", "base"), ("b", "base")]
    assert pairs_of(["base", "a", "b"], all_pairs=True) == [("a", "base"), ("b", "base"), ("b", "a")]
    assert pairs_of(["base"]) == []


def test_parse_target() -> None:
    assert parse_target("mean_restart_day=0.5") == ("mean_restart_day", 0.5)
    with pytest.raises(ValueError, match="Did you mean 'mean_restart_day'"):
        parse_target("mean_restrat_day=0.5")
    for bad in ("mean_restart_day", "mean_restart_day=abc", "mean_restart_day=0", "=1", "events=1"):
        with pytest.raises(ValueError):
            parse_target(bad)
    assert "events" not in comparable_metrics() and "restarted_share" in comparable_metrics()


def test_precision_status_and_next_total() -> None:
    single = _summary({"base": [1.0, 2.0, 3.0]})
    (status,) = precision_status(single, {"x": 10.0})
    assert status["reference"] is None and status["met"]  # half-width of the mean: 4.30/√3 = 2.48
    assert status["half_width"] == pytest.approx(4.302653 / math.sqrt(3), abs=1e-5)
    paired = _summary({"base": [1.0, 2.0, 3.0, 4.0], "v": [2.0, 2.5, 4.5, 5.0]})
    (status,) = precision_status(paired, {"x": 0.1})
    assert status["reference"] == "base" and not status["met"]
    assert next_total(4, [status], cap=200) == 8  # far off: at most double
    assert next_total(4, [status], cap=6) == 6  # never past the cap
    near = dict(status, half_width=0.11)
    assert next_total(4, [near], cap=200) == 5  # 4 × (0.11/0.1)² = 4.84 → 5
    assert next_total(4, [dict(status, met=True)], cap=200) == 4
    undefined = dict(status, half_width=None)
    assert next_total(1, [undefined], cap=200) == 2


# -- the real model through the same code path as `python -m sim run` --------------------------


def _scenario_file(tmp_path: Path, replications: int, variants: dict[str, Any]) -> Path:
    """tiny() with 30 firms and random preparation and review times, written as a scenario file."""
    sc = tiny(population={"strata": [{"name": "s", "count": 30, "workers": 10, "cash_runway_days": 1000}]}, replications=replications,
              approval={"review_days": {"dist": "exponential", "mean": 1.0},
                        "preparation_days": {"dist": "exponential", "mean": 3.0}})
    doc = sc.model_dump(mode="json", by_alias=True)
    doc["variants"] = variants
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


TWO_REVIEWERS = {"counties": [{"name": "c", "approval_reviewers": 2, "inspectors": 1}]}


@pytest.mark.slow
def test_identical_variant_has_zero_difference_and_p_one_on_every_metric(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _scenario_file(tmp_path, 3, {"same": {"horizon_days": 30}, "two-reviewers": TWO_REVIEWERS})
    out = tmp_path / "out"
    assert cli_main(["run", str(path), "--out", str(out), "--workers", "1", "--quiet", "--no-report"]) == 0
    printed = capsys.readouterr().out
    assert "Paired differences" in printed and "Median restart day" in printed
    comparison = pd.read_csv(out / "comparison.csv")
    assert set(COLUMNS) <= set(comparison.columns)
    summary = pd.read_csv(out / "summary.csv")
    metrics = [c for c in summary.columns if c not in ("variant", "replication", "enterprises", "events")]
    same = comparison[comparison["variant"] == "same"].set_index("metric")
    assert sorted(same.index) == sorted(metrics)
    assert (same["reference"] == "base").all()
    assert (same["mean_difference"] == 0.0).all()
    assert (same["ci_low"] == 0.0).all() and (same["ci_high"] == 0.0).all()
    assert (same["p_value"] == 1.0).all() and (same["p_holm"] == 1.0).all()
    # the other variant really differs (so the table is not zero by construction)
    other = comparison[comparison["variant"] == "two-reviewers"].set_index("metric")
    assert other.loc["mean_approval_wait", "mean_difference"] < 0
    km = pd.read_csv(out / "restart_km.csv")
    survival = pd.read_csv(out / "restart_survival.csv")
    assert set(km["variant"]) == {"base", "same", "two-reviewers"}
    curve = {v: km[km.variant == v][["day", "survival", "ci_low", "ci_high"]].to_numpy() for v in ("base", "same")}
    assert np.array_equal(curve["base"], curve["same"])
    medians = survival.set_index("variant")[["km_median_restart_day", "km_median_ci_low", "km_median_ci_high"]]
    assert np.array_equal(medians.loc["base"].to_numpy(), medians.loc["same"].to_numpy(), equal_nan=True)


@pytest.mark.slow
def test_precision_stops_once_the_target_is_met(tmp_path: Path) -> None:
    target = 0.1  # restarted share: ±10 percentage points on the paired difference
    path = _scenario_file(tmp_path, 2, {"two-reviewers": TWO_REVIEWERS})
    out = tmp_path / "out"
    code = cli_main(["run", str(path), "--out", str(out), "--workers", "1", "--quiet", "--no-report",
                     "--precision", f"restarted_share={target}", "--max-replications", "60"])
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    report = manifest["precision"]
    n = report["replications"]
    assert report["met"] and n < 60 and manifest["replications"] == n
    assert report["batches"][-1] == n and report["targets"] == {"restarted_share": target}
    summary = pd.read_csv(out / "summary.csv")
    assert (summary.groupby("variant")["replication"].nunique() == n).all()

    def half_width(reps: int) -> float:
        sub = summary[summary["replication"] < reps]
        ref = sub[sub.variant == "base"].sort_values("replication")["restarted_share"].to_numpy()
        var = sub[sub.variant == "two-reviewers"].sort_values("replication")["restarted_share"].to_numpy()
        return paired_difference(ref, var).half_width

    assert half_width(n) <= target
    assert report["half_widths"][0]["half_width"] == pytest.approx(half_width(n))
    # it stopped at the first batch that met the target, not later
    assert len(report["batches"]) >= 2, "the start should not already meet the target"
    assert half_width(report["batches"][-2]) > target
    row = pd.read_csv(out / "comparison.csv").set_index("metric").loc["restarted_share"]
    assert row["n"] == n and row["half_width"] <= target
    assert np.isfinite(row["p_value"])


@pytest.mark.slow
def test_unknown_precision_metric_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: s\n")
    for arg, says in (("bogus_metric=1", "unknown metric 'bogus_metric'. Allowed metrics (columns of "
                                         "summary.csv): restarted_share, mean_restart_day"),
                      ("mean_restart_day=-1", "must be a positive number")):
        res = subprocess.run([sys.executable, "-m", "sim", "run", str(path), "--precision", arg],
                             capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert res.returncode == 2, res.stderr
        assert says in res.stderr and "Traceback" not in res.stderr


def test_max_replications_below_the_start_is_an_input_error(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = _scenario_file(tmp_path, 5, {})
    code = cli_main(["run", str(path), "--out", str(tmp_path / "o"), "-q", "--precision",
                     "restarted_share=0.1", "--max-replications", "3"])
    assert code == 2 and "--max-replications 3" in capsys.readouterr().err
