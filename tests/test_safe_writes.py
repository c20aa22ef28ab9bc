"""Writes never follow or replace what is not ours (docs/troubleshooting.md, "When things go wrong").

- the final rename of a file replaces only a regular file we may write: a device node, a FIFO, a symbolic
  link or a directory at the target is refused (exit 2) and left as it is;
- a file is written in a private directory (mode 0700) beside its target, created with O_EXCL, so that
  nobody else can plant a link where it is written;
- the internal-error log is created the same way in a fresh private directory, never through a link;
- the folder lock is never opened through a symbolic link;
- an empty or blank ``--out``/``--output`` is an error, not the current folder.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest

import sim.cli.validate
from sim.cli import main
from sim.results.output import atomic_write
from tests.conftest import SMALL_ONE_STRATUM as SMALL
from tests.conftest import refused


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run's results folder (no report yet)."""
    root = tmp_path_factory.mktemp("safe")
    scen = root / "small.yaml"
    scen.write_text(SMALL)
    out = root / "out"
    assert main(["run", str(scen), "--out", str(out), "--workers", "1", "-q", "--no-report", "-r", "2"]) == 0
    return out


def _clean(err: str) -> None:
    assert "Traceback" not in err and "internal error" not in err, err


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], *expected: str) -> None:
    """The command exits 2 with every ``expected`` text in its message, without a traceback or an internal error."""
    _clean(refused(argv, capsys, *expected))


# -- the final rename -----------------------------------------------------------------------------------
# A target is refused whatever the report holds: those tests write it without plots (reports_without_plots,
# tests/conftest.py); the one that replaces a regular file writes a whole report.

@pytest.mark.usefixtures("reports_without_plots")
def test_a_fifo_at_the_target_is_refused_and_left_as_it_is(finished: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    _refused(["report", str(finished), "--output", str(fifo)], capsys, f"{fifo} is not a regular file (a FIFO)")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.usefixtures("reports_without_plots")
def test_a_device_node_at_the_target_is_refused_and_left_as_it_is(finished: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # `report DIR --output /dev/null` as root replaced the null device with the report: a null device made
    # in the test's own folder stands for it (making one needs root; elsewhere the FIFO test above holds)
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")
    _refused(["report", str(finished), "--output", str(node)], capsys, "is not a regular file (a character device)")
    assert stat.S_ISCHR(os.lstat(node).st_mode)


@pytest.mark.usefixtures("reports_without_plots")
def test_a_symbolic_link_at_the_target_is_refused_and_neither_it_nor_its_target_changes(
        finished: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "report.html"
    link.symlink_to(victim)
    _refused(["report", str(finished), "--output", str(link)], capsys, f"{link} is a symbolic link")
    assert link.is_symlink() and os.readlink(link) == str(victim) and victim.read_text() == "precious"


@pytest.mark.usefixtures("reports_without_plots")
def test_a_directory_at_the_target_is_refused(finished: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "somewhere"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    _refused(["report", str(finished), "--output", str(folder)], capsys,
             f"{folder} is not a regular file (a directory)")
    assert (folder / "keep.txt").read_text() == "mine"


@pytest.mark.usefixtures("reports_without_plots")  # what is checked is the file, not the plots in it
def test_a_regular_file_is_replaced_whole(finished: Path, tmp_path: Path) -> None:
    target = tmp_path / "mine.html"
    target.write_text("old")
    assert main(["report", str(finished), "--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# -- where a file is written before it is renamed -----------------------------------------------------------

def test_a_file_is_written_in_a_private_directory_created_for_it(tmp_path: Path) -> None:
    seen: list[tuple[Path, int, int]] = []

    def write(tmp: Path) -> None:
        info = os.lstat(tmp.parent)
        seen.append((tmp, stat.S_IMODE(info.st_mode), os.lstat(tmp).st_size))
        tmp.write_text("content")

    atomic_write(tmp_path / "table.csv", write)
    tmp, mode, size = seen[0]
    assert tmp.parent != tmp_path and tmp.parent.parent == tmp_path  # beside the target: one rename, same disk
    assert mode == 0o700 and size == 0  # private, and created empty by us (O_EXCL) before write() ran
    assert not tmp.parent.exists()  # removed once renamed
    assert (tmp_path / "table.csv").read_text() == "content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    def write(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        atomic_write(tmp_path / "table.csv", write)
    assert list(tmp_path.iterdir()) == []


# -- the internal-error log ---------------------------------------------------------------------------------

def test_the_internal_error_log_is_never_written_through_a_planted_link(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    shared = tmp_path / "tmp"
    shared.mkdir()
    (shared / "sim-internal-error.log").symlink_to(victim)  # planted by another user of /tmp
    monkeypatch.setattr(tempfile, "tempdir", str(shared))

    def crash(args: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(sim.cli.validate, "main", crash)
    assert main(["validate", "whatever.yaml"]) == 1
    err = capsys.readouterr().err
    assert victim.read_text() == "precious"
    assert "internal error: RuntimeError: boom" in err
    log = Path(err.split("The traceback is in ", 1)[1].split(". Please", 1)[0])
    assert log.is_file() and not log.is_symlink() and "RuntimeError: boom" in log.read_text()
    assert log.parent.parent == shared and stat.S_IMODE(os.lstat(log.parent).st_mode) == 0o700


# -- the folder lock ----------------------------------------------------------------------------------------

def test_the_folder_lock_is_never_opened_through_a_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scen = tmp_path / "small.yaml"
    scen.write_text(SMALL)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".sim.lock").symlink_to(victim)
    _refused(["run", str(scen), "--out", str(out), "--workers", "1", "-q", "--no-report", "-r", "1"], capsys,
             "is a symbolic link")
    assert victim.read_text() == "precious"


# -- empty paths --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("blank", ["", "   "], ids=["empty", "spaces"])
@pytest.mark.parametrize("command", [
    ["run", "{scen}", "--force", "--out"],
    ["run", "{scen}", "--robustness", "2", "--force", "--out"],
    ["sweep", "{sweep}", "--out"],
    ["optimize", "{sweep}", "--out"],
    ["calibrate", "{scen}", "--targets", "t.csv", "--fit", "approval.review_days.mean=0.1:2", "--force", "--out"],
    ["export", "{folder}", "--out"],
    ["report", "{folder}", "--output"],
    ["report"],
    ["compare"],
    ["export"],
], ids=["run", "robustness", "sweep", "optimize", "calibrate", "export-out", "report-output", "report", "compare",
        "export"])
def test_an_empty_or_blank_path_is_an_error_not_the_current_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: list[str],
        blank: str) -> None:
    # the working folder holds files named like a run's: `--out "" --force` used to delete and overwrite them
    work = tmp_path / "work"
    work.mkdir()
    for name in ("store.sqlite", "run.log", "summary.csv"):
        (work / name).write_text("mine")
    (work / "small.yaml").write_text(SMALL)
    monkeypatch.chdir(work)
    before = sorted(os.listdir(work))
    words = [w.format(scen="small.yaml", sweep="small.yaml", folder=".") for w in command] + [blank]
    with pytest.raises(SystemExit) as stop:
        main(words)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    _clean(err)
    assert "empty path" in err
    assert sorted(os.listdir(work)) == before
    assert all((work / name).read_text() == "mine" for name in ("store.sqlite", "run.log", "summary.csv"))
