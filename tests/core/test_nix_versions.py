"""Feature detection: against a current-Nix CLI (faked: CI only has Nix 2.8) nix-attest uses
`nix derivation show`, `drv^*` and the object-shaped path-info, and gets the same SBOM shape."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from nix_attest.nix.runner import Nix
from nix_attest.sbom.cyclonedx import dumps_sbom
from nix_attest.sbom.generate import generate, generate_sbom

from . import fake_nix


@pytest.fixture()
def current_nix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Nix, Path]:
    log = tmp_path / "calls.jsonl"
    log.write_text("")
    script = tmp_path / "nix"
    script.write_text(
        f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(Path(fake_nix.__file__).parent)!r})\n"
        "import fake_nix\nfake_nix.main(sys.argv[1:])\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("FAKE_NIX_LOG", str(log))
    (tmp_path / "default.nix").write_text("{}")
    return Nix(binary=str(script), quiet=True), log


def calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_current_nix_cli_is_detected_and_used(current_nix: tuple[Nix, Path], tmp_path: Path) -> None:
    nix, log = current_nix
    assert nix.version.number == "2.29.0" and nix.derivation_show == ["derivation", "show"]
    sbom = generate_sbom(None, file=str(tmp_path / "default.nix"), attr="app", nix=nix)
    made = calls(log)
    assert any(c[2:5] == ["derivation", "show", "--recursive"] for c in made)
    build = next(c for c in made if "build" in c)
    assert build[-1] == fake_nix.APP_DRV + "^*"
    assert not any("show-derivation" in c for c in made)
    # the runtime SBOM: object-shaped path-info with SRI hashes, v4 derivations with base names
    assert sbom.root.ref == fake_nix.APP and sbom.root.licenses[0].expression == "MIT"
    assert [c.ref for c in sbom.components] == [fake_nix.LIB]
    lib = sbom.components[0]
    assert (lib.name, lib.version, lib.outputs) == ("lib", "2.0", ("dev", "out"))
    assert lib.nar_sha256 == "10551daed7fa467d0b58826e7eb9a0f2af7d693de319f2ef775fffcda244b9f6"
    assert lib.hashes == ()  # not a file in the store here: only its NAR hash, stated as such
    assert sbom.dependencies[fake_nix.APP] == (fake_nix.LIB,)
    doc = json.loads(dumps_sbom(sbom))
    assert {t["name"]: t["version"] for t in doc["metadata"]["tools"]["components"]}["nix"] == "2.29.0"


def test_buildtime_graph_from_v4_json(current_nix: tuple[Nix, Path], tmp_path: Path) -> None:
    nix, _ = current_nix
    sbom = generate_sbom(None, file=str(tmp_path / "default.nix"), attr="app", build=False, nix=nix)
    by_name = {c.name: c for c in sbom.components}
    assert set(by_name) == {"lib", "src", "builder.sh"}
    src = by_name["src"]
    assert src.fixed_output is not None and src.fixed_output.method == "flat"
    assert src.fixed_output.urls == (
        "https://example.org/src-1.0.tar",
        "https://mirror.example.org/src-1.0.tar",
    )
    assert src.sha256 == "62096b6061d53553da498a0216e11d2215e12d4731d7db30c14bc7ed05ab2065"


def test_the_buildtime_sbom_beside_a_runtime_one(current_nix: tuple[Nix, Path], tmp_path: Path) -> None:
    """`with_buildtime`: the buildtime SBOM from the same evaluation is exactly the `--no-build` one, and
    the built outputs come back main output first."""
    nix, log = current_nix
    made = generate(None, file=str(tmp_path / "default.nix"), attr="app", with_buildtime=True, nix=nix)
    assert made.outputs == (fake_nix.APP,) and made.sbom.meta.closure == "runtime"
    assert made.buildtime is not None and made.buildtime.meta.reproducibility is None
    evaluations = [c for c in calls(log) if "--apply" in c or "derivation" in c]  # metadata, graph
    alone = generate_sbom(None, file=str(tmp_path / "default.nix"), attr="app", build=False, nix=nix)
    assert dumps_sbom(made.buildtime) == dumps_sbom(alone)
    assert len(evaluations) == 2  # one evaluation (metadata and graph) for both SBOMs
    assert generate(None, file=str(tmp_path / "default.nix"), attr="app", nix=nix).buildtime is None
