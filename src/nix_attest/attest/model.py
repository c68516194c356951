"""Records produced by signing / verification and consumed by reports and the GitHub action."""

from __future__ import annotations

from dataclasses import dataclass

SBOM_PREDICATE_TYPE = "https://cyclonedx.org/bom"
SPDX_PREDICATE_TYPE = "https://spdx.dev/Document"  # an SPDX SBOM (as actions/attest-sbom signs it)
SBOM_PREDICATE_TYPES = (SBOM_PREDICATE_TYPE, SPDX_PREDICATE_TYPE)
SLSA_PREDICATE_TYPE = "https://slsa.dev/provenance/v1"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com"


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
    predicate_json: str | None = None  # the verified predicate (canonical JSON), for DSSE bundles
    log_index: int | None = None
    integrated_time: int | None = None  # the log's integrated time (Unix seconds), when the bundle has it
    repository: str | None = None  # the signer's GitHub repository claim (OWNER/REPO)
    workflow: str | None = None  # the signer workflow (build signer URI)
    ref: str | None = None  # the git ref of the signing run


@dataclass(frozen=True, slots=True)
class GitHubContext:
    """What the GitHub Actions environment tells about the running workflow (all optional)."""

    server_url: str = "https://github.com"
    api_url: str = "https://api.github.com"
    repository: str | None = None  # OWNER/REPO
    workflow_ref: str | None = None  # OWNER/REPO/.github/workflows/x.yml@refs/heads/main
    ref: str | None = None
    sha: str | None = None
    run_id: str | None = None
    run_attempt: str | None = None
    event_name: str | None = None

    @property
    def builder_id(self) -> str | None:
        if not self.workflow_ref:
            return None
        return f"{self.server_url.rstrip('/')}/{self.workflow_ref}"

    @property
    def run_url(self) -> str | None:
        if not (self.repository and self.run_id):
            return None
        url = f"{self.server_url.rstrip('/')}/{self.repository}/actions/runs/{self.run_id}"
        return f"{url}/attempts/{self.run_attempt}" if self.run_attempt else url


@dataclass(frozen=True, slots=True)
class IdentityPolicy:
    """Who must have signed: GitHub claims from the Fulcio certificate, and/or a SAN match."""

    issuer: str = GITHUB_OIDC_ISSUER
    repository: str | None = None  # OWNER/REPO
    owner: str | None = None  # the signer repository must belong to this owner (OWNER/*)
    workflow: str | None = None  # .github/workflows/x.yml (path in the signer workflow's repo)
    ref: str | None = None  # refs/heads/main, refs/tags/v1 (a bare name matches refs/heads|tags/NAME)
    identity: str | None = None  # exact certificate SAN
    identity_regexp: str | None = None  # full-match regular expression on the SAN


@dataclass(frozen=True, slots=True)
class VerifyTarget:
    """What the attestation must be about: exactly one of the three."""

    sbom_path: str | None = None
    store_path: str | None = None
    file_path: str | None = None
