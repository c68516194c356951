"""Run git in a test repository with a fixed identity."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(cwd: Path, *args: str) -> str:
    """``git ARGS`` in ``cwd`` (committer t@example.org); stdout stripped; raises on failure."""
    return subprocess.run(
        ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


DEMO_FLAKE = Path(__file__).resolve().parents[2] / "examples" / "demo" / "flake.nix"


def demo_pull_request(demo: Path, policy: str) -> str:
    """The demo flake as a pull request in a new repository at ``demo``: a base commit (libgreet
    1.2.0), then the head (libgreet 1.3.0 and ``policy.yaml`` with ``policy``). Returns the base commit."""
    demo.mkdir(parents=True)
    flake = DEMO_FLAKE.read_text()
    assert 'version = "1.2.0";' in flake
    (demo / "flake.nix").write_text(flake)
    git(demo, "init", "-q", "-b", "main")
    git(demo, "add", "flake.nix")
    git(demo, "commit", "-q", "-m", "base")
    base = git(demo, "rev-parse", "HEAD")
    (demo / "flake.nix").write_text(flake.replace('version = "1.2.0";', 'version = "1.3.0";'))
    (demo / "policy.yaml").write_text(policy)
    git(demo, "add", "flake.nix", "policy.yaml")
    git(demo, "commit", "-q", "-m", "head")
    return base
