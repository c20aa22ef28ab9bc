"""A results folder belongs to one experiment (issue breaks 5, 6, 7, 8, 10 and 13).

Every command that writes a results folder records there (``.sim-folder.json``) its kind, the identity
of its experiment, its status and every file it wrote. So:

- another kind of command, or another experiment of the same kind, is refused (exit 2) and told why;
- ``--force`` removes every file the previous experiment wrote, and nothing else, before starting;
- ``report``, ``compare``, ``export`` and ``discover`` read the folder as readers of its lock (never while a
  run rewrites it), only once its experiment finished, and refuse a table that is not the one the
  experiment wrote (truncated, edited, copied from another folder);
- a folder whose tables could not all be written (disk full) does not look finished;
- a command that fails before running anything (a Dask cluster that does not start) leaves nothing that
  blocks the same command again;
- default folders are made anew, with a suffix when two runs start in the same second.

A report's plots are drawn only where the test is about them (--force removes them): elsewhere reports are
written without plots (reports_without_plots, tests/conftest.py), which changes nothing of how a folder is
read, locked or written.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import sim.api
import sim.experiment.experiment
import sim.experiment.runner
import sim.results.output
from sim.cli import main
from sim.errors import ClusterError, OutputError
from sim.experiment.lock import FolderLock
from sim.experiment.store import STORE_NAME
from sim.results.folder_record import RECORD
from tests.conftest import SMALL_ONE_STRATUM as SMALL
from tests.conftest import SMALL_SWEEP as SWEEP
from tests.conftest import disk_full_for
from tests.conftest import interrupt_after as _interrupt_after

OPTIMIZE = """
scenario: small.yaml
decisions:
  cadres.liaisons.count: {low: 0, high: 20, step: 10}
objectives: {mean_restart_day: minimize, failed_share: minimize}
search: {population: 4, generations: 1, seed: 1, refine: 0}
replications: 1
selection: {delta: 1.0, first_stage: 3, max_replications: 3}
"""
UNCERTAIN = SMALL + """
uncertainty:
  - {paths: ["population.strata[*].readiness"], low: 0.5, high: 0.9, provenance: "assumption: test"}
"""


def _write_files(folder: Path) -> Path:
    (folder / "small.yaml").write_text(SMALL)
    (folder / "uncertain.yaml").write_text(UNCERTAIN)
    (folder / "sweep.yaml").write_text(SWEEP)
    (folder / "opt.yaml").write_text(OPTIMIZE)
    return folder


@pytest.fixture
def files(tmp_path: Path) -> Path:
    return _write_files(tmp_path)


@pytest.fixture(scope="module")
def finished_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two finished runs of small.yaml (seeds 20200203 and 9, no report), made once for the module: the tests
    that only read a finished folder work on copies of them (two_runs, finished_run). A folder's record
    names its files by path relative to the folder, so a copy is as finished as the original."""
    where = _write_files(tmp_path_factory.mktemp("finished"))
    one, two = where / "one", where / "two"
    assert _run(where / "small.yaml", one, "--no-report") == 0
    assert _run(where / "small.yaml", two, "--no-report", "--seed", "9") == 0
    return one, two


@pytest.fixture
def finished_run(finished_runs: tuple[Path, Path], tmp_path: Path) -> Path:
    """A copy of the module's first finished run, at ``tmp_path / "out"``."""
    return Path(shutil.copytree(finished_runs[0], tmp_path / "out"))


def _run(scen: Path, out: Path, *extra: str) -> int:
    return main(["run", str(scen), "--out", str(out), "--workers", "1", "-q", "-r", "2", *extra])


def _sweep(files: Path, out: Path) -> int:
    return main(["sweep", str(files / "sweep.yaml"), "--out", str(out), "--workers", "1", "-q", "--no-report"])


def _optimize(files: Path, out: Path) -> int:
    return main(["optimize", str(files / "opt.yaml"), "--out", str(out), "--workers", "1", "-q", "--no-report"])


def _clean(err: str) -> None:
    assert "Traceback" not in err and "internal error" not in err, err


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- break 5: --force starts over ------------------------------------------------------------------------

