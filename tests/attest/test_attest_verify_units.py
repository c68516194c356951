"""verify.py after sigstore-python has done its part: what nix-attest checks and says on top of it.

The signature, chain, SCT and log checks are sigstore-python's and are exercised end to end elsewhere
(the local Sigstore stack in test_attest_sign_verify.py, the production and conformance vectors). Here
sigstore's ``Verifier`` is replaced by one that runs the identity policy on a test-CA certificate and
then hands over a given DSSE payload (or raises a given sigstore error): so each statement, subject,
message and record field nix-attest adds is checked exactly, in milliseconds, including payloads a
real signer could sign but our own signing never makes (not JSON, not in-toto, no digest).
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any, cast

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import Certificate
from sigstore.errors import Error as SigstoreError
from sigstore.errors import VerificationError as SVE
from sigstore.errors import VerificationError as SigstoreVerificationError
from sigstore.hashes import Hashed
from sigstore.models import Bundle, TrustedRoot
from sigstore_stack.ca import CertificateAuthority

from nix_attest.attest import verify as verify_module
from nix_attest.attest.identity import GitHubIdentityPolicy, IdentityMismatch
from nix_attest.attest.model import (
    GITHUB_OIDC_ISSUER,
    INTOTO_PAYLOAD_TYPE,
    SBOM_PREDICATE_TYPE,
    SLSA_PREDICATE_TYPE,
    IdentityPolicy,
    Subject,
    VerifiedAttestation,
    VerifyTarget,
)
from nix_attest.attest.verify import MESSAGE_SIGNATURE, load_bundle, parse_bundle, verify_bundle
from nix_attest.errors import InputError, VerificationError

REPO = "octo/widgets"
SIGNER = f"https://github.com/{REPO}/.github/workflows/release.yml@refs/heads/main"
V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
V01 = "application/vnd.dev.sigstore.bundle+json;version=0.1"
NAR = "ab" * 32


@pytest.fixture(scope="module")
def cert() -> Certificate:
    claims = {
        "iss": GITHUB_OIDC_ISSUER,
        "sub": f"repo:{REPO}:ref:refs/heads/main",
        "job_workflow_ref": SIGNER.removeprefix("https://github.com/"),
        "repository": REPO,
        "ref": "refs/heads/main",
    }
    return CertificateAuthority.create().issue(ec.generate_private_key(ec.SECP256R1()).public_key(), claims)


class FakeVerifier:
    """sigstore's Verifier once the cryptography passed (or with the sigstore error it raised)."""

    cert: Certificate
    payload: tuple[str, bytes] = (INTOTO_PAYLOAD_TYPE, b"{}")
    error: SigstoreError | None = None
    hashed: Hashed | None = None

    def __init__(self, trusted_root: TrustedRoot) -> None:
        pass

    def _common(self, policy: GitHubIdentityPolicy) -> None:
        if self.error is not None:
            raise self.error
        policy.verify(self.cert)

    def verify_dsse(self, bundle: Bundle, policy: GitHubIdentityPolicy) -> tuple[str, bytes]:
        self._common(policy)
        return self.payload

    def verify_artifact(self, hashed: Hashed, bundle: Bundle, policy: GitHubIdentityPolicy) -> None:
        FakeVerifier.hashed = hashed
        self._common(policy)


@pytest.fixture()
def fake(monkeypatch: pytest.MonkeyPatch, cert: Certificate) -> type[FakeVerifier]:
    monkeypatch.setattr(FakeVerifier, "cert", cert, raising=False)
    monkeypatch.setattr(FakeVerifier, "payload", FakeVerifier.payload)
    monkeypatch.setattr(FakeVerifier, "error", None)
    monkeypatch.setattr(FakeVerifier, "hashed", None)
    monkeypatch.setattr(verify_module, "Verifier", FakeVerifier)
    return FakeVerifier


def _doc(media: str = V03, *, dsse: bool = True, entry: dict[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "mediaType": media,
        "verificationMaterial": {
            "tlogEntries": [
                entry if entry is not None else {"logIndex": "42", "integratedTime": "1700000000"}
            ]
        },
    }
    if dsse:
        doc["dsseEnvelope"] = {}
    return doc


def _statement(*subjects: tuple[str, str], predicate_type: str = SLSA_PREDICATE_TYPE, **extra: Any) -> bytes:
    stmt = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": n, "digest": {"sha256": d}} for n, d in subjects],
        "predicateType": predicate_type,
        **extra,
    }
    return json.dumps(stmt).encode()


