"""One experiment per results folder: claiming a folder to write it, opening a finished one to read it.

A command that writes a results folder holds it with :class:`ClaimedFolder`:
the folder lock (one writer), then the folder's record
(:mod:`sim.results.folder_record`) decides:

- a new or empty folder is claimed (its record written first);
- a folder the tool did not write (no record) and that is not empty is
  refused, and with ``--force`` it is written beside the files there, never
  replacing or removing one of them;
- a folder of another kind of experiment (a sweep for ``run``, an
  optimisation for ``sweep``…), or of another experiment of the same kind
  (another scenario or seed, another sweep file), is refused and told why;
  ``--force`` (where the command has it) first removes every file the
  previous experiment wrote, and only those;
- the same experiment again continues it (``--resume``; a sweep or
  optimisation always): the files it will write anew are removed first, its
  result store and logs are kept;
- the same run without ``--resume`` or ``--force`` is refused.

If the command fails before it ran anything (e.g. its Dask cluster does not
start), :meth:`ClaimedFolder.abandon` takes back a fresh claim: the folder is
as before, so the same command can simply be run again.

A command that reads a finished folder uses :func:`reading`: the lock shared
with other readers, the folder's experiment of a kind the reader knows and
finished, and every file still the one its experiment wrote.
"""

from __future__ import annotations

import contextlib
import os
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from sim.errors import COMMAND_LINE, FolderRefused, InputError, OptionNames
from sim.experiment.lock import LOCK_NAME, FolderLock
from sim.results.atomic import remove_leftovers
from sim.results.folder_record import (
    COMMANDS,
    FINISHED,
    KINDS,
    RECORD,
    RUNNING,
    FolderRecord,
    changed_files,
    mark,
    note_kept,
    read_record,
    remove_record,
    write_record,
)

T = TypeVar("T")


def check_options(out: Path | None, force: bool, resume: bool, options: OptionNames = COMMAND_LINE) -> None:
    """Refuse options that contradict each other, before any folder is touched."""
    if force and resume:
        raise FolderRefused(f"{options.force} and {options.resume} cannot be combined: {options.force} starts over, "
                            f"{options.resume} continues the interrupted run.")
    if resume and out is None:
        raise FolderRefused(f"{options.resume} needs {options.out}, the results folder of the interrupted run.")


def _word(kind: str) -> str:
    """'run', 'sweep'… (the kind's label without its article)."""
    return KINDS[kind].split(" ", 1)[1]


