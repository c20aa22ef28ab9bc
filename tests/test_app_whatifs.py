"""The workbench without a browser: its levers, what-if files, messages, live view and run queue."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

import sim.api
from sim.app import live
from sim.app.levers import Lever, lever_groups
from sim.app.whatifs import WhatIf, Workspace, results_folder
from sim.cli import main as cli
from sim.errors import InputError
from sim.model import catalogue
from sim.model.firm_classes import FIRM_KEYS
from sim.results.run_result import RunResult
from sim.scenario.loader import load_scenario
from sim.scenario.overrides import apply_overrides
from tests.conftest import in_ci, write_small

ROOT = Path(__file__).resolve().parents[1]
TIELING = ROOT / "scenarios" / "tieling-2020.yaml"
FAST_TRACK = ROOT / "scenarios" / "fast-track.yaml"


def _levers(path: Path) -> dict[str, Lever]:
    return {lv.path: lv for g in lever_groups(load_scenario(path)) for lv in g.levers}


def test_levers_are_grouped_by_question_with_unit_and_provenance() -> None:
    groups = lever_groups(load_scenario(TIELING))
    assert [g.title for g in groups] == ["Approval procedure", "Coverage and cadres", "Loan channels", "Relief",
                                         "Worker return", "Uncertain capacities"]
    levers = {lv.path: lv for g in groups for lv in g.levers}
    opens = levers["policies.loans.window_opens_day"]
    assert opens.kind == "date" and opens.value == dt.date(2020, 2, 13)  # day 10 after 3 February
    assert opens.provenance.startswith("assumption: the 16 financial measures")  # the file's note wins
    green = levers["policies.loans.green_channel_for"]
    assert green.kind == "choices" and green.value == ["above_scale"] and green.choices == FIRM_KEYS
    assert levers["cadres.liaisons.count"].kind == "int" and levers["cadres.liaisons.count"].unit == "cadres"
    assert levers["policies.approval.name"].choices == ("standard", "fast_track")
    missing = [p for p, lv in levers.items() if not lv.provenance or (not lv.unit and lv.kind != "choice")]
    assert missing == []


def test_an_uncertain_capacity_is_a_factor_on_its_paths() -> None:
    loaded = load_scenario(FAST_TRACK)
    data = loaded.base.model_dump(mode="json", by_alias=True)
    uncertain = lever_groups(loaded)[-1].levers
    reviewers = next(lv for lv in uncertain if "approval_reviewers" in lv.meaning)
    assert reviewers.value == 1.0 and reviewers.provenance.startswith("assumption:")
    changes = reviewers.changes(2.0, data)
    assert changes == {f"counties[{i}].approval_reviewers": 2 * c["approval_reviewers"]
                       for i, c in enumerate(data["counties"])}
    doubled = apply_overrides(loaded, changes).base.model_dump(mode="json", by_alias=True)
    assert reviewers.read(doubled, data, loaded.base.start_date) == 2.0


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(write_small(tmp_path), tmp_path / "whatifs" / "small")


def test_a_whatif_file_extends_its_base_with_only_the_changed_keys(workspace: Workspace,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    whatif = WhatIf("green-sme", "open the green channel on 20 February for SMEs too",
                    {"policies.loans.window_opens_day": "2020-02-20",
                     "policies.loans.green_channel_for": ["above_scale", "sme"]})
    path = workspace.save(whatif)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert doc == {"extends": "../../small.yaml", "description": "open the green channel on 20 February for SMEs too",
                   "variants": {"green-sme": {"policies": {"loans": {"window_opens_day": dt.date(2020, 2, 20),
                                                                     "green_channel_for": ["above_scale", "sme"]}}}}}
    assert cli(["validate", str(path)]) == 0
    loaded = load_scenario(path)
    assert loaded.variants["green-sme"].policies.loans.window_opens_day == 17
    assert loaded.base.policies.loans.window_opens_day == workspace.base.base.policies.loans.window_opens_day
    assert set(loaded.variants) == {"fast", "green-sme"}  # the base file's variant comes along
    assert workspace.command(path) == f"python -m sim run {path.resolve()}"
    assert [s.name for s in workspace.saved()] == ["green-sme"] and workspace.saved()[0].status == "not run"
    assert workspace.next_name() == "what-if-1"
    with pytest.raises(InputError, match="already saved with other changes"):
        workspace.save(WhatIf("green-sme", "", {"policies.loans.window_opens_day": "2020-02-21"}))


@pytest.mark.parametrize(("changes", "words"), [
    ({"cadres.liaisons.count": -1}, "must be at least 0 (got -1)"),
    ({"policies.loans.window_opens_day": "2020-01-20"}, "2020-01-20 is before start_date 2020-02-03"),
    ({"policies.approval.review_time_factor": None}, "policies.approval"),
])
def test_a_bad_value_is_refused_with_the_message_of_validate(workspace: Workspace, changes: dict[str, object],
                                                             words: str, capsys: pytest.CaptureFixture[str]) -> None:
    whatif = WhatIf("bad", "", changes)
    with pytest.raises(InputError) as refused:
        workspace.check(whatif)
    path = workspace.path_of("bad")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(workspace.text(whatif), encoding="utf-8")  # the file the page would have saved
    capsys.readouterr()
    assert cli(["validate", str(path)]) == 2
    assert refused.value.render() in capsys.readouterr().err
    assert words in refused.value.render()
    with pytest.raises(InputError):
        workspace.save(whatif)


@pytest.mark.slow  # about 5 s of CPU: a run, and the live view after each replication
def test_the_live_view_of_arriving_replications_is_the_finished_runs(tmp_path: Path) -> None:
    """Curves of every declared series, and the scorecard of the pairs so far, from what arrived; at the
    end the same scorecard as sim.compare on the results folder."""
    small = write_small(tmp_path)
    loaded = load_scenario(small)
    arrived: list[RunResult] = []
    early: list[live.Snapshot | None] = []

    def on_result(result: RunResult) -> None:
        arrived.append(result)
        early.append(live.from_results(arrived, loaded))

    res = sim.api.run(small, replications=3, workers=1, out=tmp_path / "out", progress=False, on_result=on_result)
    first = early[0]
    assert first is not None and first.variants == ["base"] and first.view is None  # nothing to pair yet
    second = early[1]
    assert second is not None and second.pairs == 1 and second.scorecard is not None
    final = live.from_results(arrived, loaded)
    assert final is not None
    assert list(final.curves) == [k for k in catalogue.series() if k in res.series.columns]
    assert set(final.curves["resumed_share"]) == {"base", "fast"}
    pd.testing.assert_frame_equal(final.scorecard, sim.compare(res))
    folder = live.from_folder(res.out, loaded)
    assert folder is not None
    pd.testing.assert_frame_equal(folder.scorecard, final.scorecard)
    html = live.scorecard_html(final)
    assert "verdict-" in html and "Costs" in html
    assert "county-table" in live.counties_html(final)


def test_a_variant_keeps_its_place_whichever_replication_arrives_first(tmp_path: Path) -> None:
    """The page colours a variant by its place among the scenario's variants: when the what-if's replication
    arrives before the base's, it must not take the base's place (both curves were drawn blue)."""
    small = write_small(tmp_path)
    loaded = load_scenario(small)
    res = sim.api.run(small, replications=1, workers=1, out=tmp_path / "out", progress=False)
    whatif_first = [r for r in res.outcome.results if r.variant != "base"]
    early = live.from_results(whatif_first, loaded)
    late = live.from_results(whatif_first + [r for r in res.outcome.results if r.variant == "base"], loaded)
    assert early is not None and late is not None and early.variants == ["fast"]
    assert early.order["base"] == late.order["base"] == 0
    assert early.order["fast"] == late.order["fast"] != 0


def _wait(queue: object, run_id: int, until: object, seconds: float = 120) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = queue.get(run_id)  # type: ignore[attr-defined]
        if until(run):  # type: ignore[operator]
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not get there in {seconds} s: {queue.get(run_id)}")  # type: ignore[attr-defined]


@pytest.mark.slow
def test_the_run_queue_runs_one_at_a_time_cancels_without_loss_and_resumes(workspace: Workspace) -> None:
    from sim.app.runs import Options, RunQueue

    first = workspace.save(WhatIf("slow", "", {"policies.approval.name": "fast_track"}, replications=20))
    second = workspace.save(WhatIf("quick", "", {"cadres.liaisons.count": 0}, replications=2))
    queue = RunQueue(Options(workers=1))
    try:
        a = queue.submit("slow", first, results_folder(first), 60)
        b = queue.submit("quick", second, results_folder(second), 6)
        assert queue.get(b.id).state == "queued" and queue.queued_before(b.id) == 1  # type: ignore[union-attr]
        _wait(queue, a.id, lambda r: len(r.results) >= 2)
        queue.cancel(a.id)
        stopped = _wait(queue, a.id, lambda r: r.done)
        assert stopped.state == "cancelled" and "kept" in stopped.message, stopped  # type: ignore[attr-defined]
        assert (results_folder(first) / "run_state.json").is_file()  # finished replications kept for a resume
        done = _wait(queue, b.id, lambda r: r.done)
        assert done.state == "finished", done.message  # type: ignore[attr-defined]
        assert {r.variant for r in done.results} == {"base", "fast", "quick"}  # type: ignore[attr-defined]
        assert len(done.results) == 6  # type: ignore[attr-defined]
        assert (results_folder(second) / "report.html").is_file()
        again = queue.submit("slow", first, results_folder(first), 60)
        resumed = _wait(queue, again.id, lambda r: r.done, 300)
        assert resumed.state == "finished", resumed.message  # type: ignore[attr-defined]
        # the resumed run ran only what the cancelled one had not finished
        assert len(resumed.results) <= 60 - len(stopped.results)  # type: ignore[attr-defined]
        assert len(pd.read_csv(results_folder(first) / "summary.csv")) == 60
    finally:
        queue.close()


def test_a_cancel_whose_interrupt_was_lost_stops_the_run_at_its_next_result(tmp_path: Path) -> None:
    """Cancel is SIGINT for the run host; Python prints and ignores a KeyboardInterrupt raised inside a weakref
    callback of the garbage collector, and under load a Cancel was lost that way (the run went on: 747 of 2000
    replications 120 s after the click). The host remembers the Cancel and stops at the next result."""
    import signal

    from sim.app import runs

    sent: list[tuple[object, ...]] = []

    class Pipe:
        def send(self, message: tuple[object, ...]) -> None:
            sent.append(message)

    with pytest.raises(KeyboardInterrupt):  # the Cancel, whose KeyboardInterrupt is then lost
        runs._cancel(signal.SIGINT, None)
    try:
        kind, sentence = runs._run_one(Pipe(), 1, write_small(tmp_path), tmp_path / "out",  # type: ignore[arg-type]
                                       runs.Options(workers=1))
    finally:
        runs._CANCELLED.clear()
    assert kind == "cancelled", sentence
    assert [m[0] for m in sent] == ["total", "result"]  # of 6 replications, the first only
    assert (tmp_path / "out" / "run_state.json").is_file()  # kept for a resume


def test_a_cancel_raised_where_python_cannot_raise_it_is_one_line_in_the_log(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """In the run host, a KeyboardInterrupt that lands in a __del__ (or a weakref callback) is a note, not a
    traceback in the app's log; other exceptions there are printed as Python prints them."""
    import sys

    from sim.app import runs

    class Raises:
        def __init__(self, error: BaseException) -> None:
            self.error = error

        def __del__(self) -> None:
            raise self.error

    monkeypatch.setattr(sys, "unraisablehook", runs._unraisable)
    Raises(KeyboardInterrupt())
    err = capsys.readouterr().err
    assert "a Cancel came while Python was collecting garbage" in err and "Traceback" not in err, err
    Raises(ValueError("a real fault"))
    err = capsys.readouterr().err
    assert "Exception ignored" in err and "ValueError: a real fault" in err, err


