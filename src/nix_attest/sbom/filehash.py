"""SHA-256 and SHA-512 of a single-file store path: hashes anyone can check with ``sha256sum`` /
``sha512sum`` against the downloaded file (a NAR hash only matches ``nix-store --dump PATH``)."""

from __future__ import annotations

import hashlib
import os
import stat

from .model import Hash

MAX_BYTES = 4 << 30  # a larger file is not hashed (bounded time: built outputs are untrusted input)
_CHUNK = 1 << 20


def file_hashes(path: str) -> tuple[Hash, ...]:
    """(SHA-256, SHA-512) of ``path`` when it is a regular file (not a symlink) of at most
    :data:`MAX_BYTES`; empty for directories, symlinks, absent or unreadable paths."""
    try:
        with open(path, "rb", opener=lambda p, flags: os.open(p, flags | os.O_NOFOLLOW)) as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
                return ()
            sha256, sha512 = hashlib.sha256(), hashlib.sha512()
            while chunk := fh.read(_CHUNK):
                sha256.update(chunk)
                sha512.update(chunk)
    except OSError:
        return ()
    return Hash("SHA-256", sha256.hexdigest()), Hash("SHA-512", sha512.hexdigest())