def _verify(
    target: VerifyTarget, doc: dict[str, Any] | None = None, policy: IdentityPolicy | None = None
) -> VerifiedAttestation:
    return verify_bundle(
        cast(Bundle, None),
        doc if doc is not None else _doc(),
        "in.sigstore.json",
        target,
        policy or IdentityPolicy(repository=REPO),
        cast(TrustedRoot, None),
        nar_hasher=lambda path: NAR if path == "/nix/store/x-app" else "00" * 32,
    )


def _fails(target: VerifyTarget, doc: dict[str, Any] | None = None) -> str:
    with pytest.raises(VerificationError) as info:
        _verify(target, doc)
    return str(info.value)


# --- a verified DSSE attestation: the record and the checks shown to the user ---------------------------


def test_a_verified_statement_gives_the_whole_record(fake: type[FakeVerifier]) -> None:
    fake.payload = (INTOTO_PAYLOAD_TYPE, _statement(("/nix/store/x-app", NAR), predicate={"b": 1, "a": [2]}))
    got = _verify(VerifyTarget(store_path="/nix/store/x-app"))
    assert got == VerifiedAttestation(
        bundle_path="in.sigstore.json",
        predicate_type=SLSA_PREDICATE_TYPE,
        subjects=(Subject("/nix/store/x-app", NAR),),
        identity=SIGNER,
        issuer=GITHUB_OIDC_ISSUER,
        checks=(
            f"bundle {V03}",
            "signature, certificate chain to the trusted root, SCT",
            "transparency log inclusion (log index 42)",
            f"OIDC issuer {GITHUB_OIDC_ISSUER}",
            f"repository {REPO}",
            f"signer workflow {SIGNER} is a workflow of {REPO}",
            "in-toto statement",
            f"subject digest matches store path /nix/store/x-app (NAR sha256) {NAR}",
        ),
        predicate_json='{"a": [2], "b": 1}',
        log_index=42,
        integrated_time=1700000000,
        repository=REPO,
        workflow=SIGNER,
        ref="refs/heads/main",
    )


def test_a_statement_without_predicate_or_predicate_type(fake: type[FakeVerifier]) -> None:
    stmt = json.loads(_statement(("/nix/store/x-app", NAR)))
    del stmt["predicateType"]
    fake.payload = (INTOTO_PAYLOAD_TYPE, json.dumps(stmt).encode())
    got = _verify(VerifyTarget(store_path="/nix/store/x-app"))
    assert got.predicate_type == "" and got.predicate_json is None


@pytest.mark.parametrize(
    ("media", "shown"),
    [
        (V01, "bundle 0.1"),
        ("application/vnd.dev.sigstore.bundle+json;version=0.2", "bundle 0.2"),
        (V03, f"bundle {V03}"),
    ],
)
def test_the_bundle_version_shown(fake: type[FakeVerifier], media: str, shown: str) -> None:
    fake.payload = (INTOTO_PAYLOAD_TYPE, _statement(("/nix/store/x-app", NAR)))
    assert _verify(VerifyTarget(store_path="/nix/store/x-app"), _doc(media)).checks[0] == shown


INCLUDED = "transparency log inclusion (log index"


@pytest.mark.parametrize(
    ("entry", "index", "when", "check"),
    [
        ({"logIndex": "7", "integratedTime": "1700000001"}, 7, 1700000001, f"{INCLUDED} 7)"),
        ({"logIndex": 7, "integratedTime": 1700000001}, 7, 1700000001, f"{INCLUDED} 7)"),
        ({"logIndex": "0", "integratedTime": "0"}, 0, None, f"{INCLUDED} 0)"),  # a Rekor v2 entry
        ({"logIndex": "7"}, 7, None, f"{INCLUDED} 7)"),
        ({"integratedTime": "1700000001"}, None, 1700000001, "signed time"),
        ({"logIndex": "x", "integratedTime": "soon"}, None, None, "signed time"),
        ({"logIndex": None, "integratedTime": None}, None, None, "signed time"),
        ({"integratedTime": "-5"}, None, None, "signed time"),
        ({"integratedTime": "1"}, None, 1, "signed time"),
    ],
)  # fmt: skip
def test_log_index_and_integrated_time_from_the_entry(
    fake: type[FakeVerifier], entry: dict[str, Any], index: int | None, when: int | None, check: str
) -> None:
    fake.payload = (INTOTO_PAYLOAD_TYPE, _statement(("/nix/store/x-app", NAR)))
    got = _verify(VerifyTarget(store_path="/nix/store/x-app"), _doc(entry=entry))
    assert (got.log_index, got.integrated_time, got.checks[2]) == (index, when, check)


