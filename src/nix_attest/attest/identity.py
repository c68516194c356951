"""Who signed: read the Fulcio certificate's identity (SAN + GitHub OIDC extensions) and check a policy."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cryptography.x509 import (
    Certificate,
    ExtensionNotFound,
    ObjectIdentifier,
    OtherName,
    RFC822Name,
    SubjectAlternativeName,
    UniformResourceIdentifier,
)
from sigstore.errors import VerificationError as SigstoreVerificationError

from .model import IdentityPolicy

# Fulcio certificate extensions (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md).
OID_ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")  # raw bytes
OID_GITHUB_REPOSITORY_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.5")  # raw bytes
OID_GITHUB_REF_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.6")  # raw bytes
OID_ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")  # DER UTF8String
OID_BUILD_SIGNER_URI = ObjectIdentifier("1.3.6.1.4.1.57264.1.9")
OID_SOURCE_REPOSITORY_URI = ObjectIdentifier("1.3.6.1.4.1.57264.1.12")
OID_SOURCE_REPOSITORY_REF = ObjectIdentifier("1.3.6.1.4.1.57264.1.14")


class IdentityMismatch(SigstoreVerificationError):
    """Raised from inside sigstore-python's verification when the certificate identity does not match."""


@dataclass(frozen=True, slots=True)
class CertificateClaims:
    san: str | None
    issuer: str | None
    repository: str | None  # OWNER/REPO
    ref: str | None
    signer_uri: str | None  # the workflow file that signed: https://github.com/O/R/path@ref


def _der_utf8(data: bytes) -> str | None:
    if len(data) < 2 or data[0] != 0x0C:
        return None
    length = data[1]
    offset = 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0 or n > 4 or len(data) < 2 + n:
            return None
        length = int.from_bytes(data[2 : 2 + n], "big")
        offset = 2 + n
    body = data[offset : offset + length]
    if len(body) != length:
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _ext_bytes(cert: Certificate, oid: ObjectIdentifier) -> bytes | None:
    try:
        value = cert.extensions.get_extension_for_oid(oid).value
    except ExtensionNotFound:
        return None
    raw = getattr(value, "value", None)
    return raw if isinstance(raw, bytes) else None


def _ext_v1(cert: Certificate, oid: ObjectIdentifier) -> str | None:
    raw = _ext_bytes(cert, oid)
    try:
        return raw.decode("utf-8") if raw is not None else None
    except UnicodeDecodeError:
        return None


def _ext_v2(cert: Certificate, oid: ObjectIdentifier) -> str | None:
    raw = _ext_bytes(cert, oid)
    return _der_utf8(raw) if raw is not None else None


def _san(cert: Certificate) -> str | None:
    try:
        san = cert.extensions.get_extension_for_class(SubjectAlternativeName).value
    except ExtensionNotFound:
        return None
    for kind in (UniformResourceIdentifier, RFC822Name):
        values = san.get_values_for_type(kind)
        if values:
            return str(values[0])
    for other in san.get_values_for_type(OtherName):
        text = _der_utf8(other.value)
        if text:
            return text
    return None


def _strip_url(url: str) -> str:
    return re.sub(r"^https?://[^/]+/", "", url)


def certificate_claims(cert: Certificate) -> CertificateClaims:
    repo = _ext_v1(cert, OID_GITHUB_REPOSITORY_V1)
    if repo is None:
        uri = _ext_v2(cert, OID_SOURCE_REPOSITORY_URI)
        repo = _strip_url(uri) if uri else None
    san = _san(cert)
    signer = _ext_v2(cert, OID_BUILD_SIGNER_URI) or (san if san and san.startswith("https://") else None)
    return CertificateClaims(
        san=san,
        issuer=_ext_v2(cert, OID_ISSUER_V2) or _ext_v1(cert, OID_ISSUER_V1),
        repository=repo,
        ref=_ext_v2(cert, OID_SOURCE_REPOSITORY_REF) or _ext_v1(cert, OID_GITHUB_REF_V1),
        signer_uri=signer,
    )


def _ref_matches(expected: str, actual: str) -> bool:
    if expected.startswith("refs/"):
        return actual == expected
    return actual in (f"refs/heads/{expected}", f"refs/tags/{expected}")


def _workflow_matches(expected: str, signer_uri: str) -> bool:
    """Match ``x.yml``, ``.github/workflows/x.yml`` or ``OWNER/REPO/.github/workflows/x.yml``."""
    full = _strip_url(signer_uri).split("@", 1)[0]  # OWNER/REPO/.github/workflows/x.yml
    parts = full.split("/", 2)
    if len(parts) != 3:
        return False
    want = expected.strip().split("@", 1)[0].lstrip("/")
    if "/" not in want:
        want = f".github/workflows/{want}"
    if want.startswith(".github/"):
        return parts[2] == want
    wparts = want.split("/", 2)
    return (
        len(wparts) == 3
        and [w.lower() for w in wparts[:2]] == [p.lower() for p in parts[:2]]
        and (wparts[2] == parts[2])
    )


