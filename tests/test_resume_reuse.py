"""Resume reuses what it can (issue break 8).

Replication r of a scenario does not depend on how many replications are run, so the key of a stored
replication leaves the count out: ``--resume -r 6`` after an interrupted ``-r 4`` reuses every replication
that had finished (``--robustness`` too), and the run says how many it reused and why the others were not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import sim.experiment.runner
from sim.experiment.fingerprint import scenario_identity
from tests.conftest import SMALL_ONE_STRATUM as SMALL
from tests.conftest import run_quietly as _run
from tests.conftest import tiny

TABLES = ("summary.csv", "timeseries.csv", "enterprises.csv", "comparison.csv")
UNCERTAIN = SMALL + """
uncertainty:
  - {paths: ["population.strata[*].readiness"], low: 0.5, high: 0.9, provenance: "assumption: test"}
"""


def _count_runs(monkeypatch: pytest.MonkeyPatch, stop_after: int | None = None) -> list[tuple[str, int]]:
    """Record every replication run; with ``stop_after``, Ctrl-C once that many have finished."""
    real = sim.experiment.runner.run_task
    calls: list[tuple[str, int]] = []

    def run_task(task: Any) -> Any:
        if stop_after is not None and len(calls) == stop_after:
            raise KeyboardInterrupt
        calls.append((task.variant, task.replication))
        return real(task)

    monkeypatch.setattr(sim.experiment.runner, "run_task", run_task)
    return calls


def test_the_key_of_a_replication_leaves_the_count_of_replications_out() -> None:
    assert scenario_identity(tiny(replications=4), None) == scenario_identity(tiny(replications=6), None)
    assert scenario_identity(tiny(seed=1), None) != scenario_identity(tiny(seed=2), None)


@pytest.mark.slow  # about 3 s of CPU: a run stopped, resumed, and run again whole
def test_resume_with_more_replications_reuses_every_finished_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    scen = tmp_path / "small.yaml"
    scen.write_text(SMALL)
    out = tmp_path / "out"
    finished = _count_runs(monkeypatch, stop_after=3)
    assert _run(scen, out, "-r", "4") == 130
    assert finished == [("base", 0), ("fast", 0), ("base", 1)]  # replication r of every variant before r + 1
    monkeypatch.undo()
    calls = _count_runs(monkeypatch)
    capsys.readouterr()
    assert _run(scen, out, "-r", "6", "--resume") == 0
    err = capsys.readouterr().err
    assert sorted(calls) == sorted({(v, r) for v in ("base", "fast") for r in range(6)} - set(finished))
    assert "Resumed: 3 replication(s) reused" in err and "of the 12 asked for; the other 9 had not finished" in err
    monkeypatch.undo()
    assert _run(scen, tmp_path / "clean", "-r", "6") == 0
    for name in TABLES:
        assert (out / name).read_bytes() == (tmp_path / "clean" / name).read_bytes(), name


def test_resume_with_fewer_replications_says_which_finished_ones_are_not_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    scen = tmp_path / "small.yaml"
    scen.write_text(SMALL)
    out = tmp_path / "out"
    _count_runs(monkeypatch, stop_after=6)  # base 0-3, fast 0-1
    assert _run(scen, out, "-r", "4") == 130
    monkeypatch.undo()
    calls = _count_runs(monkeypatch)
    capsys.readouterr()
    assert _run(scen, out, "-r", "2", "--resume") == 0
    err = capsys.readouterr().err
    assert calls == []
    assert "Resumed: 4 replication(s) reused" in err and "of the 4 asked for" in err
    assert "2 finished replication(s) beyond the 2 asked for are not used" in err


def test_robustness_resume_with_more_replications_reuses_every_finished_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    scen = tmp_path / "uncertain.yaml"
    scen.write_text(UNCERTAIN)
    out = tmp_path / "out"
    finished = _count_runs(monkeypatch, stop_after=5)
    assert _run(scen, out, "--robustness", "2", "-r", "2") == 130
    monkeypatch.undo()
    capsys.readouterr()
    assert _run(scen, out, "--robustness", "2", "-r", "3", "--resume") == 0
    # 2 points × 2 variants × 3 replications = 12 runs, of which the 5 that finished are reused
    assert len(finished) == 5 and "12 run(s), 7 now, 5 reused" in capsys.readouterr().out
