"""The record of a results folder: the experiment it belongs to, and every file that experiment wrote.

Every command that writes a results folder (``run``, ``run --robustness``,
``sweep``, ``optimize``, ``calibrate``) first writes ``.sim-folder.json`` there
(:mod:`sim.experiment.folder` decides whether it may):

``kind``
    run, robustness, sweep, optimisation or calibration;
``identity``
    what makes two invocations the same experiment (a run: the fingerprint of
    its scenario and seed; a sweep: its file's name and base scenario);
``status``
    ``running`` from the start, ``finished`` once every table is written: a
    folder whose run was interrupted, or stopped by a full disk, never looks
    finished to a reader;
``files``
    every file written there, by its path in the folder, with the sha256 of
    its content (``null`` for a file kept up to date in place: the result
    store, a log).

A file is noted (by :func:`note_written`, which every write through
:func:`sim.results.output.atomic_write` calls) before it is renamed into
place, so the record lists every file that may exist. With it, ``--force``
removes exactly what the previous experiment wrote, a reader refuses a table
whose content is not what was written (truncated, edited, copied from another
folder), and no write replaces a file of the folder that no experiment wrote.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import FolderRefused, OutputError
from sim.results.atomic import replace_atomically

RECORD = ".sim-folder.json"
FORMAT = 1
RUNNING, FINISHED = "running", "finished"
KINDS = {"run": "a run", "robustness": "a robustness run", "sweep": "a sweep", "optimisation": "an optimisation",
         "calibration": "a calibration"}
COMMANDS = {"run": "run", "robustness": "run --robustness", "sweep": "sweep", "optimisation": "optimize",
            "calibration": "calibrate"}
_SEARCHED = 2  # a file is noted in the record of its folder or of the folder above (plots/, export/, discovery/)


class DamagedRecord(FolderRefused):
    """A record that cannot be read: nobody can tell which files of the folder are the tool's."""


@dataclass
class FolderRecord:
    """What ``.sim-folder.json`` holds."""

    kind: str
    identity: dict[str, Any]
    about: str  # the identity in words: "scenario 'tieling-2020', seed 20200203"
    command: list[str]
    status: str = RUNNING
    started_at: str = field(default_factory=lambda: _now())
    finished_at: str | None = None
    files: dict[str, str | None] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """'a sweep (sweep-cadres.yaml on scenario 'tieling-2020')' etc."""
        return f"{KINDS[self.kind]} ({self.about})"

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "kind": self.kind, "identity": self.identity, "about": self.about,
                           "status": self.status,
                           "command": self.command, "started_at": self.started_at,
                           "finished_at": self.finished_at, "files": self.files},
                          indent=2, ensure_ascii=False, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> FolderRecord:
        """Parse a record; ValueError when it is not one this version wrote."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("kind") not in KINDS:
            raise ValueError("not a record of this version")
        files = data.get("files")
        if not isinstance(files, dict) or not all(isinstance(k, str) and (v is None or isinstance(v, str))
                                                  for k, v in files.items()):
            raise ValueError("bad list of files")
        identity, command = data.get("identity"), data.get("command")
        if not isinstance(identity, dict) or not isinstance(command, list) or \
                data.get("status") not in (RUNNING, FINISHED):
            raise ValueError("bad identity, command or status")
        return cls(data["kind"], identity, str(data.get("about", "")), [str(w) for w in command], data["status"],
                   str(data.get("started_at")), data.get("finished_at"), dict(files))


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


def read_record(folder: Path) -> FolderRecord | None:
    """The folder's record, or None if it has none; DamagedRecord if it has one that cannot be read."""
    path = folder / RECORD
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if isinstance(exc, NotADirectoryError):
            return None
        raise DamagedRecord(f"cannot read the record {path}: {exc.strerror or exc}.") from None
    if not stat.S_ISREG(info.st_mode):
        raise DamagedRecord(f"the record {path} is not a regular file; the tool cannot tell which files of "
                            f"{folder} it wrote. Move the folder's files away, or choose another folder.")
    try:
        return FolderRecord.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DamagedRecord(f"the record {path} is damaged ({exc}); the tool cannot tell which files of {folder} "
                            "it wrote, so it neither reads nor replaces them. Move the folder's files away, or "
                            "choose another folder.") from None


def write_record(folder: Path, record: FolderRecord) -> None:
    """Replace the folder's record (whole, atomically)."""
    text = record.to_json()

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    try:
        replace_atomically(folder / RECORD, write)
    except OSError as exc:
        raise OutputError(f"cannot write {folder / RECORD}: {exc.strerror or exc}.") from None


def remove_record(folder: Path) -> None:
    (folder / RECORD).unlink(missing_ok=True)


@contextlib.contextmanager
def updating(folder: Path) -> Iterator[None]:
    """Hold the folder's record for a read-modify-write.

    The folder lock lets several readers in at once (report and compare, say), and each may
    note a file: a lock on the folder's directory itself serialises their updates.
    """
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise OutputError(f"cannot open the results folder {folder}: {exc.strerror or exc}.") from None
    try:
        with contextlib.suppress(OSError):  # a file system without locks: one writer at a time anyway
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def owner_of(path: Path) -> tuple[Path, str] | None:
    """The results folder whose record governs ``path``, and the path's name there; None outside one."""
    folder = path.parent
    for _ in range(_SEARCHED):
        if os.path.lexists(folder / RECORD):
            return folder, path.relative_to(folder).as_posix()
        if folder.parent == folder:
            break
        folder = folder.parent
    return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def note_written(path: Path, tmp: Path) -> None:
    """Before ``tmp`` is renamed to ``path``: refuse to replace a file no experiment of the folder wrote,
    and note the new content's sha256 in the folder's record."""
    owner = owner_of(path)
    if owner is None:
        return
    folder, name = owner
    with updating(folder):
        record = read_record(folder)
        if record is None:
            return
        if name not in record.files and os.path.lexists(path):
            raise OutputError(f"{path} was not written by {record.label}, whose results folder {folder} "
                              "is; the tool does not replace it. Move it away, or write elsewhere.")
        if name in record.files and record.files[name] is None:
            return  # a file kept up to date in place (e.g. the partial summary): not checked by readers
        digest = sha256_of(tmp)
        if record.files.get(name) != digest:
            record.files[name] = digest
            write_record(folder, record)


def note_kept(folder: Path, names: list[str]) -> None:
    """Note files written in place (the store, a log): listed, so that --force removes them, never checked."""
    with updating(folder):
        record = read_record(folder)
        if record is None:
            return
        new = [n for n in names if n not in record.files]
        if new:
            record.files.update(dict.fromkeys(new))
            write_record(folder, record)


def mark(folder: Path, status: str) -> None:
    """Set the record's status (``finished`` once every table of the experiment is written)."""
    with updating(folder):
        record = read_record(folder)
        if record is None:
            return
        record.status = status
        record.finished_at = _now() if status == FINISHED else None
        write_record(folder, record)


def changed_files(folder: Path, record: FolderRecord) -> list[str]:
    """The files of the record whose content is no longer what was written (absent ones are not listed)."""
    changed = []
    for name, digest in record.files.items():
        path = folder / name
        if digest is None or not os.path.lexists(path):
            continue
        try:  # a link or a FIFO put in a table's place is not the table (and a FIFO would block the read)
            same = stat.S_ISREG(os.lstat(path).st_mode) and sha256_of(path) == digest
        except OSError:
            same = False
        if not same:
            changed.append(name)
    return changed
