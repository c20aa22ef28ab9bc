"""The Python API as a notebook uses it: overrides by dotted path, a scenario as a mapping, live results,
a progress bar, errors in Python terms, ``help(sim.run)`` and ``sim.compare``."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any, get_args

import pandas as pd
import pytest
import yaml

import sim
import sim.api
from sim.cli import main as cli
from sim.errors import InputError
from sim.experiment.experiment import Interrupted
from sim.model import catalogue
from sim.report.scorecard import Verdict
from sim.results.run_result import RunResult
from tests.conftest import interrupt_after, write_small


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return write_small(tmp_path)


def _run(scenario: Any, out: Path, **options: Any) -> sim.api.Results:
    return sim.api.run(scenario, replications=1, workers=1, out=out, progress=False, **options)


def test_overrides_give_the_results_of_the_same_keys_written_in_a_file(small: Path, tmp_path: Path) -> None:
    """A change by dotted path (a date, a list element) is the same run as a file that extends the base with it."""
    changes = {"policies.loans.window_opens_day": "2020-02-20", "counties[0].approval_reviewers": 1}
    by_api = _run(small, tmp_path / "api", overrides=changes)
    counties = yaml.safe_load((by_api.out / "scenario.resolved.yaml").read_text(encoding="utf-8"))["counties"]
    whatif = tmp_path / "whatif.yaml"
    counties[0]["approval_reviewers"] = 1
    whatif.write_text(yaml.safe_dump({"extends": "small.yaml", "policies": {"loans": {"window_opens_day": "2020-02-20"}},
                                      "counties": counties}), encoding="utf-8")
    by_file = _run(whatif, tmp_path / "file")
    base = _run(small, tmp_path / "base")
    resolved = yaml.safe_load((by_api.out / "scenario.resolved.yaml").read_text(encoding="utf-8"))
    assert resolved["policies"]["loans"]["window_opens_day"] == 17  # 20 February is day 17 after 3 February
    pd.testing.assert_frame_equal(by_api.summary, by_file.summary)
    assert not by_api.summary.drop(columns=["events"]).equals(base.summary.drop(columns=["events"]))


@pytest.mark.parametrize(("key", "value", "words"), [
    ("cadres.liaisons.count", -3, ["must be at least 0"]),
    ("policies.loans.window_opens_day", "2020-01-20", ["before start_date 2020-02-03"]),
    ("policies.loans.green_channel_for", ["sme", "big"], ["'big'"]),
])
def test_a_bad_override_gets_the_message_validate_gives_for_the_key_in_a_file(
        small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, value: Any,
        words: list[str]) -> None:
    doc: dict[str, Any] = {"extends": "small.yaml"}
    node = doc
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert cli(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    validate = re.search(rf"key '{re.escape(key)}[^']*': (.*)", err)
    assert validate is not None, err
    with pytest.raises(InputError) as refused:
        sim.api.run(small, overrides={key: value}, workers=1, progress=False, out=tmp_path / "never")
    text = str(refused.value)
    assert text.startswith("overrides: key ") and validate.group(1).strip() in text, (text, err)
    for word in words:
        assert word in text
    assert not (tmp_path / "never").exists()


def test_an_override_that_names_no_parameter_says_what_was_meant(small: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="'cadres' has no key 'liasons'. Did you mean 'liaisons'"):
        sim.api.run(small, overrides={"cadres.liasons.count": 3}, workers=1, out=tmp_path / "never")


def test_a_scenario_given_as_a_mapping_or_loaded_runs_as_its_file_does(small: Path, tmp_path: Path) -> None:
    from sim.scenario.loader import load_scenario

    as_file = _run(small, tmp_path / "file")
    as_mapping = _run(yaml.safe_load(small.read_text(encoding="utf-8")), tmp_path / "mapping")
    as_loaded = _run(load_scenario(small), tmp_path / "loaded")
    pd.testing.assert_frame_equal(as_file.summary, as_mapping.summary)
    pd.testing.assert_frame_equal(as_file.summary, as_loaded.summary)
    with pytest.raises(InputError, match=r"^scenario mapping: key 'horizon_days': "):
        _run({"horizon_days": -1}, tmp_path / "never")


def test_results_arrive_pair_by_pair_while_the_run_goes_on(small: Path, tmp_path: Path) -> None:
    """Replication r of every variant comes before r + 1, so that the first comparison is possible at once."""
    seen: list[tuple[str, int]] = []

    def arrived(result: RunResult) -> None:
        seen.append((result.variant, result.replication))

    res = sim.api.run(small, replications=2, workers=1, out=tmp_path / "out", progress=False, on_result=arrived)
    assert seen == [("base", 0), ("fast", 0), ("base", 1), ("fast", 1)]
    assert list(zip(res.summary["variant"], res.summary["replication"], strict=True)) == [
        ("base", 0), ("base", 1), ("fast", 0), ("fast", 1)]  # the tables keep their order


def test_progress_is_a_bar_of_replications(small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sim.api.run(small, replications=2, workers=1, out=tmp_path / "out", progress=True)
    assert "4/4" in capsys.readouterr().err
    sim.api.run(small, replications=1, workers=1, out=tmp_path / "quiet", progress=False)
    assert "replications" not in capsys.readouterr().err


def test_an_interrupted_run_says_how_to_finish_it_in_python_terms(
        small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    interrupt_after(monkeypatch, 1)
    with pytest.raises(Interrupted) as stopped:
        _run(small, tmp_path / "out")
    text = str(stopped.value)
    assert "1 of 2 replication(s) finished" in text and "resume=True" in text and "--" not in text


def test_command_line_words_in_shared_messages_become_arguments() -> None:
    assert sim.api.python_terms("use --workers 2 or fewer; rerun with --resume; not --outer") == \
        "use workers=2 or fewer; rerun with resume=True; not --outer"
    with pytest.raises(ValueError, match="executor='dask'"):
        sim.api.run("never.yaml", executor="local", scheduler="tcp://127.0.0.1:8786")


def test_help_documents_every_option() -> None:
    doc = inspect.getdoc(sim.run) or ""
    assert sim.run is sim.api.run
    missing = [name for name in inspect.signature(sim.api.run).parameters if not re.search(rf"^\s*{name}:", doc, re.M)]
    assert missing == []


def test_compare_is_the_scorecard_as_a_table(small: Path, tmp_path: Path) -> None:
    res = sim.api.run(small, replications=3, workers=1, out=tmp_path / "out", progress=False)
    card = sim.compare(res)
    assert list(card.columns) == sim.api.SCORECARD_COLUMNS
    assert set(card["variant"]) == {"fast"} and set(card["reference"]) == {"base"}
    assert card["primary"].sum() == 1
    assert set(card["verdict"]) <= set(get_args(Verdict))
    for row in card.itertuples():
        assert row.label == catalogue.label(row.metric)
    # the same paired differences as comparison.csv, computed there by another path
    both = card.merge(res.comparison, on=["variant", "reference", "metric"])
    assert len(both) == len(card)
    finite = both["difference"].notna() & both["mean_difference"].notna()
    assert finite.any()
    assert (both.loc[finite, "difference"] - both.loc[finite, "mean_difference"]).abs().max() < 1e-9
    pd.testing.assert_frame_equal(sim.compare(res.out), card)
    with pytest.raises(ValueError, match="'base', 'fast'"):
        sim.compare(res, reference="nothing")