@pytest.mark.slow  # draws a report's plots
def test_force_removes_the_previous_runs_report_and_plots(files: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _run(files / "small.yaml", out) == 0
    assert (out / "report.html").is_file() and (out / "plots").is_dir()
    (out / "notes.txt").write_text("mine")
    assert _run(files / "small.yaml", out, "--force", "--no-report", "--seed", "5") == 0
    assert not (out / "report.html").exists() and not (out / "plots").exists()
    assert json.loads((out / "manifest.json").read_text())["seed"] == 5
    assert (out / "notes.txt").read_text() == "mine"


def test_a_run_forced_into_a_sweep_folder_removes_every_file_of_the_sweep(files: Path, tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert _sweep(files, out) == 0
    sweep_files = set(_listing(out))
    assert {"points.csv", "results.csv", "summary.csv", STORE_NAME} <= sweep_files
    (out / "notes.txt").write_text("mine")
    capsys.readouterr()
    assert _run(files / "small.yaml", out, "--no-report") == 2  # without --force: refused, untouched
    err = capsys.readouterr().err
    _clean(err)
    assert "holds a sweep" in err and "--force" in err
    assert set(_listing(out)) == sweep_files | {"notes.txt"}
    assert _run(files / "small.yaml", out, "--no-report", "--force") == 0
    left = set(_listing(out))
    assert not {"points.csv", "results.csv", STORE_NAME, "sweep.log"} & left
    assert "notes.txt" in left and "enterprises.csv" in left


@pytest.mark.usefixtures("reports_without_plots")
def test_report_and_compare_wait_for_no_writer(finished_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = finished_run
    capsys.readouterr()
    with FolderLock(out, ["python", "-m", "sim", "run", "small.yaml", "--force"]):  # a --force rerun in progress
        for command in (["report", str(out)], ["compare", str(out)], ["export", str(out)]):
            assert main(command) == 2, command
            err = capsys.readouterr().err
            _clean(err)
            assert "is being written by another command" in err and "--force" in err
    assert not (out / "report.html").exists()
    assert main(["report", str(out)]) == 0
    assert main(["compare", str(out)]) == 0


@pytest.mark.usefixtures("reports_without_plots")
def test_readers_may_read_together(files: Path, finished_run: Path) -> None:
    out = finished_run
    with FolderLock(out, ["python", "-m", "sim", "report", str(out)], shared=True):
        assert main(["compare", str(out)]) == 0
        assert main(["report", str(out)]) == 0
        assert _run(files / "small.yaml", out, "--force") == 2  # but a writer waits for the readers
    assert not (out / ".sim.lock").exists()


# -- break 6: one kind of experiment per folder -----------------------------------------------------------

def test_optimize_into_a_sweep_folder_and_sweep_into_an_optimisation_folder_are_refused(
        files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sweep, opt = tmp_path / "sweep-out", tmp_path / "opt-out"
    assert _sweep(files, sweep) == 0
    assert _optimize(files, opt) == 0
    before = (_listing(sweep), _listing(opt))
    capsys.readouterr()
    assert _optimize(files, sweep) == 2
    err = capsys.readouterr().err
    _clean(err)
    assert f"the results folder {sweep} holds a sweep" in err and "optimize" in err
    assert _sweep(files, opt) == 2
    err = capsys.readouterr().err
    _clean(err)
    assert f"the results folder {opt} holds an optimisation" in err
    assert (_listing(sweep), _listing(opt)) == before


def test_a_sweep_of_another_file_is_refused(files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert _sweep(files, out) == 0
    other = files / "other-sweep.yaml"
    other.write_text(SWEEP)
    capsys.readouterr()
    assert main(["sweep", str(other), "--out", str(out), "-q", "--no-report", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "holds another sweep" in err and "sweep.yaml" in err
    assert _sweep(files, out) == 0  # the same sweep again continues (every run reused)


def test_a_robustness_run_and_a_plain_run_cannot_share_a_folder(files: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    rob, plain = tmp_path / "rob", tmp_path / "plain"
    _interrupt_after(monkeypatch, 2)
    assert _run(files / "uncertain.yaml", rob, "--robustness", "2", "--no-report") == 130
    assert _run(files / "uncertain.yaml", plain, "--no-report") == 130
    monkeypatch.undo()
    before = (_listing(rob), _listing(plain))
    capsys.readouterr()
    assert _run(files / "uncertain.yaml", rob, "--resume", "--no-report") == 2
    err = capsys.readouterr().err
    _clean(err)
    assert "holds a robustness run" in err
    assert _run(files / "uncertain.yaml", plain, "--resume", "--robustness", "2", "--no-report") == 2
    err = capsys.readouterr().err
    _clean(err)
    assert "holds a run" in err
    assert (_listing(rob), _listing(plain)) == before  # neither store was touched
    assert _run(files / "uncertain.yaml", rob, "--resume", "--robustness", "2", "--no-report") == 0
    assert _run(files / "uncertain.yaml", plain, "--resume", "--no-report") == 0


# -- break 13: readers refuse partial or foreign tables ------------------------------------------------------

@pytest.fixture
def two_runs(finished_runs: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """Copies of the module's two finished runs, for a test to read, truncate or edit."""
    one, two = tmp_path / "one", tmp_path / "two"
    shutil.copytree(finished_runs[0], one)
    shutil.copytree(finished_runs[1], two)
    return one, two


@pytest.mark.parametrize("command", ["report", "compare"])
def test_a_truncated_summary_is_refused(two_runs: tuple[Path, Path], command: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    one, _ = two_runs
    data = (one / "summary.csv").read_bytes()
    (one / "summary.csv").write_bytes(data[: len(data) * 2 // 3])
    capsys.readouterr()
    assert main([command, str(one)]) == 2
    err = capsys.readouterr().err
    _clean(err)
    assert "summary.csv is not the file the run wrote" in err
    assert not (one / "report.html").exists()


def test_a_summary_copied_from_another_run_is_refused(two_runs: tuple[Path, Path],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    one, two = two_runs
    shutil.copy(two / "summary.csv", one / "summary.csv")
    capsys.readouterr()
    assert main(["report", str(one)]) == 2
    err = capsys.readouterr().err
    _clean(err)
    assert "summary.csv is not the file the run wrote" in err


def test_compare_on_a_truncated_manifest_is_a_clear_error(two_runs: tuple[Path, Path],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    one, _ = two_runs
    (one / "manifest.json").write_text('{"scenario": "sm')
    capsys.readouterr()
    assert main(["compare", str(one)]) == 2
    err = capsys.readouterr().err
    _clean(err)
    assert "manifest.json is not the file the run wrote" in err


@pytest.mark.usefixtures("reports_without_plots")
def test_compare_then_report_is_consistent(two_runs: tuple[Path, Path]) -> None:
    one, _ = two_runs  # compare rewrites comparison.csv and the manifest: the record follows
    assert main(["compare", str(one), "--reference", "fast"]) == 0
    assert main(["report", str(one)]) == 0


@pytest.mark.usefixtures("reports_without_plots")
def test_a_reader_does_not_replace_a_file_the_experiment_did_not_write(
        two_runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    one, _ = two_runs
    (one / "mine.html").write_text("my own page")
    capsys.readouterr()
    assert main(["report", str(one), "--output", str(one / "mine.html")]) == 2
    err = capsys.readouterr().err
    _clean(err)
    assert "was not written by" in err
    assert (one / "mine.html").read_text() == "my own page"


# -- break 8: a folder that could not be finished does not look finished --------------------------------------

@pytest.mark.usefixtures("reports_without_plots")
def test_disk_full_while_writing_the_tables_leaves_a_folder_that_does_not_look_finished(
        files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    disk_full_for(monkeypatch, "comparison.csv")
    assert _run(files / "small.yaml", out) == 2
    err = capsys.readouterr().err
    _clean(err)
    assert "No space left on device" in err and "--resume" in err
    monkeypatch.undo()
    assert not (out / "manifest.json").exists()  # the manifest is written last, once every table is
    assert json.loads((out / RECORD).read_text())["status"] == "running"
    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err
    _clean(err)
    assert "did not finish" in err and "--resume" in err
    assert _run(files / "small.yaml", out, "--resume") == 0  # space freed: the tables from the store
    assert (out / "manifest.json").is_file() and (out / "report.html").is_file()


# -- break 7: a command that fails before running anything leaves nothing behind -----------------------------

def _no_cluster(*args: Any, **kwargs: Any) -> Any:
    raise ClusterError("no Dask worker joined the cluster within 30 s.")


def test_a_run_whose_workers_do_not_start_leaves_nothing_that_blocks_the_retry(
        files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr(sim.experiment.experiment, "make_executor", _no_cluster)
    assert _run(files / "small.yaml", out, "--no-report") == 2
    assert "no Dask worker" in capsys.readouterr().err
    assert not out.exists()
    monkeypatch.undo()
    assert _run(files / "small.yaml", out, "--no-report") == 0


def test_a_sweep_whose_workers_do_not_start_leaves_nothing_that_blocks_the_retry(
        files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.cli.sweep

    out = tmp_path / "out"
    monkeypatch.setattr(sim.cli.sweep, "make_executor", _no_cluster)
    assert _sweep(files, out) == 2
    assert not out.exists()
    monkeypatch.undo()
    assert _sweep(files, out) == 0


def test_a_resumed_run_whose_workers_do_not_start_keeps_what_finished(
        files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    _interrupt_after(monkeypatch, 2)
    assert _run(files / "small.yaml", out, "--no-report") == 130
    monkeypatch.undo()
    before = _listing(out)
    monkeypatch.setattr(sim.experiment.experiment, "make_executor", _no_cluster)
    assert _run(files / "small.yaml", out, "--no-report", "--resume") == 2
    assert set(_listing(out)) == set(before)
    monkeypatch.undo()
    assert _run(files / "small.yaml", out, "--no-report", "--resume") == 0


# -- break 10: default folders, and the Python API -------------------------------------------------------

def test_two_runs_started_in_the_same_second_get_their_own_folders(
        files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sim.results.output, "_stamp", lambda: "20200203-120000")
    first = sim.api.run(files / "small.yaml", replications=1, workers=1)
    second = sim.api.run(files / "small.yaml", replications=1, workers=1)
    assert first.out == Path("results/small/20200203-120000")
    assert second.out == Path("results/small/20200203-120000-2")
    assert len(first.summary) == len(second.summary) == 2


def test_the_api_speaks_python_when_a_folder_is_refused(files: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    _interrupt_after(monkeypatch, 1)
    with pytest.raises(sim.experiment.experiment.Interrupted):
        sim.api.run(files / "small.yaml", replications=1, workers=1, out=out)
    monkeypatch.undo()
    with pytest.raises(ValueError) as refused:
        sim.api.run(files / "small.yaml", replications=1, workers=1, out=out)
    assert isinstance(refused.value, OutputError)
    text = str(refused.value)
    assert "resume=True" in text and "force=True" in text and "out=" in text and "--" not in text
    sim.api.run(files / "small.yaml", replications=1, workers=1, out=out, resume=True)
    with pytest.raises(ValueError, match="Pass force=True to run it again there, or choose another out="):
        sim.api.run(files / "small.yaml", replications=1, workers=1, out=out)


@pytest.mark.parametrize(("arguments", "words"), [
    ({"test": "wilcox"}, ["test='wilcox'", "'t' or 'wilcoxon'"]),
    ({"precision": {"mean_restart_dy": 0.5}}, ["precision", "mean_restart_dy", "Did you mean 'mean_restart_day'"]),
    ({"precision": {"mean_restart_day": -1.0}}, ["precision", "positive"]),
    ({"precision": {"mean_restart_day": 0.5}, "max_replications": 1}, ["max_replications=1", "replications"]),
    ({"replications": 0}, ["replications=0", "at least 1"]),
    ({"workers": 0}, ["workers=0", "at least 1"]),
    ({"executor": "threads"}, ["executor='threads'", "local", "dask"]),
    ({"out": "  "}, ["out=", "empty"]),
    ({"resume": True}, ["resume=True", "out="]),
    ({"resume": True, "force": True, "out": "x"}, ["resume=True", "force=True"]),
])
def test_the_api_checks_its_arguments_before_any_replication_runs(
        files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arguments: dict[str, Any],
        words: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    ran: list[Any] = []
    monkeypatch.setattr(sim.experiment.runner, "run_task", lambda task: ran.append(task))
    arguments = {"replications": 2, "workers": 1, **arguments}
    with pytest.raises(ValueError) as bad:
        sim.api.run(files / "small.yaml", **arguments)
    for word in words:
        assert word in str(bad.value), (word, str(bad.value))
    assert ran == [] and not (tmp_path / "results").exists() and not (tmp_path / "x").exists()
