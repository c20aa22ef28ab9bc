"""Writing a file whole, without following or replacing what is not ours.

Every file the tool writes goes through :func:`replace_atomically`:

1. the target must be absent or a regular file we may write: a symbolic link, a device node
   (``--output /dev/null`` as root used to replace the null device), a FIFO, a socket or a
   directory at the target is refused with :class:`~sim.errors.OutputError` and left as it is;
2. the content is written to a file created with ``O_EXCL | O_NOFOLLOW`` in a private directory
   (``mkdtemp``, mode 0700) made beside the target, so that no other user can plant a link
   where it is written, and a rename puts it in place on the same file system;
3. the rename replaces the target in one step: no reader ever sees half a file.

A kill between 2 and 3 leaves the private directory (``.NAME.XXXXXXXX.tmp``), which
:func:`remove_leftovers` recognises by its name and removes.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from sim.errors import OutputError

# mkdtemp's (and formerly mkstemp's) names: ".<target name>.<8 random characters>.tmp"
LEFTOVER = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"))


def _file_mode() -> int:
    """The permissions a new file gets under the user's umask (mkstemp alone would make it -rw-------)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


FILE_MODE = _file_mode()


def check_replaceable(path: Path) -> None:
    """OutputError unless ``path`` is absent or a regular file we may write (never a link, device or folder)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        if exc.errno == errno.ENOTDIR:  # a path through a file: the write itself says so
            return
        raise
    if stat.S_ISLNK(info.st_mode):
        raise OutputError(f"{path} is a symbolic link; the tool never writes through a link nor replaces one. "
                          "Give the path of a regular file (or of one that does not exist yet).")
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "a special file")
        raise OutputError(f"{path} is not a regular file ({kind}); the tool only replaces regular files. "
                          "Give the path of a regular file (or of one that does not exist yet).")
    if not os.access(path, os.W_OK):
        raise OutputError(f"{path} is read-only; the tool does not replace a file it may not write.")


def create_private(folder: Path, name: str) -> Path:
    """A new empty file ``name`` (mode 0600) in a new private directory (mode 0700) inside ``folder``."""
    private = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=folder))
    path = private / name
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600))
    except BaseException:
        private.rmdir()
        raise
    return path


def replace_atomically(path: Path, write: Callable[[Path], object],
                       before_rename: Callable[[Path, Path], None] | None = None) -> None:
    """Call ``write(tmp)`` on a private file, then rename it to ``path``; nothing is left on failure.

    ``before_rename(path, tmp)`` runs once the content is complete, before the rename (the
    results folder's record notes the file there, so that it lists every file that may exist).
    """
    check_replaceable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = create_private(path.parent, path.name)
    try:
        write(tmp)
        os.chmod(tmp, FILE_MODE)
        if before_rename is not None:
            before_rename(path, tmp)
        check_replaceable(path)  # again: the target may have changed while the content was written
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        tmp.parent.rmdir()


def remove_leftovers(folder: Path) -> None:
    """Remove what a kill in the middle of :func:`replace_atomically` left in ``folder``."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        if not LEFTOVER.fullmatch(entry.name):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
