"""git, run as a subprocess: resolving refs and temporary worktrees (for the base side of a diff)."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from .childenv import child_env
from .errors import InputError, NixAttestError


class GitError(NixAttestError):
    """git is missing or a git command failed (exit 3)."""


def git(args: list[str], cwd: Path) -> str:
    """Run ``git ARGS`` in ``cwd``; return stdout (stripped) or raise :class:`GitError` with one line."""
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, env=child_env()
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc
    if proc.returncode != 0:
        detail = " ".join(proc.stderr.split())[:300]
        raise GitError(f"git {args[0]} failed: {detail}")
    return proc.stdout.strip()


def toplevel(cwd: Path) -> Path:
    """The root of the work tree ``cwd`` is in."""
    return Path(git(["rev-parse", "--show-toplevel"], cwd)).resolve()


def resolve_commit(ref: str, repo_dir: Path) -> str:
    """The commit ``ref`` names; tries ``origin/<ref>`` too (a PR's base branch in a CI checkout)."""
    if ref.startswith("-"):
        raise InputError(f"invalid git ref {ref!r}")
    for candidate in (ref, f"origin/{ref}"):
        try:
            return git(["rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"], repo_dir)
        except GitError:
            continue
    raise InputError(
        f"git ref {ref!r} not found in {repo_dir}",
        hint="fetch it first, e.g. actions/checkout with fetch-depth: 0",
    )


@contextmanager
def worktree(commit: str, repo_dir: Path) -> Iterator[Path]:
    """A detached worktree of ``commit``, removed afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="nix-attest-base-"))
    path = parent / "wt"
    git(["worktree", "add", "--detach", "--quiet", str(path), commit], repo_dir)
    try:
        yield path
    finally:
        with suppress(GitError):
            git(["worktree", "remove", "--force", str(path)], repo_dir)
        with suppress(GitError):
            git(["worktree", "prune"], repo_dir)
        with suppress(OSError):
            parent.rmdir()
