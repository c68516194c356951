"""End to end against the local Sigstore stack: sigstore-python's real signing and verification paths."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from attest_helpers import ROOT_NAR, ROOT_PATH, make_sbom
from sigstore.models import ClientTrustConfig, TrustedRoot
from sigstore.oidc import IdentityToken
from sigstore.sign import SigningContext
from sigstore_stack import SigstoreStack

from nix_attest.attest.model import SBOM_PREDICATE_TYPE, SLSA_PREDICATE_TYPE, IdentityPolicy, VerifyTarget
from nix_attest.attest.pipeline import sign_sbom
from nix_attest.attest.sign import StatementToSign, sign_statements
from nix_attest.attest.statement import file_subjects, statement
from nix_attest.attest.trust import SigningTrust
from nix_attest.attest.verify import MESSAGE_SIGNATURE, verify_attestation
from nix_attest.errors import InputError, VerificationError
from nix_attest.sbom.cyclonedx import dumps_sbom

REPO = "octo/widgets"


def _root(stack: SigstoreStack) -> TrustedRoot:
    return ClientTrustConfig.from_json(json.dumps(stack.client_trust_config())).trusted_root


def _policy(**kw: str) -> IdentityPolicy:
    return IdentityPolicy(repository=kw.pop("repository", REPO), **kw)


@pytest.fixture()
def signed(
    tmp_path: Path, stack: SigstoreStack, signing_trust: SigningTrust, sbom_file: Path
) -> dict[str, Path]:
    release = tmp_path / "hello.tar.gz"
    release.write_bytes(b"release tarball bytes\n")
    bundles = sign_sbom(
        sbom_file,
        out_dir=tmp_path / "out",
        token=stack.token(),
        trust=signing_trust,
        provenance=True,
        subject_files=[release],
        env={},
    )
    assert [b.kind for b in bundles] == ["sbom", "provenance"]
    assert all(b.rekor_log_index is not None and b.rekor_url for b in bundles)
    return {
        "sbom": Path(bundles[0].bundle_path),
        "provenance": Path(bundles[1].bundle_path),
        "release": release,
        "sbom_file": sbom_file,
    }


def test_bundle_is_v03_dsse_with_rekor_entry(signed: dict[str, Path]) -> None:
    doc = json.loads(signed["sbom"].read_text())
    assert doc["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    assert doc["dsseEnvelope"]["payloadType"] == "application/vnd.in-toto+json"
    entry = doc["verificationMaterial"]["tlogEntries"][0]
    assert entry["kindVersion"] == {"kind": "dsse", "version": "0.0.1"}
    assert entry["inclusionProof"]["checkpoint"]["envelope"]


def test_verify_sbom_attestation_with_sbom(signed: dict[str, Path], stack: SigstoreStack) -> None:
    result = verify_attestation(
        signed["sbom"],
        VerifyTarget(sbom_path=str(signed["sbom_file"])),
        _policy(workflow=".github/workflows/release.yml", ref="refs/heads/main"),
        _root(stack),
    )
    assert result.predicate_type == SBOM_PREDICATE_TYPE
    assert result.identity == f"https://github.com/{REPO}/.github/workflows/release.yml@refs/heads/main"
    assert {s.name for s in result.subjects} == {ROOT_PATH, "hello.tar.gz"}
    assert any("equals the attested SBOM" in c for c in result.checks)
    assert any(c.startswith("repository") for c in result.checks)
    assert result.predicate_json is not None and json.loads(result.predicate_json)["bomFormat"] == "CycloneDX"


def test_verify_release_file_and_store_path(signed: dict[str, Path], stack: SigstoreStack) -> None:
    root = _root(stack)
    r = verify_attestation(
        signed["provenance"], VerifyTarget(file_path=str(signed["release"])), _policy(), root
    )
    assert r.predicate_type == SLSA_PREDICATE_TYPE
    r = verify_attestation(
        signed["sbom"], VerifyTarget(store_path=ROOT_PATH), _policy(), root, nar_hasher=lambda p: ROOT_NAR
    )
    assert any(ROOT_NAR in c for c in r.checks)


def test_changed_sbom_byte_fails(signed: dict[str, Path], stack: SigstoreStack, tmp_path: Path) -> None:
    text = signed["sbom_file"].read_text()
    assert "glibc" in text
    tampered = tmp_path / "tampered.cdx.json"
    tampered.write_text(text.replace("glibc", "glibd", 1))
    with pytest.raises(VerificationError, match="SBOM check failed"):
        verify_attestation(signed["sbom"], VerifyTarget(sbom_path=str(tampered)), _policy(), _root(stack))


def test_wrong_subject_digest_fails(signed: dict[str, Path], stack: SigstoreStack, tmp_path: Path) -> None:
    other = tmp_path / "other.tar.gz"
    other.write_bytes(b"release tarball bytes!\n")
    with pytest.raises(VerificationError, match="subject check failed"):
        verify_attestation(signed["provenance"], VerifyTarget(file_path=str(other)), _policy(), _root(stack))
    with pytest.raises(VerificationError, match="subject check failed: store path"):
        verify_attestation(
            signed["sbom"],
            VerifyTarget(store_path=ROOT_PATH),
            _policy(),
            _root(stack),
            nar_hasher=lambda p: "0" * 64,
        )


def test_sbom_of_another_build_fails_provenance(
    signed: dict[str, Path], stack: SigstoreStack, tmp_path: Path
) -> None:
    other = tmp_path / "other.cdx.json"
    other.write_text(dumps_sbom(make_sbom(root_hash="ab" * 32)))
    with pytest.raises(VerificationError, match="subject check failed: the SBOM's root"):
        verify_attestation(signed["provenance"], VerifyTarget(sbom_path=str(other)), _policy(), _root(stack))


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (IdentityPolicy(repository="octo/gadgets"), "identity check failed: repository is octo/widgets"),
        (IdentityPolicy(repository=REPO, workflow="ci.yml"), "identity check failed: signer workflow"),
        (
            IdentityPolicy(repository=REPO, ref="refs/tags/v1"),
            "identity check failed: ref is refs/heads/main",
        ),
        (
            IdentityPolicy(repository=REPO, issuer="https://accounts.google.com"),
            "identity check failed: OIDC issuer",
        ),
        (
            IdentityPolicy(repository=REPO, identity="https://github.com/x"),
            "identity check failed: certificate identity",
        ),
        (IdentityPolicy(repository=REPO, identity_regexp=r"https://github\.com/evil/.*"), "does not match"),
    ],
)
def test_wrong_identity_fails(
    signed: dict[str, Path], stack: SigstoreStack, policy: IdentityPolicy, message: str
) -> None:
    with pytest.raises(VerificationError, match=message):
        verify_attestation(
            signed["sbom"], VerifyTarget(file_path=str(signed["release"])), policy, _root(stack)
        )


def test_identity_variants_accepted(signed: dict[str, Path], stack: SigstoreStack) -> None:
    target = VerifyTarget(file_path=str(signed["release"]))
    for policy in (
        IdentityPolicy(repository="Octo/Widgets", workflow="release.yml", ref="main"),
        IdentityPolicy(repository=REPO, workflow=f"{REPO}/.github/workflows/release.yml"),
        IdentityPolicy(identity_regexp=r"https://github\.com/octo/widgets/.*@refs/heads/main"),
    ):
        result = verify_attestation(signed["sbom"], target, policy, _root(stack))
        assert result.identity.startswith("https://github.com/octo/widgets/")
        assert any("repository" in c or "identity" in c for c in result.checks), result.checks


def test_bundle_from_another_trust_root_fails(signed: dict[str, Path], other_stack: SigstoreStack) -> None:
    with pytest.raises(VerificationError, match="certificate check failed"):
        verify_attestation(
            signed["sbom"], VerifyTarget(file_path=str(signed["release"])), _policy(), _root(other_stack)
        )


@pytest.mark.parametrize("mutate", ["truncate", "garbage", "empty", "not-a-bundle"])
def test_malformed_bundle_fails(
    signed: dict[str, Path], stack: SigstoreStack, tmp_path: Path, mutate: str
) -> None:
    text = signed["sbom"].read_text()
    bad = tmp_path / "bad.sigstore.json"
    bad.write_text(
        {
            "truncate": text[: len(text) // 2],
            "garbage": "\x00not json",
            "empty": "",
            "not-a-bundle": '{"a": 1}',
        }[mutate]
    )
    with pytest.raises(VerificationError, match=r"bundle .*bad\.sigstore\.json is not"):
        verify_attestation(bad, VerifyTarget(file_path=str(signed["release"])), _policy(), _root(stack))


def test_tampered_payload_or_log_entry_fails(
    signed: dict[str, Path], stack: SigstoreStack, tmp_path: Path
) -> None:
    doc = json.loads(signed["sbom"].read_text())
    payload = json.loads(base64.b64decode(doc["dsseEnvelope"]["payload"]))
    payload["subject"][0]["digest"]["sha256"] = "f" * 64
    forged = dict(doc, dsseEnvelope=dict(doc["dsseEnvelope"]))
    forged["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
    bad = tmp_path / "forged.sigstore.json"
    bad.write_text(json.dumps(forged))
    with pytest.raises(VerificationError, match="signature check failed"):
        verify_attestation(bad, VerifyTarget(file_path=str(signed["release"])), _policy(), _root(stack))

    doc2 = json.loads(signed["sbom"].read_text())
    entry = doc2["verificationMaterial"]["tlogEntries"][0]
    entry["inclusionProof"]["rootHash"] = base64.b64encode(b"\x01" * 32).decode()
    bad.write_text(json.dumps(doc2))
    with pytest.raises(VerificationError, match="transparency log check failed"):
        verify_attestation(bad, VerifyTarget(file_path=str(signed["release"])), _policy(), _root(stack))


def test_message_signature_bundle(stack: SigstoreStack, tmp_path: Path) -> None:
    """hashedrekord bundles (gh-action-sigstore-python style) verify against the file they sign."""
    cfg = ClientTrustConfig.from_json(json.dumps(stack.client_trust_config()))
    artifact = tmp_path / "dist.whl"
    artifact.write_bytes(b"wheel bytes")
    with SigningContext.from_trust_config(cfg).signer(IdentityToken(stack.token())) as signer:
        bundle = signer.sign_artifact(artifact.read_bytes())
    path = tmp_path / "dist.whl.sigstore.json"
    path.write_text(bundle.to_json())
    r = verify_attestation(path, VerifyTarget(file_path=str(artifact)), _policy(), cfg.trusted_root)
    assert r.predicate_type == MESSAGE_SIGNATURE
    artifact.write_bytes(b"wheel bytez")
    with pytest.raises(VerificationError, match="subject check failed"):
        verify_attestation(path, VerifyTarget(file_path=str(artifact)), _policy(), cfg.trusted_root)


def test_unbuilt_sbom_cannot_be_signed(
    tmp_path: Path, stack: SigstoreStack, signing_trust: SigningTrust
) -> None:
    sbom = tmp_path / "buildtime.cdx.json"
    sbom.write_text(dumps_sbom(make_sbom(root_hash=None)))
    with pytest.raises(InputError, match="no SHA-256 NAR hash"):
        sign_sbom(sbom, out_dir=tmp_path / "o", token=stack.token(), trust=signing_trust, env={})
    assert not (tmp_path / "o").exists()


def test_expired_or_wrong_audience_token_is_input_error(
    tmp_path: Path, stack: SigstoreStack, signing_trust: SigningTrust
) -> None:
    stmt = StatementToSign("x", statement(file_subjects([__file__]), "https://example.com/p", {}))
    for overrides in ({"aud": "other"}, {"exp": 1000, "iat": 900, "nbf": 900}):
        with pytest.raises(InputError, match="identity token"):
            sign_statements(
                [stmt], out_dir=tmp_path, token=stack.token(overrides=overrides), trust=signing_trust
            )


def test_service_down_is_external_error(tmp_path: Path, signing_trust: SigningTrust) -> None:
    s = SigstoreStack.start()
    cfg = ClientTrustConfig.from_json(json.dumps(s.client_trust_config()))
    token = s.token()
    s.close()
    from nix_attest.errors import ExternalError

    stmt = StatementToSign("x", statement(file_subjects([__file__]), "https://example.com/p", {}))
    with pytest.raises(ExternalError, match="Sigstore signing failed"):
        sign_statements([stmt], out_dir=tmp_path, token=token, trust=SigningTrust(cfg, "{index}", "down"))
