"""Robustness over declared uncertainty: the analysis on constructed tables, the section, and a small run."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.robustness import analyse, influence, point_means
from sim.errors import InputError
from sim.scenario.loader import load_scenario_text
from sim.scenario.uncertainty import UncertainParameter, apply

ROOT = Path(__file__).resolve().parent.parent


def means(table: dict[str, list[float]]) -> pd.DataFrame:
    """Per-(point, variant) means from {variant: [mean at point 0, 1, …]}."""
    return pd.DataFrame([{"point": i, "variant": v, "mean": m} for v, ms in table.items() for i, m in enumerate(ms)])


# -- the analysis ------------------------------------------------------------------------

def test_dominated_variant_has_share_zero_and_positive_regret() -> None:
    # lower is better; B is 3 worse than A at every point (MID 1), C ties A at point 1 only
    rob = analyse(means({"A": [10, 12, 14], "B": [13, 15, 17], "C": [12, 12.5, 16]}), "m", -1, 1.0)
    v = rob.variants.set_index("variant")
    assert v.loc["B", "best_share"] == 0.0
    assert v.loc["B", "regret_mean"] == pytest.approx(3.0)
    assert v.loc["B", "regret_worst"] == pytest.approx(3.0)
    assert v.loc["A", "regret_worst"] == 0.0
    assert v.loc["A", "best_share"] == pytest.approx((1 + 0.5 + 1) / 3)  # point 1 shared with C
    assert v.loc["C", "best_share"] == pytest.approx(0.5 / 3)
    assert v["best_share"].sum() == pytest.approx(1.0)
    assert (v.loc["A", "wins"], v.loc["A", "ties"]) == (2, 1)


def test_tie_within_the_mid_is_shared_not_a_win() -> None:
    # higher is better; a gap of 0.5 with an MID of 1 is a tie at every point
    rob = analyse(means({"A": [5.0, 6.0], "B": [5.5, 6.5]}), "m", 1, 1.0)
    v = rob.variants.set_index("variant")
    assert v.loc["A", "best_share"] == v.loc["B", "best_share"] == 0.5
    assert v.loc["A", "wins"] == v.loc["B", "wins"] == 0
    assert v.loc["A", "rank_worst"] == v.loc["B", "rank_worst"] == 1
    assert v.loc["A", "regret_mean"] == pytest.approx(0.5)  # regret is the raw distance, even within the MID
    # the same table with no MID: B wins outright
    strict = analyse(means({"A": [5.0, 6.0], "B": [5.5, 6.5]}), "m", 1, 0.0).variants.set_index("variant")
    assert strict.loc["B", "best_share"] == 1.0 and strict.loc["B", "wins"] == 2


def test_ranking_change_needs_a_swap_beyond_the_mid() -> None:
    # A ahead at point 0 by 2, B ahead at point 1 by 2 (lower is better): a change
    swap = analyse(means({"A": [1.0, 5.0], "B": [3.0, 3.0]}), "m", -1, 1.0)
    assert swap.ranking_changes
    assert swap.reversals == [("A", "B", 0, 1)]
    # the same swap by 0.5 each way stays within the MID: the ranking holds
    small = analyse(means({"A": [1.0, 3.5], "B": [1.5, 3.0]}), "m", -1, 1.0)
    assert not small.ranking_changes
    # a pair that keeps its order but not its gap does not change the ranking
    kept = analyse(means({"A": [1.0, 1.0], "B": [3.0, 9.0]}), "m", -1, 1.0)
    assert not kept.ranking_changes
    assert kept.variants.set_index("variant").loc["B", "rank_best"] == 2


def test_point_means_drop_empty_values() -> None:
    runs = pd.DataFrame({"point": [0, 0, 0, 0], "variant": ["A", "A", "B", "B"], "replication": [0, 1, 0, 1],
                         "m": [1.0, 3.0, np.nan, 4.0]})
    got = point_means(runs, "m").set_index("variant")
    assert got.loc["A", "mean"] == 2.0 and got.loc["B", "n"] == 1


def test_influence_finds_the_parameter_that_drives_regret() -> None:
    rng = np.random.default_rng(3)
    x, noise = rng.random(12), rng.random(12)
    values = pd.DataFrame({"point": range(12), "driver": x, "noise": noise})
    rob = analyse(means({"A": list(10 + 0 * x), "B": list(10 + 5 * x)}), "m", -1, 0.0)
    ranked = influence(values, rob.points)
    assert list(ranked)[0] == "driver" and ranked["driver"] == pytest.approx(1.0)


# -- the section -------------------------------------------------------------------------

def test_scale_keeps_whole_numbers_at_least_one_and_set_puts_the_value() -> None:
    data = {"counties": [{"inspectors": 1}, {"inspectors": 4}], "rate": 0.4}
    scale = UncertainParameter(paths=["counties[*].inspectors"], how="scale", low=0.25, high=2,
                               provenance="assumption: test")
    put = UncertainParameter(paths=["rate"], low=0.1, high=0.9, provenance="assumption: test")
    out = apply(data, [scale, put], [0.3, 0.7])
    assert [c["inspectors"] for c in out["counties"]] == [1, 1] and out["rate"] == 0.7
    assert data["counties"][1]["inspectors"] == 4  # the input is not changed


def test_a_range_needs_provenance_and_a_path_that_fits() -> None:
    with pytest.raises(ValueError, match="provenance"):
        UncertainParameter(paths=["rate"], low=0, high=1, provenance="guess")
    with pytest.raises(InputError, match="inspectors") as bad:  # when the file is loaded, with line and column
        load_scenario_text(textwrap.dedent("""\
            name: bad
            uncertainty:
              - {paths: ["counties[*].inspector"], low: 1, high: 2, integer: true, provenance: "assumption: x"}
            """), "bad.yaml")
    assert bad.value.render().count("bad.yaml:3:14:") == 1


# -- end to end --------------------------------------------------------------------------

SMALL = """\
name: small
horizon_days: 45
seed: 11
replications: 2
counties:
  - {name: a, approval_reviewers: 2, inspectors: 2}
  - {name: b, approval_reviewers: 1, inspectors: 1}
