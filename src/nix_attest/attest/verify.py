"""Verify a Sigstore bundle: signature, chain, SCT, transparency log, signer identity, and the subject.

Works without Nix for files and SBOMs; a store path's NAR hash is computed with ``nix-store --dump``.
DSSE / in-toto bundles and message-signature (hashedrekord) bundles, media types v0.1 to v0.3; a v0.1
log entry whose inclusion proof has no checkpoint is verified by its signed entry timestamp
(legacy_bundle.py).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Mapping
from typing import Any, TypedDict

from pydantic import ValidationError
from sigstore.errors import Error as SigstoreError
from sigstore.errors import VerificationError as SigstoreVerificationError
from sigstore.hashes import Hashed
from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier
from sigstore_models.common.v1 import HashAlgorithm

from ..errors import InputError, VerificationError
from ..nix.store import nar_sha256_hex
from ..sbom.read import from_document, load_document
from ..untrusted import TooDeep, loads_json, read_input_bytes
from .candidates import MAX_BUNDLE_BYTES
from .digest import sha256_file
from .identity import GitHubIdentityPolicy, IdentityMismatch
from .legacy_bundle import needs_promise_verification, parse_promise_bundle
from .model import (
    INTOTO_PAYLOAD_TYPE,
    SBOM_PREDICATE_TYPES,
    IdentityPolicy,
    Subject,
    VerifiedAttestation,
    VerifyTarget,
)
from .statement import root_subject, statement_subjects

MESSAGE_SIGNATURE = "sigstore:message-signature"
_STATEMENT_TYPES = ("https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1")
_ARTIFACT_MISMATCH = ("message digest mismatch", "signature is invalid for input", "hash does not match")

NarHasher = Callable[[str], str]


def load_bundle(path: str | os.PathLike[str]) -> tuple[Bundle, dict[str, Any]]:
    """Parse a bundle file; a truncated, non-JSON or malformed bundle is a verification failure."""
    try:
        raw = read_input_bytes(path, MAX_BUNDLE_BYTES)
    except OSError as exc:
        raise InputError(f"cannot read bundle {path}: {exc.strerror or exc}") from exc
    return parse_bundle(raw, f"bundle {path}")


def parse_bundle(raw: bytes, label: str) -> tuple[Bundle, dict[str, Any]]:
    """Parse bundle JSON (from a file, the attestations API or a directory); ``label`` names it in
    messages. A truncated, non-JSON or malformed bundle is a verification failure."""
    try:
        doc = loads_json(raw)
    except TooDeep as exc:
        raise VerificationError(f"{label} is {exc}") from exc
    except ValueError as exc:
        raise VerificationError(f"{label} is not JSON (truncated or corrupted?)") from exc
    if not isinstance(doc, dict) or "mediaType" not in doc:
        raise VerificationError(f"{label} is not a Sigstore bundle (no mediaType)")
    try:
        # v0.1 entries with a checkpoint-less inclusion proof are verified by their SET (legacy_bundle.py);
        # every other bundle, v0.2/v0.3 included, goes to sigstore-python unchanged
        bundle = parse_promise_bundle(doc) if needs_promise_verification(doc) else Bundle.from_json(raw)
    except (SigstoreError, ValidationError, ValueError, KeyError, TypeError) as exc:
        raise VerificationError(f"{label} is not a valid Sigstore bundle: {_first_line(exc)}") from exc
    return bundle, doc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def _sigstore_failure(exc: SigstoreError) -> VerificationError:
    if isinstance(exc, IdentityMismatch):
        return VerificationError(f"identity check failed: {exc}")
    msg = _first_line(exc)
    low = msg.lower()
    if "chain" in low or "certificate" in low or "sct" in low:
        what = "certificate check failed"
    elif "log entry" in low or "inclusion" in low or "checkpoint" in low or "set:" in low:
        what = "transparency log check failed"
    elif "time" in low:
        what = "signing time check failed"
    else:
        what = "signature check failed"
    return VerificationError(f"{what}: {msg}")


def _target_digest(target: VerifyTarget, nar_hasher: NarHasher) -> tuple[str, str]:
    """(label, sha256 hex) of the thing the attestation must be about."""
    chosen = [v for v in (target.sbom_path, target.store_path, target.file_path) if v]
    if len(chosen) != 1:
        raise InputError("give exactly one of --sbom, --store-path, --file")
    if target.store_path:
        return f"store path {target.store_path} (NAR sha256)", nar_hasher(target.store_path)
    path = target.sbom_path or target.file_path
    assert path is not None
    return f"{path} (sha256)", sha256_file(path)


def _subjects_text(subjects: tuple[Subject, ...]) -> str:
    shown = ", ".join(f"{s.name}={s.sha256[:12]}…" for s in subjects[:4])
    return shown + (f" and {len(subjects) - 4} more" if len(subjects) > 4 else "")


def _check_dsse_target(
    stmt: Mapping[str, Any], subjects: tuple[Subject, ...], target: VerifyTarget, nar_hasher: NarHasher
) -> list[str]:
    checks: list[str] = []
    digests = {s.sha256 for s in subjects}
    if target.sbom_path:
        doc = load_document(target.sbom_path)
        if stmt.get("predicateType") in SBOM_PREDICATE_TYPES:
            if stmt.get("predicate") != doc:
                raise VerificationError(
                    f"SBOM check failed: {target.sbom_path} differs from the SBOM in the attestation"
                )
            checks.append(f"SBOM {target.sbom_path} equals the attested SBOM")
        file_digest = sha256_file(target.sbom_path)
        try:
            root = root_subject(from_document(doc, source=target.sbom_path))
        except InputError:  # not a (valid, built) SBOM root: the file itself may still be the subject
            root = None
        if root is not None and root.sha256 in digests:
            checks.append(f"subject {root.name} (the SBOM's root, NAR sha256 {root.sha256}) is attested")
        elif file_digest in digests:
            checks.append(f"subject {target.sbom_path} (sha256 {file_digest}) is attested")
        elif stmt.get("predicateType") not in SBOM_PREDICATE_TYPES or root is not None:
            what = f"the SBOM's root {root.name} ({root.sha256})" if root else f"{target.sbom_path}"
            raise VerificationError(
                f"subject check failed: {what} is not a subject of the attestation "
                f"(subjects: {_subjects_text(subjects)})"
            )
        return checks
    label, digest = _target_digest(target, nar_hasher)
    if digest not in digests:
        raise VerificationError(
            f"subject check failed: {label} {digest} is not a subject of the attestation "
            f"(subjects: {_subjects_text(subjects)})"
        )
    checks.append(f"subject digest matches {label} {digest}")
    return checks


def verify_attestation(
    bundle_path: str | os.PathLike[str],
    target: VerifyTarget,
    policy: IdentityPolicy,
    trusted_root: TrustedRoot,
    *,
    nar_hasher: NarHasher = nar_sha256_hex,
) -> VerifiedAttestation:
    """Verify everything; raise :class:`VerificationError` naming the first check that failed."""
    bundle, doc = load_bundle(bundle_path)
    return verify_bundle(bundle, doc, str(bundle_path), target, policy, trusted_root, nar_hasher=nar_hasher)


def verify_bundle(
    bundle: Bundle,
    doc: Mapping[str, Any],
    source: str,
    target: VerifyTarget,
    policy: IdentityPolicy,
    trusted_root: TrustedRoot,
    *,
    nar_hasher: NarHasher = nar_sha256_hex,
) -> VerifiedAttestation:
    """Verify a parsed bundle (``source`` names where it came from: a file, a GitHub attestation)."""
    try:
        gh_policy = GitHubIdentityPolicy(policy)
    except Exception as exc:  # re.error or the identity/regexp conflict
        raise InputError(f"invalid identity policy: {exc}") from exc
    verifier = Verifier(trusted_root=trusted_root)
    media = str(doc.get("mediaType"))
    log_index = _log_index(doc)
    base_checks = [
        f"bundle {media.rsplit('=', 1)[-1] if 'version=' in media else media}",
        "signature, certificate chain to the trusted root, SCT",
        _log_check(doc, log_index),
    ]

    if "dsseEnvelope" in doc:
        try:
            payload_type, payload = verifier.verify_dsse(bundle, gh_policy)
        except SigstoreError as exc:
            raise _sigstore_failure(exc) from exc
        if payload_type != INTOTO_PAYLOAD_TYPE:
            raise VerificationError(
                f"statement check failed: DSSE payload type is {payload_type}, not in-toto"
            )
        try:
            stmt = loads_json(payload)
        except ValueError as exc:
            raise VerificationError("statement check failed: the signed payload is not JSON") from exc
        if not isinstance(stmt, dict) or stmt.get("_type") not in _STATEMENT_TYPES:
            raise VerificationError("statement check failed: the signed payload is not an in-toto statement")
        subjects = statement_subjects(stmt)
        if not subjects:
            raise VerificationError("statement check failed: no subject has a sha256 digest")
        target_checks = _check_dsse_target(stmt, subjects, target, nar_hasher)
        predicate = stmt.get("predicate")
        return VerifiedAttestation(
            bundle_path=source,
            predicate_type=str(stmt.get("predicateType", "")),
            subjects=subjects,
            checks=(*base_checks, *gh_policy.checked, "in-toto statement", *target_checks),
            predicate_json=json.dumps(predicate, sort_keys=True) if predicate is not None else None,
            **_signer_fields(gh_policy, doc, log_index),
        )

    label, digest = _target_digest(target, nar_hasher)
    signed = _message_digest(doc)
    hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(digest))
    try:
        verifier.verify_artifact(hashed, bundle, gh_policy)
    except SigstoreError as exc:
        # sigstore reports a bad signature and a different file alike; the bundle names the digest it
        # signed, so when that is ours the signature is at fault, not the subject
        if (
            isinstance(exc, SigstoreVerificationError)
            and any(m in str(exc).lower() for m in _ARTIFACT_MISMATCH)
            and signed != digest
        ):
            raise VerificationError(
                f"subject check failed: {label} {digest} is not the signed artifact"
            ) from exc
        raise _sigstore_failure(exc) from exc
    name = target.store_path or os.path.basename(target.sbom_path or target.file_path or "")
    return VerifiedAttestation(
        bundle_path=source,
        predicate_type=MESSAGE_SIGNATURE,
        subjects=(Subject(name=name, sha256=digest),),
        checks=(*base_checks, *gh_policy.checked, f"signed artifact is {label} {digest}"),
        **_signer_fields(gh_policy, doc, log_index),
    )


class _SignerFields(TypedDict):
    identity: str
    issuer: str
    log_index: int | None
    integrated_time: int | None
    repository: str | None
    workflow: str | None
    ref: str | None


def _signer_fields(
    gh_policy: GitHubIdentityPolicy, doc: Mapping[str, Any], log_index: int | None
) -> _SignerFields:
    """Who signed and when, from the verified certificate and the verified log entry."""
    c = gh_policy.claims
    return _SignerFields(
        identity=(c.san if c else None) or "",
        issuer=(c.issuer if c else None) or "",
        log_index=log_index,
        integrated_time=_integrated_time(doc),
        repository=c.repository if c else None,
        workflow=c.signer_uri if c else None,
        ref=c.ref if c else None,
    )


def _log_check(doc: Mapping[str, Any], log_index: int | None) -> str:
    if needs_promise_verification(doc):
        where = f" (log index {log_index})" if log_index is not None else ""
        return (
            f"transparency log entry{where} verified by its signed entry timestamp (SET), no checkpointed "
            "inclusion proof (bundle v0.1; the proof's Merkle path to its unsigned root hash was recomputed)"
        )
    return f"transparency log inclusion (log index {log_index})" if log_index is not None else "signed time"


def _message_digest(doc: Mapping[str, Any]) -> str | None:
    """The sha256 (hex) a message-signature bundle says it signed, when it says so."""
    md = (doc.get("messageSignature") or {}).get("messageDigest") or {}
    if md.get("algorithm") not in ("SHA2_256", None) or not isinstance(md.get("digest"), str):
        return None
    try:
        return base64.b64decode(md["digest"], validate=True).hex()
    except (binascii.Error, ValueError):
        return None


def _integrated_time(doc: Mapping[str, Any]) -> int | None:
    entries = (doc.get("verificationMaterial") or {}).get("tlogEntries") or []
    try:
        when = int(entries[0]["integratedTime"]) if entries else 0
    except (KeyError, TypeError, ValueError):
        return None
    return when if when > 0 else None  # 0 / absent: the log gave no integrated time (a v2 log entry)


def _log_index(doc: Mapping[str, Any]) -> int | None:
    entries = (doc.get("verificationMaterial") or {}).get("tlogEntries") or []
    try:
        return int(entries[0]["logIndex"]) if entries else None
    except (KeyError, TypeError, ValueError):
        return None
