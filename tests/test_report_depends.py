"""'What this answer depends on' in a run's report: where the answer flips across the figures nobody
published (constructed robustness tables), the section from real run and robustness folders, and the
robustness page in the run report's layout."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.flips import answer_flips, best_cut
from sim.report.depends import depends_section, find_robustness
from sim.report.scorecard import build_scorecard
from sim.scenario.decision import Decision
from sim.scenario.labels import Labels
from sim.scenario.uncertainty import UncertainParameter

ROOT = Path(__file__).resolve().parent.parent

INSPECTORS = UncertainParameter(name="county inspectors (× each county's)", paths=["counties[*].inspectors"],
                                how="scale", low=0.5, high=4.0,
                                provenance="assumption: the report gives no inspection-team sizes")
RUNWAYS = UncertainParameter(name="cash runways", paths=["finance.cash_runway_days.sme.points[*][1]"], how="scale",
                             low=0.6, high=1.5, provenance="assumption: survey bands")


def planted_points(n: int = 40, cut: float = 1.2, seed: int = 5) -> pd.DataFrame:
    """Robustness points where 'green' is best unless inspectors × < ``cut`` (then 'window' is); runways noise."""
    rng = np.random.default_rng(seed)
    inspectors, runways = rng.uniform(0.5, 4.0, n), rng.uniform(0.6, 1.5, n)
    rows = []
    for i in range(n):
        flipped = inspectors[i] < cut
        for variant, best in (("base", False), ("green", not flipped), ("window", flipped)):
            rows.append({"point": i, INSPECTORS.label: inspectors[i], RUNWAYS.label: runways[i], "variant": variant,
                         "mean": 0.0, "regret": 0.0 if best else 50.0, "rank": 1 if best else 2, "best": best,
                         "best_share": float(best)})
    return pd.DataFrame(rows)


def test_the_threshold_where_the_answer_flips_is_found() -> None:
    points = planted_points()
    flips = answer_flips(points, [INSPECTORS.label, RUNWAYS.label], ["green"], prim=False)
    inspectors = points.drop_duplicates("point")[INSPECTORS.label].to_numpy()
    assert flips.flipped == [int(i) for i in np.flatnonzero(inspectors < 1.2)]
    assert flips.instead == {"window": len(flips.flipped)}
    assert [t.parameter for t in flips.thresholds] == [INSPECTORS.label]  # the runways do not separate them
    t = flips.thresholds[0]
    below = np.sort(inspectors[inspectors < 1.2])[-1]
    above = np.sort(inspectors[inspectors >= 1.2])[0]
    assert t.side == "below" and below < t.value < above and t.youden == 1.0
    assert (t.flipped_inside, t.inside) == (len(flips.flipped), len(flips.flipped))


def test_no_cut_for_a_parameter_that_does_not_vary_or_nothing_flips() -> None:
    assert best_cut(np.ones(5), np.array([True, False, False, True, False]), "x") is None
    assert best_cut(np.arange(5.0), np.zeros(5, dtype=bool), "x") is None
    flips = answer_flips(planted_points(cut=0.0), [INSPECTORS.label], ["green"], prim=False)
    assert flips.flipped == [] and flips.thresholds == []


def test_prim_boxes_the_points_where_it_flips() -> None:
    """PRIM's box holds every flipped point (coverage 1) at the chosen density (at least 0.8), restricted on the
    inspectors alone; it peels 5 % of the points at a time (4 of 80, about 0.18 of the inspectors' range), so its
    upper edge lies within two peels above the planted 1.2."""
    pytest.importorskip("prim")
    flips = answer_flips(planted_points(n=80), [INSPECTORS.label, RUNWAYS.label], ["green"])
    assert flips.prim == "found"
    assert set(flips.box) == {INSPECTORS.label}
    _, high = flips.box[INSPECTORS.label]
    assert flips.box_coverage == 1.0 and flips.box_density >= 0.8
    assert 1.2 <= high <= 1.2 + 2 * 0.05 * 80 * 3.5 / 80


def _fake_robustness(folder: Path, points: pd.DataFrame, metric: str = "jobs_lost") -> Path:
    """A robustness folder as `run --robustness` leaves it, as far as the report reads it."""
    folder.mkdir(parents=True)
    points.to_csv(folder / "robustness_points.csv", index=False)
    manifest = {"scenario": "loans", "primary_metric": metric, "reversals": [["green", "window", 3, 0]],
                "uncertainty": [INSPECTORS.model_dump(mode="json"), RUNWAYS.model_dump(mode="json")],
                "influence": {INSPECTORS.label: 0.91, RUNWAYS.label: 0.12}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "report.html").write_text("<html></html>", encoding="utf-8")
    return folder


def _card():  # type: ignore[no-untyped-def]
    jitter = [5.0, -3.0, 2.0, 0.0, 4.0, -1.0]
    rows = [{"variant": v, "replication": r, "jobs_lost": base + 10 * j}
            for v, base in (("base", 5000.0), ("green", 4000.0), ("window", 4600.0)) for r, j in enumerate(jitter)]
    return build_scorecard(pd.DataFrame(rows), ["base", "green", "window"], Decision(primary_metric="jobs_lost"))


def test_the_section_says_plainly_which_unpublished_head_count_the_answer_depends_on(tmp_path: Path) -> None:
    card = _card()
    assert card is not None and card.winner == "green"
    run = tmp_path / "run"
    run.mkdir()
    robustness = _fake_robustness(tmp_path / "robustness", planted_points())
    labels = Labels.model_validate({"variants": {"window": {"en": "window on day 0"}}})
    section = depends_section(run, card, [INSPECTORS, RUNWAYS], "en", labels, "loans.yaml", robustness)
    assert section is not None and section.status == "checked"
    text = " ".join(section.lines)
    assert text.startswith("This answer depends on figures nobody published")
    assert "green is not best on jobs lost (by more than 100)" in text
    assert "window on day 0 (" in text  # best there instead, by its label
    assert "It flips where county inspectors (× each county's) is ≤ " in text
    assert "Nobody published this figure (assumption: the report gives no inspection-team sizes)" in text
    assert "1 pair(s) of variants swap order" in text
    assert section.link == "../robustness/report.html"
    assert section.table is not None and section.table.rows[0][3].startswith("≤ ")
    assert section.table.rows[1][3] == "–"  # the runways do not separate the flipped points


def test_without_a_robustness_run_the_section_says_the_answer_is_not_checked(tmp_path: Path) -> None:
    card = _card()
    section = depends_section(tmp_path, card, [INSPECTORS, RUNWAYS], "en", Labels(), "loans.yaml", None)
    assert section is not None and section.status == "not_checked"
    assert section.lines[0].startswith("Not checked yet: this answer may depend on 2 figures nobody published "
                                       "(county inspectors; cash runways)")
    assert "python -m sim run loans.yaml --robustness 40" in section.lines[0]
    none = depends_section(tmp_path, card, [], "en", Labels(), "loans.yaml", None)
    assert none is not None and none.status == "no_uncertainty"
    assert depends_section(tmp_path, None, [INSPECTORS], "en", Labels(), "x.yaml", None) is None


def test_a_robustness_run_on_another_metric_is_not_read_as_this_answer(tmp_path: Path) -> None:
    robustness = _fake_robustness(tmp_path / "robustness", planted_points(), metric="mean_restart_day")
    section = depends_section(tmp_path, _card(), [INSPECTORS], "en", Labels(), "loans.yaml", robustness)
    assert section is not None and section.lines == []
    assert "ranks the variants on mean_restart_day, this report on jobs_lost" in section.notes[0]


# -- from real folders --------------------------------------------------------------------

SMALL = (ROOT / "tests" / "test_robustness.py").read_text(encoding="utf-8").split('SMALL = """\\\n')[1].split('"""')[0]


def _report(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """``python -m sim report ARGS`` through the command line's entry function: its exit code and stderr."""
    from sim.cli import main

    capsys.readouterr()
    code = main(["report", *args])
    return code, capsys.readouterr().err


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """results/small/{run, robustness, other}: a run, a robustness run of it, one of an edited scenario.

    Made in this process, as the tests below run ``report``: through the command line's entry function."""
    from sim.cli import main

    root = tmp_path_factory.mktemp("depends")
    (root / "small.yaml").write_text(SMALL, encoding="utf-8")
    (root / "edited.yaml").write_text(SMALL.replace("seed: 11", "seed: 12"), encoding="utf-8")
    results = root / "results"
    for args in (["run", str(root / "small.yaml"), "--out", str(results / "run"), "--no-report"],
                 ["run", str(root / "small.yaml"), "--robustness", "3", "--out", str(results / "robustness")],
                 ["run", str(root / "edited.yaml"), "--robustness", "3", "--out", str(results / "other")]):
        assert main([*args, "-q", "-w", "1"]) == 0, args
    return results


@pytest.mark.slow  # a robustness run beside the run: about 8 s of CPU
@pytest.mark.usefixtures("reports_without_plots")  # the section is checked, not the plots around it
def test_the_robustness_run_beside_the_run_is_merged_into_its_report(folders: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    found, notes = find_robustness(folders / "run")
    assert found == folders / "robustness"
    assert any("other" in n and "another version of the scenario or another seed" in n for n in notes)
    code, err = _report(capsys, str(folders / "run"))
    assert code == 0, err
    html = (folders / "run" / "report.html").read_text(encoding="utf-8")
    assert '<section id="depends" class="depends-checked">' in html
    assert 'href="../robustness/report.html"' in html and 'href="#depends"' in html
    assert "Checked across what nobody published" in html or "This answer depends on figures nobody" in html
    # named explicitly, the other one is used, with a warning
    code, err = _report(capsys, str(folders / "run"), "--robustness", str(folders / "other"), "-o",
                        str(folders / "run-other.html"))
    assert code == 0, err
    assert "was made from another version of the scenario" in (folders / "run-other.html").read_text(encoding="utf-8")
    # a folder that is not a robustness run is refused with a clear message
    code, err = _report(capsys, str(folders / "run"), "--robustness", str(folders / "run"))
    assert code == 2 and "robustness" in err and "Traceback" not in err


@pytest.mark.usefixtures("reports_without_plots")  # the layout is compared, not the plots in it
def test_the_robustness_page_has_the_run_reports_layout(folders: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = (folders / "robustness" / "report.html").read_text(encoding="utf-8")
    run = (folders / "run" / "report.html")
    if not run.exists():
        assert _report(capsys, str(folders / "run"))[0] == 0
    layout = run.read_text(encoding="utf-8")
    style = layout[layout.index("<style>"):layout.index("</style>")]
    assert style in page  # the same style sheet
    for part in ("<header>", "<nav>", '<section id="robustness">', "Does the ranking survive",
                 'id="robustness-table"', 'id="ranges-table"', "python -m sim report RUN_DIR --robustness"):
        assert part in page, part
