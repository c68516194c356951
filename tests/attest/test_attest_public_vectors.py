"""A real bundle from the Sigstore **production** instance (sigstore-python's test assets) with the exact
file it signs, verified offline against the pinned production trusted root through nix-attest's own code.

The failure cases are derived at test time from that real bundle by changing one field each (artifact,
signature, certificate, inclusion proof, SET, checkpoint): every one must exit 1 naming the check.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nix_attest.attest.model import IdentityPolicy, VerifyTarget
from nix_attest.attest.trust import verification_root
from nix_attest.attest.verify import verify_attestation
from nix_attest.cli import main

VECTORS = Path(__file__).resolve().parents[1] / "data" / "sigstore-vectors"
BUNDLE = VECTORS / "new_bundle.txt.sigstore.json"
ARTIFACT = VECTORS / "new_bundle.txt"
ROOT = VECTORS / "production_trusted_root.json"
IDENTITY = "aryadeeptade@gmail.com"
ISSUER = "https://github.com/login/oauth"
DIGEST = "a7ddbbe3faad1e9646f07d92311ba950d10c2c4441e58ea9935da8dd701794da"


def _cli(bundle: Path, artifact: Path = ARTIFACT, *extra: str) -> int:
    return main(
        [
            "verify", str(bundle), "--file", str(artifact), "--trust-root", str(ROOT),
            "--cert-identity", IDENTITY, "--cert-oidc-issuer", ISSUER, *extra,
        ]
    )  # fmt: skip


def test_production_bundle_verifies_through_the_api() -> None:
    result = verify_attestation(
        BUNDLE,
        VerifyTarget(file_path=str(ARTIFACT)),
        IdentityPolicy(issuer=ISSUER, identity=IDENTITY),
        verification_root(str(ROOT)),
    )
    assert result.identity == IDENTITY and result.issuer == ISSUER
    assert result.log_index == 2574120827 and result.bundle_path == str(BUNDLE)
    assert [(s.name, s.sha256) for s in result.subjects] == [("new_bundle.txt", DIGEST)]
    assert f"identity {IDENTITY}" in result.checks


def test_production_bundle_verifies_through_the_cli_without_repository(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _cli(BUNDLE) == 0
    out = capsys.readouterr().out
    assert f"signer: {IDENTITY} (issuer {ISSUER})" in out
    assert "ok: transparency log inclusion (log index 2574120827)" in out
    assert f"ok: signed artifact is {ARTIFACT} (sha256) {DIGEST}" in out


def test_production_bundle_also_verifies_with_an_identity_regexp(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "verify", str(BUNDLE), "--file", str(ARTIFACT), "--trust-root", str(ROOT),
            "--cert-identity-regexp", r"[a-z]+@gmail\.com", "--cert-oidc-issuer", ISSUER,
        ]
    )  # fmt: skip
    assert code == 0


def test_without_repository_or_identity_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify", str(BUNDLE), "--file", str(ARTIFACT), "--trust-root", str(ROOT)])
    assert code == 2
    assert capsys.readouterr().err == (
        "nix-attest: error: give --repository OWNER/REPO or --owner OWNER, or --cert-identity / "
        "--cert-identity-regexp\n"
    )


def test_production_bundle_fails_against_the_staging_root(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "verify", str(BUNDLE), "--file", str(ARTIFACT), "--trust-root",
            str(VECTORS / "staging_trusted_root.json"), "--cert-identity", IDENTITY,
            "--cert-oidc-issuer", ISSUER,
        ]
    )  # fmt: skip
    assert code == 1
    assert "certificate check failed" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--repository", "octo/widgets"],
            "identity check failed: repository is missing, expected octo/widgets",
        ),
        (
            ["--cert-identity", "someone@example.com"],
            f"identity check failed: certificate identity is {IDENTITY}, expected someone@example.com",
        ),
    ],
)
def test_wrong_identity_fails(extra: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["verify", str(BUNDLE), "--file", str(ARTIFACT), "--trust-root", str(ROOT),
         "--cert-oidc-issuer", ISSUER, *extra]
    )  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_wrong_artifact_fails_the_subject_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "new_bundle.txt"
    other.write_bytes(ARTIFACT.read_bytes() + b"!")
    assert _cli(BUNDLE, other) == 1
    err = capsys.readouterr().err
    assert err.startswith("nix-attest: error: subject check failed:") and "is not the signed artifact" in err


def _flip_b64(value: str, index: int = 20) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def _entry(doc: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = doc["verificationMaterial"]["tlogEntries"][0]
    return entry


def _bad_signature(doc: dict[str, Any]) -> None:
    sig = doc["messageSignature"]
    sig["signature"] = _flip_b64(sig["signature"], -5)


def _bad_message_digest(doc: dict[str, Any]) -> None:
    digest = doc["messageSignature"]["messageDigest"]
    digest["digest"] = _flip_b64(digest["digest"], 3)


def _bad_inclusion_proof(doc: dict[str, Any]) -> None:
    hashes = _entry(doc)["inclusionProof"]["hashes"]
    hashes[0] = _flip_b64(hashes[0], 0)


def _bad_set(doc: dict[str, Any]) -> None:
    promise = _entry(doc)["inclusionPromise"]
    promise["signedEntryTimestamp"] = _flip_b64(promise["signedEntryTimestamp"], -3)


def _bad_checkpoint(doc: dict[str, Any]) -> None:
    proof = _entry(doc)["inclusionProof"]
    proof["checkpoint"]["envelope"] = proof["checkpoint"]["envelope"].replace("2452216574", "2452216575", 1)


def _bad_certificate(doc: dict[str, Any]) -> None:
    cert = doc["verificationMaterial"]["certificate"]
    cert["rawBytes"] = _flip_b64(cert["rawBytes"], -20)  # inside the issuer's signature over the leaf


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        # the bundle still names the file's digest: the signature is at fault, not the subject
        (_bad_signature, "signature check failed"),
        (_bad_message_digest, "subject check failed"),  # the bundle's digest is not the file's
        (_bad_inclusion_proof, "transparency log check failed"),
        (_bad_set, "transparency log check failed"),
        (_bad_checkpoint, "transparency log check failed"),
        (_bad_certificate, "certificate check failed"),
    ],
    ids=["signature", "message-digest", "inclusion-proof", "set", "checkpoint", "certificate"],
)
def test_tampered_production_bundle_fails_naming_the_check(
    mutate: Callable[[dict[str, Any]], None],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = json.loads(BUNDLE.read_text(encoding="utf-8"))
    mutate(doc)
    bad = tmp_path / "bundle.sigstore.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    assert _cli(bad) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"nix-attest: error: {message}") and err.count("\n") == 1, err
