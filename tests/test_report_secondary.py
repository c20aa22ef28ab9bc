"""Sweep and optimisation reports in the run report's style: their question, readable names of what they vary,
numbers formatted by what each metric declares (never raw JSON or 5.233e+04)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sim.cli import main as cli
from sim.plotting.names import readable
from sim.report.numbers import amount, interval, plain
from sim.report.secondary import design_sentence
from sim.scenario.labels import Labels
from sim.scenario.schema import Scenario
from tests.conftest import TWO_COUNTIES

SCENARIO = TWO_COUNTIES.format(horizon=40, count=30) + """\
description: The base scenario of the sweep.
labels:
  counties: {b: {en: Kaiyuan, zh: 开原市}}
"""
SWEEP = """\
scenario: small.yaml
description: Do more liaisons and reviewers restart the firms sooner?
levers:
  cadres.liaisons.count: {low: 0, high: 60, integer: true}
  counties[1].approval_reviewers: {low: 1, high: 4, integer: true}
design: {name: latin_hypercube, samples: 4, seed: 3}
replications: 1
outcomes: [mean_restart_day, failed_share, output_lost]
"""
OPTIMIZE = """\
scenario: small.yaml
description: Which split of 34 staff restarts the firms soonest?
decisions:
  cadres.liaisons.count: {low: 0, high: 30, step: 10}
  counties[1].inspectors: {low: 1, high: 3}
budget:
  staff:
    limit: 34
    weights:
      cadres.liaisons.count: 1
      counties[1].inspectors: 2
objectives: {mean_restart_day: minimize, failed_share: minimize}
search: {population: 4, generations: 1, seed: 1, refine: 0}
replications: 1
selection: {delta: 1.0, first_stage: 3, max_replications: 4}
"""


def test_paths_in_words() -> None:
    data = Scenario().model_dump(mode="json", by_alias=True)
    labels = Labels.model_validate({"counties": {"kaiyuan": {"en": "Kaiyuan", "zh": "开原市"}}})
    assert readable("counties[3].inspectors", data, labels) == "inspectors, Kaiyuan"
    assert readable("counties[3].inspectors", data, labels, "zh") == "inspectors, 开原市"
    assert readable("counties[6].inspectors", data) == "inspectors, changtu"
    assert readable("counties[6].inspectors") == "inspectors, county 7"  # without the scenario
    assert readable("counties[*].approval_reviewers", data) == "approval reviewers, every county"
    assert readable("population.strata[0].count", data) == "count, firms"
    assert readable("cadres.liaisons.count") == "liaisons: count"
    assert readable("policies.loans.window_opens_day") == "loans: window opens day"
    assert readable("finance.cash_runway_days.sme.points[*][1]") == "finance.cash_runway_days.sme.points[*][1]"


def test_numbers_never_come_as_exponents_or_raw_floats() -> None:
    assert plain(52330.2) == "52,330" and plain(0.000123) == "0.000123" and plain(1.23456) == "1.23"
    assert plain(float("nan")) == "–" and plain(-1e-12) == "0"
    assert amount(15_681_462.7, "output_lost") == "15.7 million yuan"
    assert amount(15_681_462.7, "output_lost", "zh") == "1,568万元"
    assert amount(0.0222, "failed_share") == "2.2 %" and amount(17.0, "jobs_lost") == "17"
    assert interval(9.388, 8.684, 10.092, "mean_restart_day") == "9.4 [8.7, 10.1]"
    assert interval(9.4, float("nan"), float("nan"), "mean_restart_day") == "9.4"
    assert design_sentence({"name": "latin_hypercube", "samples": 800, "seed": 4}, ["failed_share"], "en") == \
        "Latin hypercube: samples 800, seed 4 · outcome: failed"


def _no_raw_numbers(html: str) -> None:
    text = re.sub(r'src="data:[^"]+"', "", html)
    text = re.sub(r"<code[^>]*>.*?</code>", "", text)  # commands and paths are shown as written
    assert not re.search(r"\d\.\d+e[+-]\d\d", text), re.search(r".{40}\d\.\d+e[+-]\d\d.{20}", text)
    assert "{&#39;" not in text and '{"' not in text  # no raw JSON
    assert not re.search(r"\d\.\d{5,}", text), re.search(r".{40}\d\.\d{5,}.{10}", text)  # no raw floats


def _report_of(command: str, spec: Path, text: str) -> tuple[Path, str]:
    """``python -m sim COMMAND`` on one worker on ``text`` (written to ``spec``, beside the small scenario it
    names): its results folder and its report.html."""
    (spec.parent / "small.yaml").write_text(SCENARIO, encoding="utf-8")
    spec.write_text(text, encoding="utf-8")
    out = spec.parent / "out"
    assert cli([command, str(spec), "--out", str(out), "-q", "-w", "1"]) == 0
    return out, (out / "report.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_sweep_report_shows_its_question_names_and_formatted_numbers(tmp_path: Path) -> None:
    out, html = _report_of("sweep", tmp_path / "sweep.yaml", SWEEP)
    assert "Do more liaisons and reviewers restart the firms sooner?" in html
    assert "(the scenario has no description)" not in html
    assert "approval reviewers, Kaiyuan (counties[1].approval_reviewers)" in html  # the county's label
    assert "Latin hypercube: samples 4, seed 3" in html and "0 – 60 (whole numbers)" in html
    assert "million yuan" in html
    _no_raw_numbers(html)
    # a folder made before the manifest recorded the question reads it from the sweep file
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest.pop("description")
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    from sim.report import write_report

    page = write_report(out, out=tmp_path / "old.html").read_text(encoding="utf-8")
    assert "Do more liaisons and reviewers restart the firms sooner?" in page


@pytest.mark.slow
def test_the_optimisation_report_names_its_decisions_in_words(tmp_path: Path) -> None:
    _, html = _report_of("optimize", tmp_path / "opt.yaml", OPTIMIZE)
    assert "Which split of 34 staff restarts the firms soonest?" in html
    assert "(the scenario has no description)" not in html
    assert "<h1>Reopening-policy simulation report: opt</h1>" in html
    assert re.search(r"<td>inspectors, Kaiyuan <code class=\"path\">counties\[1\]\.inspectors</code></td>", html)
    assert "lower is better" in html and re.search(r"\d\.\d \[\d+\.\d, \d+\.\d\]", html)  # 9.4 [8.7, 10.1]
    assert "<td>counties[1].inspectors</td>" not in html
    _no_raw_numbers(html)