def _names_repository(workflow: str) -> bool:
    """Whether a ``--workflow`` value names its repository (``OWNER/REPO/.github/workflows/x.yml``)."""
    want = workflow.strip().split("@", 1)[0].lstrip("/")
    return "/" in want and not want.startswith(".github/")


def _signer_in(signer_uri: str, repository: str | None, owner: str | None) -> bool:
    """Whether the signer workflow (``https://HOST/OWNER/REPO/PATH@REF``) is one of ``repository`` or of
    a repository of ``owner`` (GitHub names are case-insensitive)."""
    parts = _strip_url(signer_uri).split("/", 2)
    if len(parts) != 3:
        return False
    if repository is not None:
        return [p.lower() for p in parts[:2]] == [p.lower() for p in repository.split("/", 1)]
    return owner is not None and parts[0].lower() == owner.lower()


class GitHubIdentityPolicy:
    """A sigstore-python ``VerificationPolicy`` whose failures say exactly which claim did not match."""

    def __init__(self, policy: IdentityPolicy) -> None:
        if policy.identity and policy.identity_regexp:
            raise ValueError("give either an exact identity or an identity regexp, not both")
        self.policy = policy
        self._regexp = re.compile(policy.identity_regexp) if policy.identity_regexp else None
        self.claims: CertificateClaims | None = None
        self.checked: list[str] = []

    def verify(self, cert: Certificate) -> None:
        p = self.policy
        c = certificate_claims(cert)
        self.claims = c
        checked: list[str] = []
        if c.issuer != p.issuer:
            raise IdentityMismatch(f"OIDC issuer is {c.issuer or 'missing'}, expected {p.issuer}")
        checked.append(f"OIDC issuer {p.issuer}")
        if p.repository is not None:
            if c.repository is None or c.repository.lower() != p.repository.lower():
                raise IdentityMismatch(f"repository is {c.repository or 'missing'}, expected {p.repository}")
            checked.append(f"repository {c.repository}")
        if p.owner is not None:
            owner = c.repository.split("/", 1)[0] if c.repository else None
            if owner is None or owner.lower() != p.owner.lower():
                raise IdentityMismatch(
                    f"repository is {c.repository or 'missing'}, expected a repository of {p.owner}"
                )
            checked.append(f"repository {c.repository} belongs to {p.owner}")
        scope = p.repository or p.owner
        pinned = p.identity or p.identity_regexp or (p.workflow and _names_repository(p.workflow))
        if scope is not None and not pinned:
            # as gh: the signer (the SAN, the workflow file that ran) must be in the repository / owner too,
            # not only the run's repository: a reusable workflow of someone else that the run called (and
            # granted id-token: write) would otherwise sign as the repository. Pin one with --workflow.
            if c.signer_uri is None or not _signer_in(c.signer_uri, p.repository, p.owner):
                raise IdentityMismatch(
                    f"signer workflow is {c.signer_uri or 'missing'}, expected a workflow of {scope} "
                    "(a reusable workflow of another repository: pin it with --workflow OWNER/REPO/PATH)"
                )
            checked.append(f"signer workflow {c.signer_uri} is a workflow of {scope}")
        if p.workflow is not None:
            if c.signer_uri is None or not _workflow_matches(p.workflow, c.signer_uri):
                raise IdentityMismatch(
                    f"signer workflow is {c.signer_uri or 'missing'}, expected {p.workflow}"
                )
            checked.append(f"workflow {c.signer_uri}")
        if p.ref is not None:
            if c.ref is None or not _ref_matches(p.ref, c.ref):
                raise IdentityMismatch(f"ref is {c.ref or 'missing'}, expected {p.ref}")
            checked.append(f"ref {c.ref}")
        if p.identity is not None:
            if c.san != p.identity:
                raise IdentityMismatch(f"certificate identity is {c.san or 'missing'}, expected {p.identity}")
            checked.append(f"identity {c.san}")
        if self._regexp is not None:
            if c.san is None or not self._regexp.fullmatch(c.san):
                raise IdentityMismatch(
                    f"certificate identity {c.san or 'missing'} does not match {p.identity_regexp!r}"
                )
            checked.append(f"identity {c.san} matches {p.identity_regexp!r}")
        self.checked = checked
