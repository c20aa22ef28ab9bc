"""Calibration: target files, parameter paths, and a tiny fit that must recover a known value."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration.fit import apply_values, parse_fit, resolve_params
from sim.calibration.targets import read_targets
from sim.cli import main as cli_main
from sim.errors import InputError
from sim.model.world import run_replication
from sim.scenario.loader import load_scenario

TINY = """
name: tiny-cal
horizon_days: 30
seed: 11
replications: 3
calendar: {restart_ban_until_day: 0}
counties:
  - {name: a, approval_reviewers: 2, inspectors: 2}
population:
  strata:
    - {name: big, count: 40, size_class: above_scale, readiness: 0.9, cash_runway_days: 1000}
approval:
  preparation_days: {dist: lognormal, mean: 8, cv: 0.5}
problems: {kinds: []}
outbreak: {hazard_per_worker: 0.0}
registration: {background_per_day: 0.0}
# the firms restart when the state's part is done: no inputs, orders or decision to wait for, so that the
# resumption series follows the fitted preparation time alone
network: {enabled: false}
demand: {enabled: false}
reopening: {enabled: false}
policies:
  coverage: {name: none}
  loans: {enabled: false}
provenance:
  approval.preparation_days: "assumption: a guess"
"""
TRUE_MEAN = 5.0
DAYS = (7, 10)  # 2020-02-10 and 2020-02-13


@pytest.fixture
def tiny_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def synthetic_targets(scenario_file: Path, path: Path) -> list[float]:
    """Targets made by the model itself at preparation mean 5, on the same seeds: the fit must find 5."""
    base = load_scenario(scenario_file).base
    slots = resolve_params(base, [parse_fit("approval.preparation_days.mean=1:10")], str(scenario_file))
    sc = apply_values(base, slots, [TRUE_MEAN])
    runs = np.array([run_replication(sc, "base", r).series["resumed_share_above_scale"] for r in range(3)])
    shares = [float(runs[:, d].mean()) for d in DAYS]
    path.write_text("region,date,share_of_firms_resumed,source\n"
                    f"test,2020-02-10,{shares[0]!r},synthetic\n"
                    f"test,2020-02-13,{shares[1]!r},\"synthetic, mean 5\"\n")
    return shares


@pytest.mark.slow
def test_tiny_fit_recovers_the_known_value(tiny_file: Path, tmp_path: Path) -> None:
    targets = tmp_path / "targets.csv"
    shares = synthetic_targets(tiny_file, targets)
    out = tmp_path / "cal"
    code = cli_main(["calibrate", str(tiny_file), "--targets", str(targets), "--fit",
                     "approval.preparation_days.mean=1:10", "--out", str(out), "--workers", "1",
                     "--maxiter", "3", "--popsize", "4", "-q"])
    assert code == 0
    report = json.loads((out / "calibration.json").read_text())
    fitted = report["parameters"][0]["fitted"]
    # the loss is zero at 5 (common random numbers) and the series moves by ≥ 1/40 per firm,
    # so a fit within a day of 5 is what a working optimizer must reach on 20 candidates
    assert abs(fitted - TRUE_MEAN) < 1.0, fitted
    table = pd.read_csv(out / "fit.csv")
    assert list(table["day"]) == list(DAYS)
    assert np.allclose(table["observed"], shares)
    assert np.all(np.abs(table["simulated_mean"] - table["observed"]) <= 0.05)
    assert np.all(table["ci95_low"] <= table["simulated_mean"]) and np.all(table["simulated_mean"] <= table["ci95_high"])
    assert (out / "fit.png").stat().st_size > 0
    calibrated = load_scenario(out / "scenario.calibrated.yaml")
    assert calibrated.base.approval.preparation_days.mean == pytest.approx(fitted, abs=1e-6)
    note = calibrated.provenance["approval.preparation_days"]
    assert note.startswith("calibrated: mean fitted to targets.csv") and "a guess" in note
    # the reproduce command in the report gives the same fit, here on two workers
    again = tmp_path / "again"
    argv = report["command"][3:] + ["--out", str(again), "--workers", "2", "-q"]
    assert cli_main(argv) == 0
    assert json.loads((again / "calibration.json").read_text())["parameters"][0]["fitted"] == fitted


def test_short_runs_give_the_same_series(tiny_file: Path) -> None:
    """Fitting stops runs at the last target day; the series up to it must not change."""
    base = load_scenario(tiny_file).base
    full = run_replication(base, "base", 1).series["resumed_share_above_scale"]
    short = run_replication(base.model_copy(update={"horizon_days": 11.0}), "base", 1).series["resumed_share_above_scale"]
    assert np.array_equal(full[:12], short)


def test_bad_target_rows_name_row_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("region,date,share_of_firms_resumed\nx,2020-02-31,0.5\nx,2020-03-01,1.7\n")
    with pytest.raises(InputError) as err:
        read_targets(bad)
    rendered = err.value.render()
    assert f"{bad}:2:2: key 'date'" in rendered and "YYYY-MM-DD" in rendered
    assert f"{bad}:3:3: key 'share_of_firms_resumed'" in rendered and "from 0 to 1" in rendered
    missing = tmp_path / "missing.csv"
    missing.write_text("region,day,share\n")
    with pytest.raises(InputError, match="missing column"):
        read_targets(missing)


def test_region_selection(tmp_path: Path) -> None:
    path = Path(__file__).parent.parent / "data" / "targets" / "resumption_above_scale_2020.csv"
    rows = read_targets(path, "liaoning")
    assert [(str(t.date), t.share) for t in rows] == [("2020-02-12", 0.544), ("2020-03-18", 0.947)]
    both = read_targets(path, "liaoning, shenyang")  # several regions, comma-separated, in date order
    assert [(t.region, str(t.date)) for t in both] == [("liaoning", "2020-02-12"), ("shenyang", "2020-02-14"),
                                                       ("liaoning", "2020-03-18")]
    with pytest.raises(InputError, match="several regions"):
        read_targets(path)
    with pytest.raises(InputError, match="no rows for region 'atlantis'"):
        read_targets(path, "atlantis")


def test_cli_rejects_bad_fit_arguments(tiny_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    targets = tmp_path / "t.csv"
    targets.write_text("region,date,share_of_firms_resumed\nx,2020-02-10,0.5\n")
    base = ["calibrate", str(tiny_file), "--targets", str(targets), "--out", str(tmp_path / "o"), "-q"]
    with pytest.raises(SystemExit) as exc:
        cli_main(base + ["--fit", "approval.review_days.mean=2:1"])
    assert exc.value.code == 2
    assert cli_main(base + ["--fit", "approval.reveiw_days.mean=0.1:1"]) == 2
    err = capsys.readouterr().err
    assert "--fit approval.reveiw_days.mean does not fit the scenario" in err and "Did you mean 'review_days'?" in err
    assert cli_main(base + ["--fit", "approval.review_days=0.1:1"]) == 2
    assert "not a number" in capsys.readouterr().err
    late = tmp_path / "late.csv"
    late.write_text("region,date,share_of_firms_resumed\nx,2020-06-10,0.5\n")
    late_args = ["calibrate", str(tiny_file), "--targets", str(late), "--fit", "approval.review_days.mean=0.1:1",
                 "--out", str(tmp_path / "o2"), "-q"]
    assert cli_main(late_args) == 2
    assert "outside the horizon" in capsys.readouterr().err


def test_wildcard_and_integer_parameters(tiny_file: Path) -> None:
    base = load_scenario(tiny_file).base
    slots = resolve_params(base, [parse_fit("counties[*].approval_reviewers=1:6")], "x")
    assert slots[0].whole and slots[0].dotted == ("counties[0].approval_reviewers",)
    sc = apply_values(base, slots, [3.6])
    assert sc.counties[0].approval_reviewers == 4