population:
  strata:
    - {name: s, count: 40, readiness: 0.7}
cadres: {liaisons: {count: 10}, supervisors: {count: 10}}
variants:
  fast:
    policies: {approval: {name: fast_track, steps: parallel}}
  slow-review:
    policies: {approval: {name: standard, review_time_factor: 3.0}}
uncertainty:
  - {name: reviewers, paths: ["counties[*].approval_reviewers"], how: scale, low: 0.5, high: 3,
     provenance: "assumption: test"}
  - {paths: ["population.strata[*].readiness"], low: 0.5, high: 0.9, provenance: "assumption: test"}
"""


def robustness(tmp: Path, out: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim", "run", str(tmp / "small.yaml"), "--robustness", "3",
                           "--out", str(tmp / out), "-q", *extra], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


@pytest.mark.slow
def test_robustness_run_is_deterministic_and_independent_of_workers(tmp_path: Path) -> None:
    (tmp_path / "small.yaml").write_text(SMALL, encoding="utf-8")
    one = robustness(tmp_path, "one", "--workers", "1")
    two = robustness(tmp_path, "two", "--workers", "2", "--no-report")  # the tables are compared, not the report
    assert one.returncode == 0, one.stderr
    assert two.returncode == 0, two.stderr
    for name in ("robustness.csv", "robustness_points.csv", "robustness_runs.csv"):
        assert (tmp_path / "one" / name).read_text() == (tmp_path / "two" / name).read_text(), name
    table = pd.read_csv(tmp_path / "one" / "robustness.csv")
    assert list(table["variant"]) == ["base", "fast", "slow-review"]
    assert table["best_share"].sum() == pytest.approx(1.0)
    assert (tmp_path / "one" / "report.html").read_text().count("Does the ranking survive") == 1
    assert "Robustness on mean_restart_day" in one.stdout
    # common random numbers: replication r is the same run wherever the scenario is the same, so a
    # resume into the same folder runs nothing again and gives the same tables
    again = robustness(tmp_path, "one", "--resume", "--no-report")
    assert again.returncode == 0, again.stderr
    assert "0 now, 18 reused" in again.stdout
    assert (tmp_path / "one" / "robustness_points.csv").read_text() == \
        (tmp_path / "two" / "robustness_points.csv").read_text()


def test_a_point_that_makes_a_variant_invalid_names_the_point_the_key_and_what_is_allowed() -> None:
    from sim.experiment.robustness import point_scenarios

    loaded = load_scenario_text(SMALL, "small.yaml")
    with pytest.raises(InputError) as bad:  # readiness 1.7 lies beyond the declared 0.5-0.9
        point_scenarios(loaded, np.array([[1.0, 0.7], [1.0, 1.7]]))
    assert bad.value.render().count("\n\n") == 1  # one paragraph
    assert ("point 1 (reviewers=1, population.strata[*].readiness=1.7) makes variant 'base' invalid: "
            "population.strata[0].readiness must be at most 1.0 (got 1.7).") in bad.value.render()


# -- the Python API ----------------------------------------------------------------------

@pytest.mark.slow
def test_api_returns_the_cli_tables(tmp_path: Path) -> None:
    import sim

    (tmp_path / "small.yaml").write_text(SMALL, encoding="utf-8")
    res = sim.run(tmp_path / "small.yaml", replications=2, out=tmp_path / "api", workers=1)
    cli = subprocess.run([sys.executable, "-m", "sim", "run", str(tmp_path / "small.yaml"), "-r", "2", "-w", "2",
                          "--out", str(tmp_path / "cli"), "-q", "--no-report"], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert cli.returncode == 0, cli.stderr
    for attr, name in (("summary", "summary.csv"), ("series", "timeseries.csv"), ("comparison", "comparison.csv"),
                       ("enterprises", "enterprises.csv")):
        frame = getattr(res, attr)
        assert isinstance(frame, pd.DataFrame) and len(frame) > 0, attr
        expected = pd.read_csv(tmp_path / "cli" / name)
        if attr == "summary":  # wall time is the only column that differs between two runs
            frame, expected = frame.drop(columns="wall_seconds", errors="ignore"), \
                expected.drop(columns="wall_seconds", errors="ignore")
        pd.testing.assert_frame_equal(frame, expected, obj=attr)
    assert set(res.summary["variant"]) == {"base", "fast", "slow-review"}
    assert res.failed is None and res.out == tmp_path / "api"


@pytest.mark.parametrize("name", ["fast-track", "coverage-111", "loan-timing"])
def test_bundled_uncertainty_is_valid_at_the_corners(name: str) -> None:
    from sim.experiment.robustness import draw_points, point_scenarios
    from sim.scenario.loader import load_scenario

    loaded = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    params = loaded.base.uncertainty
    assert len(params) >= 5 and all(p.provenance for p in params)
    corners = np.array([[p.low for p in params], [p.high for p in params]])
    scenarios = point_scenarios(loaded, np.vstack([corners, draw_points(params, 2, loaded.base.seed)]))
    low, high = scenarios[0][0][1], scenarios[1][0][1]
    assert [c.inspectors for c in low.counties] != [c.inspectors for c in high.counties]
    assert min(c.approval_reviewers for c in low.counties) >= 1
