"""One writer or several readers per results folder: a lock held while a command uses the folder.

The lock is an advisory ``flock`` on ``.sim.lock`` in the folder. A command
that writes the folder (run, sweep, optimize, calibrate) holds it exclusively
and writes its PID and command into the file; a command that reads a finished
folder (report, compare, export, discover) holds it shared, so that several
may read at once but none reads while a run rewrites the tables. The
operating system releases the lock when the holder ends, however it ends
(SIGKILL included), so a stale lock never blocks a later command; a command
that finds the lock taken is refused at once with a message naming the
holder. The lock file is never opened through a symbolic link.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shlex
from pathlib import Path

from sim.errors import OutputError

LOCK_NAME = ".sim.lock"


class FolderLock:
    """``with FolderLock(out, command):`` holds the results folder ``out`` (created if missing).

    ``shared=True``: a reader's lock, taken only on a folder that exists; on a folder nobody may
    write (read-only media) the reader goes on without a lock, since no writer can come either.
    """

    def __init__(self, folder: Path, command: list[str], shared: bool = False) -> None:
        self.folder = folder
        self.path = folder / LOCK_NAME
        self.command = command
        self.shared = shared
        self.created = False  # the folder did not exist: acquire() made it
        self._fd: int | None = None

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        if not self.shared:
            try:
                self.created = not self.folder.exists()
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OutputError(f"cannot write to the results folder {self.folder}: {exc.strerror or exc}.") from None
        for _ in range(5):  # the holder may remove the file between our open and our lock: try again
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise OutputError(f"the lock file {self.path} is a symbolic link; the tool does not open it "
                                      "through a link. Remove the link, or choose another folder.") from None
                if self.shared and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                    return  # nobody can write here: nothing to lock against
                raise OutputError(f"cannot write to the results folder {self.folder}: {exc.strerror or exc}.") from None
            try:
                fcntl.flock(fd, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read(fd)
                os.close(fd)
                raise OutputError(self._busy(holder)) from None
            except OSError:  # a file system without locks: go on unlocked rather than refuse to run
                os.close(fd)
                return
            if _same_file(fd, self.path):
                if not self.shared:
                    os.ftruncate(fd, 0)
                    os.write(fd, f"PID {os.getpid()}: {shlex.join(self.command)}".encode())
                self._fd = fd
                return
            os.close(fd)
        raise OutputError(f"cannot lock the results folder {self.folder}; try again.")

    def _busy(self, holder: str) -> str:
        if self.shared:
            return (f"the results folder {self.folder} is being written by another command "
                    f"({holder or 'a running command'}); wait for it to finish, then read it.")
        who = f"another run ({holder})" if holder else "a command reading it (report, compare, export or discover)"
        return f"the results folder {self.folder} is in use by {who}; wait for it to finish, or choose another --out."

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        alone = True
        if self.shared:  # remove the file only if no other reader holds it (a writer takes it after us)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                alone = False
        if alone:
            try:
                self.path.unlink(missing_ok=True)  # still holding the lock: nobody else writes it meanwhile
            except OSError:
                pass
        os.close(fd)


def _read(fd: int) -> str:
    try:
        return os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _same_file(fd: int, path: Path) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)