class ClaimedFolder:
    """``with ClaimedFolder(out, kind, identity, command) as claim:`` holds ``out`` for one experiment.

    ``identity``: what makes two invocations the same experiment; ``about`` says it in words
    ("scenario 'x', seed 7"), and ``differs`` what may differ ("scenario or seed"). ``kept``: the
    files that carry the experiment from one invocation to the next (result store, logs): a continuation keeps them, ``--force`` removes
    them. ``resume``: the caller asked to continue; ``continues``: the command always continues
    the same experiment (sweep, optimize); ``can_force``: the command has ``--force``.
    ``made``: the caller made the folder for this command (a new default folder).
    """

    def __init__(self, folder: Path, kind: str, identity: dict[str, Any], about: str, command: list[str], *,
                 differs: str, kept: tuple[str, ...] = (), force: bool = False, resume: bool = False,
                 continues: bool = False, can_force: bool = True, made: bool = False,
                 options: OptionNames = COMMAND_LINE) -> None:
        self.folder = folder
        self.kind, self.identity, self.about, self.command, self.differs = kind, identity, about, command, differs
        self.kept, self.force, self.resume, self.continues = kept, force, resume, continues
        self.can_force, self.made, self.options = can_force, made, options
        self.lock = FolderLock(folder, command)
        self.fresh = False  # this claim started the folder's experiment (nothing of it was there before)
        self._abandoned = False

    def __enter__(self) -> ClaimedFolder:
        self.lock.acquire()
        self.made = self.made or self.lock.created
        try:
            self._claim()
        except BaseException:
            self.lock.release()
            self._remove_if_made()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.release()
        if self._abandoned:
            self._remove_if_made()

    # -- claiming ----------------------------------------------------------------------------

    def _refuse(self, text: str) -> FolderRefused:
        return FolderRefused(text)

    def _claim(self) -> None:
        folder, opt = self.folder, self.options
        if not folder.is_dir():
            raise self._refuse(f"the results folder {folder} is a file; choose another {opt.out}.")
        record = read_record(folder)
        if record is None:
            self._claim_unrecorded()
            return
        same_kind = record.kind == self.kind
        if same_kind and record.identity == self.identity and not self.force:
            self._continue(record)
            return
        if not self.force or not self.can_force:
            raise self._refuse(self._mismatch(record, same_kind))
        _remove_files(folder, record, keep=())
        self._start()

    def _claim_unrecorded(self) -> None:
        folder, opt = self.folder, self.options
        others = sorted(p.name for p in folder.iterdir() if p.name not in (LOCK_NAME, RECORD))
        if self.resume:
            raise self._refuse(f"there is no interrupted {_word(self.kind)} to resume in {folder}: it has no record "
                               f"of one ({RECORD}; a folder of an older version of the tool has none either). Run "
                               f"without {opt.resume}, into a new or empty {opt.out} folder.")
        if others and not self.force:
            beside = (f", or pass {opt.force} to write beside the files there (the tool never replaces nor removes "
                      "a file it did not write)") if self.can_force else ""
            raise self._refuse(f"the results folder {folder} is not empty and holds no {_word(self.kind)} written "
                               f"by this version of the tool (no {RECORD}); choose another {opt.out}{beside}.")
        clash = [name for name in self.kept if os.path.lexists(folder / name)]
        if clash:
            raise self._refuse(f"the results folder {folder} holds {', '.join(clash)}, which no experiment of the "
                               f"tool recorded writing; they are not replaced, even with {opt.force}. Move them away, "
                               f"or choose another {opt.out}.")
        self._start()

    def _start(self) -> None:
        self.fresh = True
        write_record(self.folder, FolderRecord(self.kind, self.identity, self.about, self.command,
                                               files=dict.fromkeys(self.kept)))
        remove_leftovers(self.folder)

    def _continue(self, record: FolderRecord) -> None:
        folder, opt = self.folder, self.options
        word = _word(self.kind)
        if not (self.resume or self.continues):
            if record.status == FINISHED and not any(os.path.lexists(folder / n) for n in self.kept):
                raise self._refuse(f"the results folder {folder} is not empty: it holds {record.label}, finished. "
                                   f"Pass {opt.force} to run it again there, or choose another {opt.out}.")
            raise self._refuse(f"the results folder {folder} is not empty: it holds {record.label}, not finished "
                               f"(or with replications that failed). Pass {opt.resume} to finish it (with more or "
                               f"fewer replications if you like), {opt.force} to start over, or choose another "
                               f"{opt.out}.")
        if self.resume and record.status == FINISHED and not any(os.path.lexists(folder / n) for n in self.kept):
            raise self._refuse(f"the {word} in {folder} has finished: there is nothing to resume. Use {opt.force} "
                               f"to run it again there, or a new {opt.out} folder.")
        _remove_files(folder, record, keep=self.kept)  # what this invocation writes anew
        record.status, record.finished_at, record.command = RUNNING, None, self.command
        record.files = {name: digest for name, digest in record.files.items() if name in self.kept}
        record.files.update({name: None for name in self.kept if name not in record.files})
        write_record(folder, record)

    def _mismatch(self, record: FolderRecord, same_kind: bool) -> str:
        folder, opt = self.folder, self.options
        force = f", or pass {opt.force} to remove its files and start over there" if self.can_force else ""
        if not same_kind:
            return (f"the results folder {folder} holds {record.label}, not {KINDS[self.kind]}: "
                    f"`python -m sim {COMMANDS[self.kind]}` does not write into it, so that the two cannot mix. "
                    f"Choose another {opt.out}{force}.")
        if self.resume:
            return (f"the {_word(self.kind)} in {folder} was started with a different {self.differs}; "
                    f"{opt.resume} only continues the same experiment. Use a new {opt.out} folder, or {opt.force} "
                    "to start over in this one.")
        return (f"the results folder {folder} holds another {_word(self.kind)} ({record.about}; this one: "
                f"{self.about}), of a different {self.differs}; choose another {opt.out}{force}.")

    # -- the experiment's life ---------------------------------------------------------------

    def starting(self, start: Callable[[], T]) -> T:
        """``start()`` (e.g. the command's workers); if it fails, nothing has run: the claim is taken back
        (:meth:`abandon`), so that the same command can simply be run again, and the error goes on."""
        try:
            return start()
        except BaseException:
            self.abandon()
            raise

    def note_kept(self, *names: str) -> None:
        """Files the experiment writes in place besides the ones it was claimed with (listed for --force)."""
        note_kept(self.folder, list(names))

    def finished(self) -> None:
        """Every table is written: readers may read the folder."""
        mark(self.folder, FINISHED)

    def abandon(self) -> None:
        """The command failed before running anything: take back a fresh claim (a continuation keeps its state)."""
        if not self.fresh:
            return
        with contextlib.suppress(OSError):
            record = read_record(self.folder)
            if record is not None:
                _remove_files(self.folder, record, keep=())
            remove_record(self.folder)
        self._abandoned = True

    def _remove_if_made(self) -> None:
        if self.made:
            with contextlib.suppress(OSError):
                self.folder.rmdir()  # only if nothing else is there


