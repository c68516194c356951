"""Store a bundle with GitHub's attestations API so ``gh attestation verify --owner`` finds it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

import requests

from ..errors import ExternalError, InputError

_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class JsonHttpClient(Protocol):
    """What is needed from an HTTP client (``nix_attest.github.http.GitHubClient`` fits)."""

    def request(self, method: str, path: str, *, json: Any = None) -> requests.Response: ...


@dataclass(frozen=True, slots=True)
class UploadedAttestation:
    id: int
    url: str


def upload_attestation(
    client: JsonHttpClient, repository: str, bundle_json: str, *, server_url: str = "https://github.com"
) -> UploadedAttestation:
    """POST ``{"bundle": <bundle>}`` to ``/repos/{owner}/{repo}/attestations`` (``attestations: write``)."""
    if not _REPO.match(repository):
        raise InputError(f"repository must be OWNER/REPO, got {repository!r}")
    try:
        bundle = json.loads(bundle_json)
    except json.JSONDecodeError as exc:
        raise InputError(f"bundle to upload is not JSON: {exc.msg}") from exc
    try:
        resp = client.request("POST", f"/repos/{repository}/attestations", json={"bundle": bundle})
    except requests.RequestException as exc:
        raise ExternalError(
            f"uploading the attestation to {repository} failed: {type(exc).__name__}"
        ) from exc
    if resp.status_code in (401, 403):
        raise ExternalError(
            f"GitHub refused the attestation upload to {repository} (HTTP {resp.status_code})",
            hint="the job needs `permissions: attestations: write`",
        )
    if resp.status_code == 404:
        raise ExternalError(
            f"GitHub attestations API not found for {repository} (HTTP 404)",
            hint="check the repository name and that the token can see it",
        )
    if resp.status_code not in (200, 201):
        raise ExternalError(f"uploading the attestation to {repository} failed: HTTP {resp.status_code}")
    try:
        ident = resp.json().get("id")
    except (ValueError, AttributeError):
        ident = None
    if not isinstance(ident, int):
        raise ExternalError("GitHub's attestation response has no id")
    return UploadedAttestation(id=ident, url=f"{server_url.rstrip('/')}/{repository}/attestations/{ident}")


class SimpleGitHubClient:
    """Minimal client (token auth, timeout) used when ``nix_attest.github.http`` is not available."""

    def __init__(self, api_url: str, token: str, *, timeout: float = 30.0) -> None:
        self._api = api_url.rstrip("/")
        self._timeout = timeout
        self._session = requests.Session()
        self._session.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            }
        )

    def request(self, method: str, path: str, *, json: Any = None) -> requests.Response:
        return self._session.request(method, f"{self._api}{path}", json=json, timeout=self._timeout)
