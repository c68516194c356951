"""The base side of a supply-chain diff: an SBOM file, or the installable evaluated at a git ref.

For a git ref, a temporary ``git worktree`` is checked out at the base commit and the installable is
evaluated there (no build): the result is a buildtime SBOM, compared with a buildtime SBOM of the head.
Local flake references (``.#pkg``, ``./dir#pkg``, ``path:.#pkg``) and ``-f FILE`` paths are rewritten to
point into the worktree; remote references are evaluated as they are.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from ..gitrepo import resolve_commit, toplevel, worktree
from ..nix.runner import Nix
from .model import Sbom


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
    top = toplevel(cwd)
    commit = resolve_commit(ref, cwd)
    with worktree(commit, top) as tree:
        base_file = None
        if file is not None:
            try:
                base_file = str(tree / (cwd / file).resolve().relative_to(top))
            except ValueError:
                base_file = str((cwd / file).resolve())  # outside the repository: the same file
        target = rebase_installable(installable, cwd, top, tree) if installable else installable
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
    return replace(sbom, meta=replace(sbom.meta, installable=label))