def _remove_files(folder: Path, record: FolderRecord, keep: tuple[str, ...]) -> None:
    """Remove the files the record lists (but ``keep``), then the folders they leave empty."""
    subfolders: set[Path] = set()
    for name in record.files:
        if name in keep:
            continue
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            continue  # the record names files only; a folder there is not one of them
        path.unlink(missing_ok=True)
        parent = path.parent
        while parent != folder and folder in parent.parents:
            subfolders.add(parent)
            parent = parent.parent
    for sub in subfolders:
        remove_leftovers(sub)
    for sub in sorted(subfolders, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            sub.rmdir()
    remove_leftovers(folder)


# -- reading -----------------------------------------------------------------------------------

@contextlib.contextmanager
def reading(folder: Path, reader: str, kinds: tuple[str, ...], command: list[str], *,
            unfinished: bool = False) -> Iterator[FolderRecord | None]:
    """Hold a results folder to read it: the lock shared with other readers, then the checks.

    The folder's experiment must be of one of ``kinds`` and finished (``unfinished``: or still
    to finish, for a reader of the store alone), and every file it wrote must still be what it
    wrote. Yields the record, or None for a folder without one (written by hand or by the
    library functions directly): only its files' own checks apply then.
    """
    if not folder.is_dir():
        raise InputError.single(folder, "is not a folder; give a results folder written by the tool.")
    with FolderLock(folder, command, shared=True):
        record = read_record(folder)
        if record is not None:
            word = _word(record.kind)
            if record.kind not in kinds:
                known = " or ".join(KINDS[k] for k in kinds)
                raise InputError.single(folder, f"holds {record.label}; `python -m sim {reader}` reads the folder "
                                        f"of {known}.")
            if record.status != FINISHED and not unfinished:
                raise InputError.single(folder, f"the {word} in this folder did not finish (it was interrupted, or "
                                        "stopped by an error such as a full disk), so its tables are partial or "
                                        f"missing. {_how_to_finish(record)}")
            changed = changed_files(folder, record)
            if changed:
                raise InputError.single(folder / changed[0], f"{changed[0]} is not the file the {word} wrote: its "
                                        "content changed since (truncated, edited, or copied from another folder), so "
                                        "it is not read. Restore it, or run the experiment again"
                                        + (f" ({len(changed)} file(s) changed: {', '.join(changed)})."
                                           if len(changed) > 1 else "."))
        yield record


def _how_to_finish(record: FolderRecord) -> str:
    words = [w for w in record.command if w != "--force"]
    if record.kind in ("run", "robustness"):
        if "--resume" not in words:
            words.append("--resume")
        return f"Finish it with --resume: {shlex.join(words)}"
    return f"Finish it by running the same command again: {shlex.join(words)}"
