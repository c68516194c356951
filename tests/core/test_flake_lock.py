"""The SBOM records the flake as Nix locked it: git rev, narHash, and locked inputs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers.gitrepo import git

from nix_attest.cli import main

pytestmark = pytest.mark.nix

DEP = """{
  outputs = { self }: { lib.greeting = "hi from dep"; };
}
"""

TOP = """{
  inputs.dep.url = "path:DEP_DIR";
  outputs = { self, dep }: {
    packages.x86_64-linux.default = derivation {
      name = "uses-input-1.0"; system = "x86_64-linux"; builder = "/bin/sh";
      args = [ "-c" "echo ${dep.lib.greeting} > $out" ];
    };
    packages.aarch64-linux.default = self.packages.x86_64-linux.default;
  };
}
"""


def test_git_flake_with_input_records_locks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dep = tmp_path / "dep"
    dep.mkdir()
    (dep / "flake.nix").write_text(DEP)
    top = tmp_path / "top"
    top.mkdir()
    (top / "flake.nix").write_text(TOP.replace("DEP_DIR", str(dep)))
    git(top, "init", "-q")
    git(top, "add", "flake.nix")
    subprocess.run(
        ["nix", "--extra-experimental-features", "nix-command flakes", "flake", "lock", str(top)],
        check=True,
        capture_output=True,
    )
    git(top, "add", "flake.lock")
    git(top, "commit", "-q", "-m", "init")
    rev = git(top, "rev-parse", "HEAD")
    out = tmp_path / "sbom.json"
    monkeypatch.setenv("NIX_ATTEST_ALLOWED_PATHS", str(dep))  # a local input outside the repository
    assert main(["sbom", f"git+file://{top}#default", "--no-build", "-o", str(out), "--quiet"]) == 0
    props: dict[str, list[str]] = {}
    for p in json.loads(out.read_text())["metadata"]["properties"]:
        props.setdefault(p["name"], []).append(p["value"])
    assert props["nix-attest:flake:rev"] == [rev]
    assert rev in props["nix-attest:flake:locked_url"][0]
    assert props["nix-attest:flake:nar_hash"][0].startswith("sha256-")
    (inp,) = (json.loads(x) for x in props["nix-attest:flake:input"])
    assert inp["name"] == "dep" and inp["narHash"].startswith("sha256-")
