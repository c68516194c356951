"""Fixtures for the core tests: small flakes and .nix files built with real Nix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "demo"
NIX = ["nix", "--extra-experimental-features", "nix-command flakes"]


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
