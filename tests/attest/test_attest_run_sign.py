"""`nix-attest run --sign`: the pipeline builds the demo with real Nix, signs the SBOM and the SLSA
provenance against the local Sigstore stack, and the bundles verify downstream."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sigstore_stack import SigstoreStack

from nix_attest.cli import main

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo" / "flake.nix"


@pytest.mark.nix
def test_run_signs_sbom_and_provenance(
    tmp_path: Path,
    stack: SigstoreStack,
    trust_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for var in (
        "GITHUB_ACTIONS",
        "GITHUB_EVENT_PATH",
        "GITHUB_BASE_REF",
        "GITHUB_REPOSITORY",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_OUTPUT",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SIGSTORE_ID_TOKEN", stack.token())
    flake = tmp_path / "demo"
    flake.mkdir()
    shutil.copy(DEMO, flake / "flake.nix")
    out = tmp_path / "out"
    run = ["run", f"path:{flake}#default", "--sign", "--trust-config", str(trust_files["config"])]
    assert main([*run, "--comment", "never", "-o", str(out)]) == 0, capsys.readouterr().err
    sbom = out / "sbom.cdx.json"
    root = json.loads(sbom.read_text())["metadata"]["component"]["bom-ref"]

    def verify(bundle: Path, *target: str, repository: str = "octo/widgets") -> int:
        trust = ["--trust-root", str(trust_files["root"])]
        return main(["verify", str(bundle), *target, "--repository", repository, *trust])

    for name in ("sbom", "provenance"):
        bundle = out / f"{name}.sigstore.json"
        assert bundle.is_file()
        assert verify(bundle, "--store-path", root) == 0
    assert verify(out / "sbom.sigstore.json", "--sbom", str(sbom)) == 0
    assert verify(out / "sbom.sigstore.json", "--sbom", str(sbom), repository="evil/widgets") == 1
    assert "rekor" in (out / "report.md").read_text().lower()
