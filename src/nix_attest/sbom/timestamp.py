"""The SBOM's creation time, chosen so that the SBOM stays byte-deterministic.

Precedence: ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention), then the flake's
``lastModified`` (the locked commit's time; a ``path:`` flake's is a file mtime and is not used),
then the time of the commit checked out where the flake or Nix file lives (``git log -1``). With none
of these the SBOM has no timestamp rather than the wall-clock time, which would break determinism.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from ..errors import UsageError
from ..gitrepo import GitError, git
from ..nix.confine import flake_dir
from ..nix.flake import FlakeInfo
from ..nix.installable import Installable


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def source_date_epoch(raw: str | None) -> str | None:
    """``SOURCE_DATE_EPOCH`` (seconds since 1970) as ISO 8601 UTC, else none."""
    if not raw:
        return None
    try:
        return iso(int(raw))
    except (ValueError, OverflowError, OSError) as exc:
        raise UsageError(f"SOURCE_DATE_EPOCH must be seconds since 1970, got {raw!r}") from exc


def local_dir(installable: Installable) -> Path | None:
    """The local directory the installable's flake or Nix file is in (None for remote flakes)."""
    if installable.kind == "file" and installable.file:
        return Path(installable.file).resolve().parent
    directory = flake_dir(installable.flake_ref) if installable.flake_ref else None
    return directory.resolve() if directory and directory.is_dir() else None


def commit_time(directory: Path) -> int | None:
    """The committer time of ``HEAD`` in the git repository ``directory`` is in, if any."""
    try:
        out = git(["log", "-1", "--format=%ct", "HEAD"], directory)
    except (GitError, OSError):
        return None
    return int(out) if out.isdigit() else None


def document_timestamp(
    epoch: str | None, flake: FlakeInfo | None, installable: Installable
) -> tuple[str | None, str | None]:
    """(ISO 8601 time, where it came from) following the precedence above."""
    if epoch:
        return epoch, "SOURCE_DATE_EPOCH"
    if flake is not None and flake.last_modified:
        return iso(flake.last_modified), "flake"
    directory = local_dir(installable)
    seconds = commit_time(directory) if directory is not None else None
    if seconds is not None:
        return iso(seconds), "commit"
    return None, None
