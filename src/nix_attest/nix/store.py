"""The NAR hash of a store path, recomputed from its contents (what verification compares against).

Nix records a path's NAR hash in its database (``nix path-info``); to verify an attestation the
contents themselves are serialised (``nix-store --dump``) and hashed, so a tampered store path does
not pass on the strength of its own database entry."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from ..childenv import child_env
from ..errors import InvalidStorePath, NixError, NixNotFound

_CHUNK = 1 << 20


def check_store_path(store_path: str, *, nix_store: str = "nix-store") -> str:
    """The ``nix-store`` executable, once Nix is there and ``store_path`` exists locally (else one-line
    errors: Nix missing, exit 3; path missing, exit 2) — cheap, so callers check before any network."""
    exe = shutil.which(nix_store)
    if exe is None:
        raise NixNotFound(f"{nix_store} not found on PATH: verifying a store path needs Nix")
    if not Path(store_path).exists():
        raise InvalidStorePath(f"store path {store_path} does not exist in the local store")
    return exe


def nar_sha256_hex(store_path: str, *, nix_store: str = "nix-store") -> str:
    """Hex sha256 of ``nix-store --dump PATH`` (the NAR), streamed; needs Nix only for store paths."""
    exe = check_store_path(store_path, nix_store=nix_store)
    digest = hashlib.sha256()
    with subprocess.Popen(
        [exe, "--dump", store_path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env()
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        while chunk := proc.stdout.read(_CHUNK):
            digest.update(chunk)
        err = proc.stderr.read().decode("utf-8", "replace").strip()
        code = proc.wait()
    if code != 0:
        last = err.splitlines()[-1] if err else f"exit status {code}"
        raise NixError(f"nix-store --dump {store_path} failed: {last}")
    return digest.hexdigest()