def test_a_v01_entry_verified_by_its_promise_says_so(fake: type[FakeVerifier]) -> None:
    fake.payload = (INTOTO_PAYLOAD_TYPE, _statement(("/nix/store/x-app", NAR)))
    entry = {
        "logIndex": "9",
        "inclusionProof": {"logIndex": "9"},
        "inclusionPromise": {"signedEntryTimestamp": "c2V0"},
    }
    got = _verify(VerifyTarget(store_path="/nix/store/x-app"), _doc(V01, entry=entry))
    assert got.checks[2] == (
        "transparency log entry (log index 9) verified by its signed entry timestamp (SET), no checkpointed "
        "inclusion proof (bundle v0.1; the proof's Merkle path to its unsigned root hash was recomputed)"
    )


@pytest.mark.parametrize("material", [{}, {"tlogEntries": []}, {"tlogEntries": None}])
def test_a_bundle_without_log_entries(fake: type[FakeVerifier], material: dict[str, Any]) -> None:
    fake.payload = (INTOTO_PAYLOAD_TYPE, _statement(("/nix/store/x-app", NAR)))
    doc = {"mediaType": V03, "dsseEnvelope": {}, "verificationMaterial": material}
    got = _verify(VerifyTarget(store_path="/nix/store/x-app"), doc)
    assert (got.log_index, got.integrated_time, got.checks[2]) == (None, None, "signed time")


# --- what the signed payload must be --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (("application/json", b"{}"), "DSSE payload type is application/json, not in-toto"),
        ((INTOTO_PAYLOAD_TYPE, b"\x00not json"), "the signed payload is not JSON"),
        ((INTOTO_PAYLOAD_TYPE, b"[]"), "the signed payload is not an in-toto statement"),
        ((INTOTO_PAYLOAD_TYPE, b'{"_type": "https://example.org/Statement/v1", "subject": []}'),
         "the signed payload is not an in-toto statement"),
        ((INTOTO_PAYLOAD_TYPE, json.dumps({"_type": "https://in-toto.io/Statement/v0.1",
          "subject": [{"name": "a", "digest": {"sha512": "00"}}]}).encode()),
         "no subject has a sha256 digest"),
    ],
)  # fmt: skip
def test_a_signed_payload_that_is_not_a_usable_statement(
    fake: type[FakeVerifier], payload: tuple[str, bytes], message: str
) -> None:
    fake.payload = payload
    assert _fails(VerifyTarget(store_path="/nix/store/x-app")) == f"statement check failed: {message}"


def test_subjects_named_in_a_failure_are_cut_after_four(fake: type[FakeVerifier]) -> None:
    subjects = [(f"s{i}", f"{i}" * 64) for i in range(1, 7)]
    fake.payload = (INTOTO_PAYLOAD_TYPE, _statement(*subjects))
    assert _fails(VerifyTarget(store_path="/nix/store/x-app")) == (
        f"subject check failed: store path /nix/store/x-app (NAR sha256) {NAR} is not a subject of the "
        "attestation (subjects: s1=111111111111…, s2=222222222222…, s3=333333333333…, s4=444444444444… "
        "and 2 more)"
    )
    fake.payload = (INTOTO_PAYLOAD_TYPE, _statement(*subjects[:5]))
    assert _fails(VerifyTarget(store_path="/nix/store/x-app")).endswith("s4=444444444444… and 1 more)")
    fake.payload = (INTOTO_PAYLOAD_TYPE, _statement(*subjects[:4]))
    assert _fails(VerifyTarget(store_path="/nix/store/x-app")).endswith(
        "(subjects: s1=111111111111…, s2=222222222222…, s3=333333333333…, s4=444444444444…)"
    )


