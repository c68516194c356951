"""sigstore-conformance's public bundle vectors (Sigstore **production**, bundle v0.1, GitHub Actions
identity), verified offline through the CLI against the pinned production trusted root.

The v0.1 bundles carry an inclusion proof without a checkpoint next to an inclusion promise (SET):
nix-attest verifies their log entry by the SET and recomputes the proof's Merkle path (legacy_bundle.py).
The vectors are stored unchanged in tests/data/sigstore-vectors/conformance (see its README).
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from nix_attest.attest.legacy_bundle import needs_promise_verification
from nix_attest.attest.model import IdentityPolicy, VerifyTarget
from nix_attest.attest.trust import verification_root
from nix_attest.attest.verify import verify_attestation
from nix_attest.cli import main

VECTORS = Path(__file__).resolve().parents[1] / "data" / "sigstore-vectors"
CONFORMANCE = VECTORS / "conformance"
ROOT = VECTORS / "production_trusted_root.json"
ARTIFACT = CONFORMANCE / "a.txt"
HAPPY = CONFORMANCE / "a.txt.sigstore"
DIGEST = "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"
# what sigstore-conformance passes as --certificate-identity / --certificate-oidc-issuer (its defaults)
IDENTITY = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
ISSUER = "https://token.actions.githubusercontent.com"
SET_CHECK = "verified by its signed entry timestamp (SET), no checkpointed inclusion proof"


def _cli(
    bundle: Path, artifact: Path = ARTIFACT, identity: str = IDENTITY, issuer: str = ISSUER, root: Path = ROOT
) -> int:
    return main(
        [
            "verify", str(bundle), "--file", str(artifact), "--cert-identity", identity,
            "--cert-oidc-issuer", issuer, "--trust-root", str(root),
        ]
    )  # fmt: skip


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1, captured.err
    return captured.err


def _write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "bundle.sigstore.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _happy_doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(HAPPY.read_text(encoding="utf-8"))
    return doc


def test_vectors_are_the_ones_described() -> None:
    assert hashlib.sha256(ARTIFACT.read_bytes()).hexdigest() == DIGEST
    for path in CONFORMANCE.glob("*.sigstore"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert doc["mediaType"] == "application/vnd.dev.sigstore.bundle+json;version=0.1", path
        entry = doc["verificationMaterial"]["tlogEntries"][0]
        assert "checkpoint" not in entry["inclusionProof"] and entry["inclusionPromise"], path
        assert needs_promise_verification(doc)


def test_happy_path_verifies_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(HAPPY) == 0
    out = capsys.readouterr().out
    assert f"signer: {IDENTITY} (issuer {ISSUER})" in out
    assert "ok: bundle 0.1" in out
    assert f"ok: transparency log entry (log index 23891210) {SET_CHECK}" in out
    assert f"ok: signed artifact is {ARTIFACT} (sha256) {DIGEST}" in out


def test_happy_path_verifies_through_the_api() -> None:
    result = verify_attestation(
        HAPPY,
        VerifyTarget(file_path=str(ARTIFACT)),
        IdentityPolicy(issuer=ISSUER, identity=IDENTITY),
        verification_root(str(ROOT)),
    )
    assert result.identity == IDENTITY and result.issuer == ISSUER
    assert result.log_index == 23891210
    assert [(s.name, s.sha256) for s in result.subjects] == [("a.txt", DIGEST)]
    assert any(SET_CHECK in check for check in result.checks)
    assert not any(check.startswith("transparency log inclusion") for check in result.checks)


@pytest.mark.parametrize(
    ("vector", "message"),
    [
        # the bundle's messageDigest is not a.txt's: sigstore-python says "Bundle message digest mismatch";
        # nix-attest names the subject, since the bundle does not sign the given file's digest
        (
            "a.txt.invalid_digest.sigstore",
            f"subject check failed: {ARTIFACT} (sha256) {DIGEST} is not the signed artifact",
        ),
        ("a.txt.invalid_signature.sigstore", "signature check failed: Signature is invalid for input"),
        (
            "a.txt.invalid_set.sigstore",
            "transparency log check failed: invalid log entry: SET: invalid inclusion promise",
        ),
        # its SET is valid: only recomputing the proof's Merkle path rejects it (dropping the proof would not)
        (
            "a.txt.invalid_inclusion_proof.sigstore",
            "transparency log check failed: invalid log entry: inclusion proof contains invalid root hash",
        ),
    ],
    ids=["invalid-digest", "invalid-signature", "invalid-set", "invalid-inclusion-proof"],
)
def test_fail_vector_exits_1_naming_the_check(
    vector: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(CONFORMANCE / vector) == 1
    assert _one_error_line(capsys).startswith(f"nix-attest: error: {message}")


@pytest.mark.parametrize(
    ("identity", "issuer", "message"),
    [
        (
            "https://github.com/octo/widgets/.github/workflows/release.yml@refs/heads/main",
            ISSUER,
            f"identity check failed: certificate identity is {IDENTITY}, expected "
            "https://github.com/octo/widgets/.github/workflows/release.yml@refs/heads/main",
        ),
        (IDENTITY, "https://accounts.google.com", "identity check failed:"),
    ],
    ids=["identity", "issuer"],
)
def test_wrong_identity_fails(
    identity: str, issuer: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(HAPPY, identity=identity, issuer=issuer) == 1
    err = _one_error_line(capsys)
    assert err.startswith(f"nix-attest: error: {message}")
    if issuer != ISSUER:
        assert "issuer" in err.lower() and issuer in err


def test_wrong_artifact_fails_the_subject_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "a.txt"
    other.write_bytes(ARTIFACT.read_bytes() + b"!")
    assert _cli(HAPPY, other) == 1
    assert _one_error_line(capsys).startswith("nix-attest: error: subject check failed:")


def test_production_vector_fails_against_the_staging_root(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(HAPPY, root=VECTORS / "staging_trusted_root.json") == 1
    assert _one_error_line(capsys).startswith("nix-attest: error: certificate check failed:")


def _flip_b64(value: str, index: int) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def test_changed_set_fails_so_the_set_is_really_verified(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _happy_doc()
    promise = doc["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]
    promise["signedEntryTimestamp"] = _flip_b64(promise["signedEntryTimestamp"], -3)
    assert _cli(_write(tmp_path, doc)) == 1
    err = _one_error_line(capsys)
    assert err.startswith("nix-attest: error: transparency log check failed:") and "SET" in err


@pytest.mark.parametrize(
    ("field", "value"),
    [("integratedTime", "1686853274"), ("logIndex", "23891211")],
)
def test_changed_entry_fields_covered_by_the_set_fail(
    field: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _happy_doc()
    doc["verificationMaterial"]["tlogEntries"][0][field] = value
    assert _cli(_write(tmp_path, doc)) == 1
    assert _one_error_line(capsys).startswith("nix-attest: error: transparency log check failed:")


def test_changed_proof_hash_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _happy_doc()
    hashes = doc["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"]
    hashes[0] = _flip_b64(hashes[0], 0)
    assert _cli(_write(tmp_path, doc)) == 1
    err = _one_error_line(capsys)
    assert err.startswith("nix-attest: error: transparency log check failed:") and "inclusion proof" in err


def test_without_inclusion_promise_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _happy_doc()
    del doc["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]
    assert not needs_promise_verification(doc)
    assert _cli(_write(tmp_path, doc)) == 1
    err = _one_error_line(capsys)
    assert "is not a valid Sigstore bundle: entry must contain inclusion proof, with checkpoint" in err


@pytest.mark.parametrize("version", ["0.2", "0.3"])
def test_only_v01_is_verified_by_its_set(
    version: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _happy_doc()
    doc["mediaType"] = f"application/vnd.dev.sigstore.bundle+json;version={version}"
    material = doc["verificationMaterial"]
    if version == "0.3":  # v0.3 holds the leaf certificate alone, not a chain
        material["certificate"] = material.pop("x509CertificateChain")["certificates"][0]
    assert not needs_promise_verification(doc)
    assert _cli(_write(tmp_path, doc)) == 1
    err = _one_error_line(capsys)
    assert "is not a valid Sigstore bundle: entry must contain inclusion proof, with checkpoint" in err
