"""Digests of what gets attested: plain files (sha256). Store paths: ``nix.store.nar_sha256_hex``."""

from __future__ import annotations

import hashlib
import os

from ..errors import InputError

_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes; InputError naming the file when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest()
