"""The base side of a supply-chain diff: an SBOM file, or the installable evaluated at a git ref.

For a git ref, a temporary ``git worktree`` is checked out at the base commit and the installable is
evaluated there (no build): the result is a buildtime SBOM, compared with a buildtime SBOM of the head.
Local flake references (``.#pkg``, ``./dir#pkg``, ``path:.#pkg``) and ``-f FILE`` paths are rewritten to
point into the worktree; remote references are evaluated as they are.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path

from ..errors import InputError, NixAttestError
from ..nix.runner import Nix
from .model import Sbom


class GitError(NixAttestError):
    """git is missing or a git command failed (exit 3)."""


def _git(args: list[str], cwd: Path) -> str:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc
    if proc.returncode != 0:
        detail = " ".join(proc.stderr.split())[:300]
        raise GitError(f"git {args[0]} failed: {detail}")
    return proc.stdout.strip()


def resolve_commit(ref: str, repo_dir: Path) -> str:
    """The commit ``ref`` names; tries ``origin/<ref>`` too (a PR's base branch in a CI checkout)."""
    if ref.startswith("-"):
        raise InputError(f"invalid git ref {ref!r}")
    for candidate in (ref, f"origin/{ref}"):
        try:
            return _git(["rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"], repo_dir)
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
    _git(["worktree", "add", "--detach", "--quiet", str(path), commit], repo_dir)
    try:
        yield path
    finally:
        with suppress(GitError):
            _git(["worktree", "remove", "--force", str(path)], repo_dir)
        with suppress(GitError):
            _git(["worktree", "prune"], repo_dir)
        with suppress(OSError):
            parent.rmdir()


def rebase_installable(installable: str, cwd: Path, toplevel: Path, tree: Path) -> str:
    """``installable`` as seen from the worktree (local references only)."""
    prefix = ""
    text = installable
    if text.startswith("path:"):
        prefix, text = "path:", text[len("path:") :]
    ref, sep, attr = text.partition("#")
    if not (ref == "" or ref.startswith((".", "/"))):
        return installable  # a remote or registry reference: the same at every commit
    location = (cwd / (ref or ".")).resolve()
    try:
        relative = location.relative_to(toplevel)
    except ValueError:
        return installable  # outside the repository
    return f"{prefix}{tree / relative}{sep}{attr}"


def base_sbom_from_git(
    ref: str,
    installable: str | None,
    *,
    repo_dir: str | os.PathLike[str] = ".",
    file: str | None = None,
    attr: str | None = None,
    nix: Nix | None = None,
) -> Sbom:
    """Evaluate the installable at ``ref`` (no build) and return its buildtime SBOM."""
    from .generate import generate_sbom

    cwd = Path(repo_dir).resolve()
    toplevel = Path(_git(["rev-parse", "--show-toplevel"], cwd)).resolve()
    commit = resolve_commit(ref, cwd)
    with worktree(commit, toplevel) as tree:
        base_file = None
        if file is not None:
            try:
                base_file = str(tree / (cwd / file).resolve().relative_to(toplevel))
            except ValueError:
                base_file = str((cwd / file).resolve())  # outside the repository: the same file
        target = rebase_installable(installable, cwd, toplevel, tree) if installable else installable
        sbom = generate_sbom(
            target,
            file=base_file,
            attr=attr,
            closure="buildtime",
            build=False,
            quiet=True,
            nix=nix or Nix(quiet=True),
        )
    label = f"{installable or file}@{ref}"
    return replace(sbom, meta=replace(sbom.meta, installable=label), _by_ref={})


def load_base_sbom(path: str | os.PathLike[str]) -> Sbom:
    """A base SBOM file (CycloneDX JSON written by nix-attest)."""
    from .read import load_sbom

    return load_sbom(str(path))
