"""One writer per results folder: a lock held while a run, sweep or calibration writes there.

The lock is an advisory ``flock`` on ``.sim.lock`` in the folder, which holds
the PID and command of the holder. The operating system releases it when the
holder ends, however it ends (SIGKILL included), so a stale lock never blocks
a later run. A second command into the same folder is refused at once with a
message naming the first's PID and command.
"""

from __future__ import annotations

import fcntl
import os
import shlex
from pathlib import Path

from sim.errors import OutputError

LOCK_NAME = ".sim.lock"


class FolderLock:
    """``with FolderLock(out, command):`` holds the results folder ``out`` (created if missing)."""

    def __init__(self, folder: Path, command: list[str]) -> None:
        self.folder = folder
        self.path = folder / LOCK_NAME
        self.command = command
        self._fd: int | None = None

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot write to the results folder {self.folder}: {exc.strerror or exc}.") from None
        for _ in range(5):  # the holder may remove the file between our open and our lock: try again
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError as exc:
                raise OutputError(f"cannot write to the results folder {self.folder}: {exc.strerror or exc}.") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read(fd)
                os.close(fd)
                raise OutputError(
                    f"the results folder {self.folder} is in use by another run ({holder or 'a running command'}); "
                    "wait for it to finish, or choose another --out.") from None
            except OSError:  # a file system without locks: go on unlocked rather than refuse to run
                os.close(fd)
                return
            if _same_file(fd, self.path):
                os.ftruncate(fd, 0)
                os.write(fd, f"PID {os.getpid()}: {shlex.join(self.command)}".encode())
                self._fd = fd
                return
            os.close(fd)
        raise OutputError(f"cannot lock the results folder {self.folder}; try again.")

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)  # still holding the lock: nobody else writes it meanwhile
        except OSError:
            pass
        os.close(self._fd)
        self._fd = None


def _read(fd: int) -> str:
    try:
        return os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _same_file(fd: int, path: Path) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)
