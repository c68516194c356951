"""Derivations whose inputs are local files (``./file``, ``src = ./dir``): Nix copies them into the store
as input sources. The buildtime SBOM lists each as a component and as a dependency of exactly the
derivations that use it, as `nix-store -q --references` of each .drv says."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from nix_attest.cli import main

from .test_sbom_nix import props, store_query

pytestmark = pytest.mark.nix

FLAKE = """{
  outputs = { self }:
    let
      system = "%s";
      lib = derivation {
        name = "srclib-1.0"; inherit system; builder = "/bin/sh";
        args = [ "-c" "read -r x < ${./lib.txt}; echo $x > $out" ];
      };
      app = derivation {
        name = "srcapp-2.0"; inherit system; builder = "/bin/sh";
        src = ./app;
        args = [ "-c" "read -r x < $src/main.txt; echo $x ${lib} > $out" ];
      };
    in { packages.${system}.default = app; };
}
"""


def test_buildtime_sbom_lists_input_sources_like_nix(tmp_path: Path) -> None:
    system = subprocess.run(
        ["nix", "--extra-experimental-features", "nix-command", "eval", "--impure", "--raw", "--expr",
         "builtins.currentSystem"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    flake = tmp_path / "flake"
    (flake / "app").mkdir(parents=True)
    (flake / "flake.nix").write_text(FLAKE % system)
    (flake / "lib.txt").write_text("library source\n")
    (flake / "app" / "main.txt").write_text("application source\n")
    out = tmp_path / "sbom.json"
    assert main(["sbom", f"path:{flake}#default", "--no-build", "--quiet", "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    root_drv = props(doc["metadata"]["component"])["nix-attest:drv_path"][0]
    drvs = [p for p in store_query("--requisites", root_drv) if p.endswith(".drv")]
    sources = sorted({i for d in drvs for i in store_query("--references", d) if not i.endswith(".drv")})
    assert len(sources) == 2 and any(s.endswith("-lib.txt") for s in sources)  # the fixture has its sources
    refs = {c["bom-ref"] for c in doc["components"]}
    assert set(sources) <= refs  # every input source is a component
    deps = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    for drv in drvs:
        output = store_query("--outputs", drv)[0]
        expected = {
            store_query("--outputs", i)[0] if i.endswith(".drv") else i
            for i in store_query("--references", drv)
        }
        assert deps[output] == sorted(expected), drv
