"""The identity token for keyless signing: explicit, or the ambient GitHub Actions OIDC token."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ..errors import ExternalError, InputError
from ..github.actions import in_actions

AUDIENCE = "sigstore"
_PERMISSION_HINT = "add `permissions: id-token: write` to the job (or workflow) that signs"


def _with_audience(url: str, audience: str) -> str:
    parts = urlsplit(url)
    query = (
        f"{parts.query}&{urlencode({'audience': audience})}"
        if parts.query
        else urlencode({"audience": audience})
    )
    return urlunsplit(parts._replace(query=query))


def ambient_github_token(
    env: Mapping[str, str],
    *,
    timeout: float = 15.0,
    attempts: int = 3,
    backoff: float = 1.0,
) -> str:
    """Request a GitHub Actions OIDC token for audience ``sigstore`` (timeouts; urllib3 retries with
    backoff on connection errors, 429 and 5xx)."""
    url = env.get("ACTIONS_ID_TOKEN_REQUEST_URL", "").strip()
    bearer = env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "").strip()
    if not url or not bearer:
        raise InputError(f"no GitHub OIDC token available in this job: {_PERMISSION_HINT}")
    retry = Retry(
        total=attempts - 1,
        backoff_factor=backoff,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET"}),
        raise_on_status=False,
    )
    with requests.Session() as http:
        http.mount("http://", HTTPAdapter(max_retries=retry))
        http.mount("https://", HTTPAdapter(max_retries=retry))
        try:
            resp = http.get(
                _with_audience(url, AUDIENCE),
                headers={"Authorization": f"bearer {bearer}", "Accept": "application/json"},
                timeout=timeout,
            )
        except requests.RequestException as exc:
            raise ExternalError(
                f"GitHub OIDC token request failed after {attempts} attempts: {type(exc).__name__}"
            ) from None
    if resp.status_code in (401, 403):
        raise InputError(
            f"GitHub refused the OIDC token request (HTTP {resp.status_code}): {_PERMISSION_HINT}"
        )
    if resp.status_code != 200:
        raise ExternalError(f"GitHub OIDC token request failed: HTTP {resp.status_code}")
    try:
        value = resp.json().get("value")
    except (ValueError, AttributeError):
        value = None
    if not isinstance(value, str) or not value:
        raise ExternalError("GitHub OIDC token response has no token value")
    return value


def resolve_identity_token(
    explicit: str | None,
    env: Mapping[str, str],
    *,
    timeout: float = 15.0,
) -> str:
    """``--identity-token`` wins; then ``SIGSTORE_ID_TOKEN``; then the ambient GitHub Actions token."""
    if explicit:
        return explicit.strip()
    from_env = env.get("SIGSTORE_ID_TOKEN", "").strip()
    if from_env:
        return from_env
    if in_actions(env):
        return ambient_github_token(env, timeout=timeout)
    raise InputError(
        "no identity token: pass --identity-token (or SIGSTORE_ID_TOKEN), or sign in GitHub Actions "
        "with `permissions: id-token: write`"
    )
