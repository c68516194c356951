"""Records produced by signing / verification and consumed by reports and the GitHub action."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Subject:
    name: str  # store path or file name
    sha256: str  # hex


@dataclass(frozen=True, slots=True)
class SignedBundle:
    kind: str  # "sbom" | "provenance"
    predicate_type: str
    bundle_path: str
    subjects: tuple[Subject, ...]
    rekor_log_index: int | None = None
    rekor_url: str | None = None  # a link a human can open for the log entry
    attestation_url: str | None = None  # GitHub attestation URL after --upload-attestation


@dataclass(frozen=True, slots=True)
class VerifiedAttestation:
    bundle_path: str
    predicate_type: str
    subjects: tuple[Subject, ...]
    identity: str  # certificate SAN
    issuer: str
    checks: tuple[str, ...]  # human-readable list of what was verified
