"""Downstream consumers may not have Nix: verifying an SBOM or a file must not need it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sigstore_stack import SigstoreStack

from nix_attest.cli import main


def test_verify_sbom_and_file_without_nix(
    tmp_path: Path,
    sbom_file: Path,
    stack: SigstoreStack,
    trust_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    release = tmp_path / "release.tar.gz"
    release.write_bytes(b"release bytes")
    out = tmp_path / "out"
    assert (
        main(
            [
                "sign",
                "--sbom",
                str(sbom_file),
                "--subject-file",
                str(release),
                "-o",
                str(out),
                "--identity-token",
                stack.token(),
                "--trust-config",
                str(trust_files["config"]),
            ]
        )
        == 0
    )
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no nix, no nix-store
    common = ["--repository", "octo/widgets", "--trust-root", str(trust_files["root"])]
    bundle = str(out / "sbom.sigstore.json")
    assert main(["verify", bundle, "--sbom", str(sbom_file), *common]) == 0
    assert main(["verify", bundle, "--file", str(release), *common]) == 0
    capsys.readouterr()
    # a store path does need Nix: that is said in one line, exit 3
    code = main(["verify", bundle, "--store-path", "/nix/store/00000000000000000000000000000000-x", *common])
    err = capsys.readouterr().err.strip()
    assert code == 3 and "nix" in err and len(err.splitlines()) == 1, err