def test_a_target_is_exactly_one_thing(fake: type[FakeVerifier]) -> None:
    fake.payload = (INTOTO_PAYLOAD_TYPE, _statement(("/nix/store/x-app", NAR)))
    for target in (VerifyTarget(), VerifyTarget(store_path="/nix/store/x-app", file_path="f")):
        with pytest.raises(InputError) as info:
            _verify(target)
        assert str(info.value) == "give exactly one of --sbom, --store-path, --file"


# --- --sbom: the SBOM file against the attestation ------------------------------------------------------


def _sbom_file(tmp_path: Path, nar: str | None) -> tuple[Path, dict[str, Any]]:
    """A minimal CycloneDX SBOM whose root has (or, not built, lacks) a NAR hash."""
    root: dict[str, Any] = {
        "bom-ref": "/nix/store/x-app",
        "type": "application",
        "name": "app",
        "version": "1.0",
        "properties": [{"name": "nix:store_path", "value": "/nix/store/x-app"}],
    }
    if nar:
        root["properties"].append({"name": "nix:narinfo:nar_hash", "value": f"sha256:{nar}"})
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {"component": root},
        "components": [],
        "dependencies": [{"ref": "/nix/store/x-app", "dependsOn": []}],
    }
    path = tmp_path / "sbom.cdx.json"
    path.write_text(json.dumps(doc))
    return path, doc


def test_an_sbom_attestation_of_the_sbom_file(fake: type[FakeVerifier], tmp_path: Path) -> None:
    path, doc = _sbom_file(tmp_path, NAR)
    fake.payload = (
        INTOTO_PAYLOAD_TYPE,
        _statement(("/nix/store/x-app", NAR), predicate_type=SBOM_PREDICATE_TYPE, predicate=doc),
    )
    checks = _verify(VerifyTarget(sbom_path=str(path))).checks
    assert checks[-3:] == (
        "in-toto statement",
        f"SBOM {path} equals the attested SBOM",
        f"subject /nix/store/x-app (the SBOM's root, NAR sha256 {NAR}) is attested",
    )
    changed = {**doc, "version": 2}
    fake.payload = (
        INTOTO_PAYLOAD_TYPE,
        _statement(("/nix/store/x-app", NAR), predicate_type=SBOM_PREDICATE_TYPE, predicate=changed),
    )
    assert _fails(VerifyTarget(sbom_path=str(path))) == (
        f"SBOM check failed: {path} differs from the SBOM in the attestation"
    )


def test_an_sbom_file_that_is_itself_the_subject(fake: type[FakeVerifier], tmp_path: Path) -> None:
    """A provenance (not an SBOM predicate) whose subject is the SBOM file: attested by the file's sha256;
    an SBOM whose root was not built has no root subject but may still be the subject itself."""
    for nar in (NAR, None):
        path, _ = _sbom_file(tmp_path, nar)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        fake.payload = (INTOTO_PAYLOAD_TYPE, _statement(("sbom.cdx.json", digest)))
        assert _verify(VerifyTarget(sbom_path=str(path))).checks[-2:] == (
            "in-toto statement",
            f"subject {path} (sha256 {digest}) is attested",
        )


def test_an_sbom_whose_root_is_not_a_subject(fake: type[FakeVerifier], tmp_path: Path) -> None:
    path, doc = _sbom_file(tmp_path, NAR)
    fake.payload = (INTOTO_PAYLOAD_TYPE, _statement(("other", "cd" * 32)))
    assert _fails(VerifyTarget(sbom_path=str(path))) == (
        f"subject check failed: the SBOM's root /nix/store/x-app ({NAR}) is not a subject of the "
        f"attestation (subjects: other={'cd' * 6}…)"
    )
    # the SBOM predicate equal to the file, but the root's digest is another build's: still refused
    fake.payload = (
        INTOTO_PAYLOAD_TYPE,
        _statement(("/nix/store/x-app", "cd" * 32), predicate_type=SBOM_PREDICATE_TYPE, predicate=doc),
    )
    assert _fails(VerifyTarget(sbom_path=str(path))).startswith(
        f"subject check failed: the SBOM's root /nix/store/x-app ({NAR}) is not a subject"
    )
    unbuilt, _ = _sbom_file(tmp_path, None)
    fake.payload = (INTOTO_PAYLOAD_TYPE, _statement(("other", "cd" * 32)))
    assert _fails(VerifyTarget(sbom_path=str(unbuilt))) == (
        f"subject check failed: {unbuilt} is not a subject of the attestation (subjects: other={'cd' * 6}…)"
    )


