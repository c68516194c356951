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
    code = main(
        [
            "run",
            f"path:{flake}#default",
            "--sign",
            "--trust-config",
            str(trust_files["config"]),
            "--comment",
            "never",
            "-o",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    sbom = out / "sbom.cdx.json"
    root = json.loads(sbom.read_text())["metadata"]["component"]["bom-ref"]
    for name in ("sbom", "provenance"):
        bundle = out / f"{name}.sigstore.json"
        assert bundle.is_file()
        assert (
            main(
                [
                    "verify",
                    str(bundle),
                    "--store-path",
                    root,
                    "--repository",
                    "octo/widgets",
                    "--trust-root",
                    str(trust_files["root"]),
                ]
            )
            == 0
        )
    assert (
        main(
            [
                "verify",
                str(out / "sbom.sigstore.json"),
                "--sbom",
                str(sbom),
                "--repository",
                "octo/widgets",
                "--trust-root",
                str(trust_files["root"]),
            ]
        )
        == 0
    )
    # the wrong repository is refused
    assert (
        main(
            [
                "verify",
                str(out / "sbom.sigstore.json"),
                "--sbom",
                str(sbom),
                "--repository",
                "evil/widgets",
                "--trust-root",
                str(trust_files["root"]),
            ]
        )
        == 1
    )
    assert "Rekor" in (out / "report.md").read_text() or "rekor" in (out / "report.md").read_text().lower()
