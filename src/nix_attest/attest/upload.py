"""Store a bundle with GitHub's attestations API so ``gh attestation verify --owner`` finds it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..errors import ExternalError, InputError
from ..github.http import (
    GitHubAuthError,
    GitHubClient,
    GitHubError,
    GitHubNotFoundError,
    GitHubPermissionError,
)

_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
# GitHub's answer when the plan has no attestations for this repository, e.g. "Feature not available for
# user-owned private repositories. To enable this feature, please make this repository public." or
# "Feature not available for the ORG organization. To enable this feature, please upgrade the billing
# plan, or make this repository public."
_PLAN = re.compile(r"feature not available|upgrade the billing plan|make this repository public", re.I)


def _github_message(message: str) -> str:
    """GitHub's own words from a client error ("GitHub API POST /...: 403 <message>"), bounded."""
    text = message.split(": 403 ", 1)[-1]
    return text if len(text) <= 200 else text[:197] + "..."


@dataclass(frozen=True, slots=True)
class UploadedAttestation:
    id: int
    url: str


MAX_ATTESTATION_BYTES = 16 * 1024 * 1024  # GitHub's attestation service rejects larger SBOMs


def upload_attestation(
    client: GitHubClient, repository: str, bundle_json: str, *, server_url: str = "https://github.com"
) -> UploadedAttestation:
    """POST ``{"bundle": <bundle>}`` to ``/repos/{owner}/{repo}/attestations`` (``attestations: write``)."""
    if not _REPO.match(repository):
        raise InputError(f"repository must be OWNER/REPO, got {repository!r}")
    size = len(bundle_json.encode())
    if size > MAX_ATTESTATION_BYTES:
        raise ExternalError(
            f"the bundle is {size / 2**20:.1f} MiB; GitHub's attestation service accepts at most 16 MiB",
            hint="attest the runtime closure, or keep the bundle file and skip --upload-attestation",
        )
    try:
        bundle = json.loads(bundle_json)
    except json.JSONDecodeError as exc:
        raise InputError(f"bundle to upload is not JSON: {exc.msg}") from exc
    try:
        resp = client.request("POST", f"/repos/{repository}/attestations", json={"bundle": bundle})
    except GitHubPermissionError as err:
        if _PLAN.search(err.message):  # the token may, the plan may not: say so, not "permissions"
            raise ExternalError(
                f"GitHub's attestations API is not available for {repository} (HTTP 403: "
                f"{_github_message(err.message)})",
                hint="storing attestations of a private or internal repository needs GitHub Enterprise "
                "Cloud; public repositories work on every plan; the signed bundles are kept",
            ) from err
        raise ExternalError(
            f"GitHub refused the attestation upload to {repository} (HTTP {err.status})",
            hint="the job needs `permissions: attestations: write`",
        ) from err
    except GitHubAuthError as err:
        raise ExternalError(
            f"GitHub refused the attestation upload to {repository} (HTTP {err.status})",
            hint="the job needs `permissions: attestations: write`",
        ) from err
    except GitHubNotFoundError as err:
        raise ExternalError(
            f"GitHub attestations API not found for {repository} (HTTP 404)",
            hint="check the repository name and that the token can see it",
        ) from err
    except GitHubError as err:
        raise ExternalError(f"uploading the attestation to {repository} failed: {err.message}") from err
    try:
        ident = resp.json().get("id")
    except (ValueError, AttributeError):
        ident = None
    if not isinstance(ident, int):
        raise ExternalError("GitHub's attestation response has no id")
    return UploadedAttestation(id=ident, url=f"{server_url.rstrip('/')}/{repository}/attestations/{ident}")