def test_the_app_refuses_a_bad_scenario_file_before_serving(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("horizon_days: -5\n", encoding="utf-8")
    assert cli(["validate", str(bad)]) == 2
    said = capsys.readouterr().err
    assert cli(["app", str(bad), "--whatifs", str(tmp_path / "w")]) == 2
    assert capsys.readouterr().err == said  # the message of validate, and nothing served
    assert not (tmp_path / "w").exists()
    with pytest.raises(SystemExit) as usage:
        cli(["app", str(bad), "--port", "70000"])
    assert usage.value.code == 2
    assert "a port is from 1 to 65535" in capsys.readouterr().err


@pytest.mark.slow  # a run, and Panel's page built (Panel and Bokeh imported)
def test_the_page_draws_the_headline_curves_and_the_other_series_only_while_more_series_is_open(
        tmp_path: Path) -> None:
    """Each curve drawn costs the browser a redraw on every update: the page draws the shares of firms and
    workers at once, and the other series (queues, cadres' time, what holds firms back …) only once
    "More series" is opened; closed again, they are kept but no longer updated."""
    if not in_ci():
        pytest.importorskip("panel")
    from sim.app.page import Workbench

    small = write_small(tmp_path)
    res = sim.api.run(small, replications=1, workers=1, out=tmp_path / "out", progress=False)
    page = Workbench(Workspace(small, tmp_path / "whatifs" / "small"), queue=None, run_words=[])  # type: ignore[arg-type]
    try:
        snap = live.from_results(res.outcome.results, load_scenario(small))
        assert snap is not None
        headline = [k for k in snap.curves if live.is_headline(k)]
        assert {"resumed_share", "restarted_share", "workers_back_share", "production_index"} <= set(headline)
        assert len(headline) < len(snap.curves) and not any(k.startswith("held_") for k in headline)
        page._show(snap)
        assert list(page.figures) == headline and len(page.main.objects) == len(headline)
        assert page.more.objects[0].objects == []
        page.more.collapsed = False  # the planner opens "More series": the rest is drawn from what is shown
        assert list(page.figures) == list(snap.curves)
        assert len(page.more.objects[0].objects) == len(snap.curves) - len(headline)
        before = {key: dict(source.data) for key, source in page.sources.items()}
        page.more.collapsed = True
        page._show(live.from_results(res.outcome.results[:1], load_scenario(small)))
        held = next(key for key in page.sources if key[0].startswith("held_"))
        assert page.sources[held].data["mean"] is before[held]["mean"]  # not updated while closed
    finally:
        page.close()
