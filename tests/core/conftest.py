"""Fixtures for the core tests: small flakes and .nix files built with real Nix."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "demo"
NIX = ["nix", "--extra-experimental-features", "nix-command flakes"]
SUPPLIED = REPO / "tests" / "data" / "flakes" / "supplied"
COMMIT_DATE = "2024-03-01T12:00:00Z"  # the fixture repository's commit time (its flake's lastModified)


@pytest.fixture
def supplied_flake(supplied_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app of :func:`supplied_repo`; its input, a sibling directory outside the repository, is
    allowed explicitly (nix-attest refuses local inputs outside the repository otherwise)."""
    monkeypatch.setenv("NIX_ATTEST_ALLOWED_PATHS", str(supplied_repo.parent / "pkgs"))
    return supplied_repo


@pytest.fixture(scope="session")
def supplied_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository flake (committed at COMMIT_DATE) with its own packages and one input, a package
    collection whose mkPackage records meta.position. Returns the app's directory."""
    d = tmp_path_factory.mktemp("supplied")
    pkgs, app = d / "pkgs", d / "app"
    pkgs.mkdir()
    app.mkdir()
    shutil.copy(SUPPLIED / "pkgs" / "flake.nix", pkgs / "flake.nix")
    text = (SUPPLIED / "app" / "flake.nix").read_text().replace("@PKGS@", f"path:{pkgs}")
    (app / "flake.nix").write_text(text)
    env = {**os.environ, "GIT_COMMITTER_DATE": COMMIT_DATE, "GIT_AUTHOR_DATE": COMMIT_DATE}

    def git(*args: str) -> None:
        cmd = ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args]
        subprocess.run(cmd, cwd=app, env=env, check=True, capture_output=True)

    git("init", "-q")
    git("add", "flake.nix")  # a git flake sees tracked files only
    subprocess.run(
        [*NIX, "flake", "lock", "--option", "substituters", ""], cwd=app, check=True, capture_output=True
    )
    git("add", "flake.nix", "flake.lock")
    git("commit", "-q", "-m", "fixture")
    return app


@pytest.fixture(scope="session")
def demo_flake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo flake outside the git checkout (so `path:` refs work untracked)."""
    d = tmp_path_factory.mktemp("demo")
    shutil.copy(DEMO / "flake.nix", d / "flake.nix")
    return d


LEGACY = r"""
let
  system = builtins.currentSystem;
  mk = name: extra: (derivation ({ inherit name system; builder = "/bin/sh"; } // extra));
in rec {
  dep = mk "dep-lib-2.1" { args = [ "-c" "echo dep > $out" ]; };
  app = (mk "legacy-app-0.5" { args = [ "-c" "echo uses ${dep} > $out" ]; buildInputs = [ dep ]; })
        // { meta = { license = { spdxId = "BSD-2-Clause"; }; homepage = "https://example.org/legacy"; }; };
  broken = mk "broken-1.0" { args = [ "-c" "exit 3" ]; };
  impure = mk "impure-1.0" { args = [ "-c" "echo $$ > $out" ]; };
  pure = mk "pure-1.0" { args = [ "-c" "echo same > $out" ]; };
  evalError = throw "deliberate evaluation failure";
  notADrv = { a = 1; };
}
"""


@pytest.fixture(scope="session")
def legacy_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("legacy")
    f = d / "default.nix"
    f.write_text(LEGACY)
    return f
