"""Atomic file output: a temp file in the target directory, fsync, rename. Nothing half-written.

Only regular files and new paths are replaced that way. A character device or a FIFO (``-o /dev/null``,
``-o /dev/stdout``, a named pipe, bash's ``>(...)``) is written through, never replaced: renaming a
regular file over ``/dev/null`` as root deletes the device for the whole machine. A symbolic link is
written through when it leads to such a file, or into ``/dev`` or ``/proc``, or lives there; any other
link is refused rather than followed (in a pull request's workspace it could point anywhere) or
replaced.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import tempfile
from pathlib import Path

from .errors import OutputError

_SPECIAL_DIRS = ("/dev/", "/proc/")


def write_atomic(path: str | os.PathLike[str], data: str | bytes, *, mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` atomically; raise :class:`OutputError` naming the path on failure.
    The file keeps the mode of the file it replaces (0644 for a new file) unless ``mode`` is given."""
    target = Path(path)
    payload = data.encode() if isinstance(data, str) else data  # str.encode: UTF-8
    try:
        info: os.stat_result | None = os.lstat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    if info is not None and not stat.S_ISREG(info.st_mode):
        _write_special(target, info, payload)
        return target
    if mode is None:
        mode = stat.S_IMODE(info.st_mode) if info is not None else 0o644
    directory = target.parent  # "." for a bare file name
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return target


def _write_special(target: Path, info: os.stat_result, payload: bytes) -> None:
    """Write through a character device, a FIFO, or a link to one; refuse everything else."""
    kind = info.st_mode
    if stat.S_ISLNK(kind):
        try:
            kind = os.stat(target).st_mode
        except OSError:
            kind = 0
        in_special_dir = any(
            p.startswith(_SPECIAL_DIRS) for p in (os.path.abspath(target), os.path.realpath(target))
        )
        if not (stat.S_ISCHR(kind) or stat.S_ISFIFO(kind) or in_special_dir):
            raise OutputError(
                f"cannot write {target}: it is a symbolic link (to {os.readlink(target)}); give the real path"
            )
    elif stat.S_ISDIR(kind):
        raise OutputError(f"cannot write {target}: it is a directory")
    elif not (stat.S_ISCHR(kind) or stat.S_ISFIFO(kind)):
        raise OutputError(f"cannot write {target}: not a regular file, character device or pipe")
    fifo = stat.S_ISFIFO(kind)
    try:
        # a FIFO nobody reads would block open() for ever: open without blocking, then block for writes
        fd = os.open(target, os.O_WRONLY | os.O_TRUNC * (not fifo) | os.O_NONBLOCK * fifo | os.O_CLOEXEC)
    except OSError as exc:
        if fifo and exc.errno == errno.ENXIO:
            raise OutputError(f"cannot write {target}: nothing is reading from this pipe") from exc
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    try:
        if fifo:
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