def test_an_unbuilt_sbom_attested_as_an_sbom(fake: type[FakeVerifier], tmp_path: Path) -> None:
    """An SBOM predicate equal to the file, whose root has no NAR hash (an evaluation-only SBOM): the
    attested SBOM itself is what was checked; its subjects cannot name a build."""
    path, doc = _sbom_file(tmp_path, None)
    fake.payload = (
        INTOTO_PAYLOAD_TYPE,
        _statement(("other", "cd" * 32), predicate_type=SBOM_PREDICATE_TYPE, predicate=doc),
    )
    assert _verify(VerifyTarget(sbom_path=str(path))).checks[-2:] == (
        "in-toto statement",
        f"SBOM {path} equals the attested SBOM",
    )


# --- message signatures ---------------------------------------------------------------------------------


def _message_doc(digest_hex: str | None, algorithm: str | None = "SHA2_256") -> dict[str, Any]:
    doc = _doc(dsse=False)
    md: dict[str, Any] = {}
    if algorithm is not None:
        md["algorithm"] = algorithm
    if digest_hex is not None:
        md["digest"] = base64.b64encode(bytes.fromhex(digest_hex)).decode()
    doc["messageSignature"] = {"messageDigest": md}
    return doc


def test_a_message_signature_of_the_file(fake: type[FakeVerifier], tmp_path: Path) -> None:
    f = tmp_path / "release.tar.gz"
    f.write_bytes(b"release")
    digest = hashlib.sha256(b"release").hexdigest()
    got = _verify(VerifyTarget(file_path=str(f)), _message_doc(digest))
    assert fake.hashed is not None and fake.hashed.digest.hex() == digest
    assert (got.predicate_type, got.subjects, got.predicate_json) == (
        MESSAGE_SIGNATURE,
        (Subject("release.tar.gz", digest),),
        None,
    )
    assert got.checks[3:] == (
        f"OIDC issuer {GITHUB_OIDC_ISSUER}",
        f"repository {REPO}",
        f"signer workflow {SIGNER} is a workflow of {REPO}",
        f"signed artifact is {f} (sha256) {digest}",
    )
    assert (got.identity, got.repository, got.workflow, got.ref, got.log_index) == (
        SIGNER, REPO, SIGNER, "refs/heads/main", 42
    )  # fmt: skip
    assert _verify(VerifyTarget(store_path="/nix/store/x-app"), _message_doc(NAR)).subjects == (
        Subject("/nix/store/x-app", NAR),
    )


NOT_SIGNED = "subject check failed: {f} (sha256) {d} is not the signed artifact"


@pytest.mark.parametrize(
    ("sigstore_says", "signed", "algorithm", "message"),
    [
        # the bundle signed another digest (or does not say which as a sha256): the file is blamed
        ("Bundle message digest mismatch", "cd" * 32, "SHA2_256", NOT_SIGNED),
        ("Signature is invalid for input", "cd" * 32, None, NOT_SIGNED),
        ("hash does not match", None, "SHA2_256", NOT_SIGNED),
        ("Signature is invalid for input", "{d}", "SHA2_512", NOT_SIGNED),
        # the bundle signed our digest: the signature is at fault, not the file
        ("Signature is invalid for input", "{d}", "SHA2_256", "signature check failed: {e}"),
        ("Bundle message digest mismatch", "{d}", None, "signature check failed: {e}"),
        # other failures are named as what they are, whatever digest was signed
        ("invalid log entry: x", "cd" * 32, "SHA2_256", "transparency log check failed: {e}"),
    ],
)  # fmt: skip
def test_a_failed_message_signature_names_the_subject_or_the_signature(
    fake: type[FakeVerifier],
    tmp_path: Path,
    sigstore_says: str,
    signed: str | None,
    algorithm: str | None,
    message: str,
) -> None:
    f = tmp_path / "release.tar.gz"
    f.write_bytes(b"release")
    d = hashlib.sha256(b"release").hexdigest()
    fake.error = SigstoreVerificationError(sigstore_says)
    doc = _message_doc(signed.format(d=d) if signed else None, algorithm)
    assert _fails(VerifyTarget(file_path=str(f)), doc) == message.format(f=f, d=d, e=sigstore_says)


