"""`nix-attest sign` does its local work before it talks to Sigstore: a missing SBOM or an unwritable
output directory is reported (exit 2) without a certificate or a transparency-log entry being made."""

from __future__ import annotations

from pathlib import Path

import pytest
from sigstore_stack import SigstoreStack

from nix_attest.cli import main


def _sign(sbom: Path, out: Path, stack: SigstoreStack, config: Path) -> int:
    return main(["sign", "--sbom", str(sbom), "--provenance", "-o", str(out),
                 "--identity-token", stack.token(), "--trust-config", str(config)])  # fmt: skip


def test_missing_sbom_is_reported_before_any_network(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    # the default (public-good) trust root would need the network: it must not be reached at all
    code = main(["sign", "--sbom", str(tmp_path / "nope.json"), "-o", str(tmp_path / "out"),
                 "--identity-token", "x.y.z"])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 2 and "cannot read SBOM" in err and len(err.splitlines()) == 1


def test_unwritable_output_fails_before_signing(
    tmp_path: Path,
    sbom_file: Path,
    stack: SigstoreStack,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    entries = len(stack.log.leaves)
    code = _sign(sbom_file, blocker / "out", stack, trust_files["config"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "cannot create" in err
    assert len(stack.log.leaves) == entries  # nothing was logged


def test_bundles_are_written_together(
    tmp_path: Path, sbom_file: Path, stack: SigstoreStack, trust_files: dict[str, Path]
) -> None:
    out = tmp_path / "out"
    assert _sign(sbom_file, out, stack, trust_files["config"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["provenance.sigstore.json", "sbom.sigstore.json"]