def test_a_message_digest_that_is_not_base64_names_no_digest(
    fake: type[FakeVerifier], tmp_path: Path
) -> None:
    f = tmp_path / "release.tar.gz"
    f.write_bytes(b"release")
    fake.error = SigstoreVerificationError("Bundle message digest mismatch")
    ours = base64.b64encode(hashlib.sha256(b"release").digest()).decode()
    for digest in ("not base64!", 5, "a" * 63, f"{ours[:8]}!{ours[8:]}"):  # the last: ours, with junk
        doc = _message_doc(None)
        doc["messageSignature"]["messageDigest"]["digest"] = digest
        assert _fails(VerifyTarget(file_path=str(f)), doc).startswith("subject check failed: ")
    for doc in (_doc(dsse=False), {**_doc(dsse=False), "messageSignature": None}):
        assert _fails(VerifyTarget(file_path=str(f)), doc).startswith("subject check failed: ")


# --- sigstore's errors, named by the check that failed --------------------------------------------------


CERT, LOG, TIME, SIG = "certificate", "transparency log", "signing time", "signature"


@pytest.mark.parametrize(
    ("error", "check", "shown"),
    [
        (IdentityMismatch("ref is refs/heads/x, expected main"), "identity", None),
        (SVE("failed to build chain"), CERT, None),
        (SVE("expected certificate in bundle"), CERT, None),
        (SVE("SCT verify failed: bad signature"), CERT, None),
        (SVE("invalid log entry: x"), LOG, None),
        (SVE("inclusion proof has wrong size: expected 3, got 2"), LOG, None),
        (SVE("checkpoint: invalid signature: x"), LOG, None),
        (SVE("SET: bad signature"), LOG, None),
        (SVE("not enough sources of verified time"), TIME, None),
        (SVE("Signature is invalid for input"), SIG, None),
        (SVE("  first line\nsecond line"), SIG, "first line"),
        (SVE(""), SIG, "VerificationError"),
        (SVE("x" * 400), SIG, "x" * 300),
    ],
)
def test_sigstore_failures_name_the_check(
    fake: type[FakeVerifier], error: SigstoreError, check: str, shown: str | None
) -> None:
    fake.error = error
    message = _fails(VerifyTarget(store_path="/nix/store/x-app"))
    assert message == f"{check} check failed: {shown if shown is not None else error}"


def test_an_invalid_identity_policy_is_bad_input(fake: type[FakeVerifier]) -> None:
    with pytest.raises(InputError) as info:
        _verify(VerifyTarget(store_path="/nix/store/x-app"), policy=IdentityPolicy(identity_regexp="("))
    assert str(info.value).startswith("invalid identity policy: missing ), unterminated subpattern")


# --- reading the bundle ---------------------------------------------------------------------------------


def test_an_unreadable_bundle_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_bundle(tmp_path / "absent.sigstore.json")
    assert (
        str(info.value)
        == f"cannot read bundle {tmp_path / 'absent.sigstore.json'}: No such file or directory"
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{}", "bundle b is not a Sigstore bundle (no mediaType)"),
        (b'["mediaType"]', "bundle b is not a Sigstore bundle (no mediaType)"),
        (b'"mediaType"', "bundle b is not a Sigstore bundle (no mediaType)"),
        (b'{"mediaType": ', "bundle b is not JSON (truncated or corrupted?)"),
        (b"[" * 5000 + b"]" * 5000, "bundle b is nested deeper than 100 levels"),
    ],
)
def test_a_bundle_that_is_not_one(raw: bytes, message: str) -> None:
    with pytest.raises(VerificationError) as info:
        parse_bundle(raw, "bundle b")
    assert str(info.value) == message
