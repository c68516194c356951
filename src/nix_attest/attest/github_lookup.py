"""Find attestations by subject digest with GitHub's attestations API, as ``gh attestation verify`` does.

``GET /repos/{owner}/{repo}/attestations/sha256:{hex}`` (``--repository``) or, for ``--owner``,
``GET /orgs/{org}/attestations/sha256:{hex}`` then, when that answers 404, the personal-account endpoint
``GET /users/{username}/attestations/sha256:{hex}`` (organizations and users share one namespace, so at
most one of them names the owner; each answers 404 for the other kind of account) answer
``{"attestations": [{"bundle": {...} | null, "repository_id": N, "bundle_url": "https://..."}]}``, paged
with ``Link`` headers (cursor ``after``); GitHub answers 404 when it holds none for the digest. An entry
without an inline ``bundle`` is fetched from its ``bundle_url`` (pre-signed storage, no token sent there):
the body is the bundle JSON compressed with Snappy (block format, ``application/x-snappy``), which ``gh``
decodes with ``snappy.Decode``; cramjam's ``decompress_raw`` is the same format.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import cramjam

from ..errors import ExternalError, InputError
from ..github.http import (
    GitHubAuthError,
    GitHubClient,
    GitHubError,
    GitHubNotFoundError,
    GitHubPermissionError,
)
from .candidates import MAX_BUNDLE_BYTES, Candidate, Lookup

_NAME = re.compile(r"^(?!\.\.?$)[A-Za-z0-9_.-]+$")  # GitHub's characters; "." and ".." are no names
PER_PAGE = 100
MAX_CANDIDATES = 1000  # as gh's --limit maximum: a digest with more is misuse, not a deployment
MAX_PAGES = 50  # 1,000 candidates in pages of 20 or more; a server that keeps offering more is looping


@dataclass(frozen=True, slots=True)
class AttestationScope:
    """Where to look: one repository (``OWNER/REPO``) or every repository of an owner (an organization or
    a personal account)."""

    repository: str | None = None
    owner: str | None = None

    def __post_init__(self) -> None:
        if (self.repository is None) == (self.owner is None):
            raise InputError("give --repository OWNER/REPO or --owner OWNER to look attestations up")
        if self.repository is not None:
            parts = self.repository.split("/")
            if len(parts) != 2 or not all(_NAME.match(p) for p in parts):
                raise InputError(f"--repository must be OWNER/REPO, got {self.repository!r}")
        if self.owner is not None and not _NAME.match(self.owner):
            raise InputError(f"--owner must be an organization or user name, got {self.owner!r}")

    @property
    def where(self) -> str:
        return self.repository or f"repositories of {self.owner}"

    def paths(self, digest: str) -> tuple[str, ...]:
        """The listing endpoints to ask, in order; the next is asked only when one answers 404."""
        if self.repository is not None:
            return (f"/repos/{self.repository}/attestations/sha256:{digest}",)
        return tuple(f"/{kind}/{self.owner}/attestations/sha256:{digest}" for kind in ("orgs", "users"))


def decode_bundle_blob(data: bytes, content_type: str = "") -> bytes:
    """The bundle JSON from a ``bundle_url`` body: Snappy block format (as gh decodes it); plain JSON is
    accepted only when the server labels it ``application/json``. The decoded size is bounded before
    anything is decompressed (the format starts with it as a varint)."""
    if content_type.split(";", 1)[0].strip().lower() == "application/json":
        return data
    size, shift = 0, 0
    for i, byte in enumerate(data[:10]):
        size |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
        if i == 9:
            raise ValueError("not Snappy data (bad length header)")
    else:
        raise ValueError("empty or truncated Snappy data")
    if size > MAX_BUNDLE_BYTES:
        raise ValueError(f"the bundle would be {size} bytes, more than {MAX_BUNDLE_BYTES}")
    try:
        return bytes(cramjam.snappy.decompress_raw(data))
    except cramjam.DecompressionError as exc:
        raise ValueError(f"not Snappy data ({str(exc)[:100]})") from exc


def _refused(err: GitHubError, scope: AttestationScope, has_token: bool) -> ExternalError:
    where = scope.where
    if not has_token:
        return ExternalError(
            f"GitHub refused to list the attestations of {where} without a token (HTTP {err.status})",
            hint="set GITHUB_TOKEN or GH_TOKEN to a token that can read them (`attestations: read`)",
        )
    if isinstance(err, GitHubAuthError):
        return ExternalError(
            f"GitHub rejected the token listing the attestations of {where} (HTTP 401)",
            hint="the token in GITHUB_TOKEN / GH_TOKEN is wrong or expired",
        )
    return ExternalError(
        f"the token may not list the attestations of {where} (HTTP 403)",
        hint="it needs read access to the repository and the `attestations: read` permission "
        "(in a workflow: `permissions: attestations: read`)",
    )


def list_attestations(
    client: GitHubClient,
    scope: AttestationScope,
    digest: str,
    *,
    predicate_type: str | None = None,
    has_token: bool = True,
) -> Lookup:
    """The candidate bundles GitHub holds for ``sha256:digest`` in ``scope`` (none: ``none_reason``)."""
    params: dict[str, str | int] = {"per_page": PER_PAGE}
    if predicate_type:
        params["predicate_type"] = predicate_type
    entries: list[dict[str, Any]] = []
    for path in scope.paths(digest):
        try:
            for entry in client.paginate(path, params, items_key="attestations", max_pages=MAX_PAGES):
                entries.append(entry)
                if len(entries) >= MAX_CANDIDATES:
                    break
        except (GitHubAuthError, GitHubPermissionError) as err:
            raise _refused(err, scope, has_token) from err
        except GitHubNotFoundError:
            if entries:  # a later page vanished: keep what was listed, ask no other kind of account
                break
            continue  # none for the digest here, or the owner is the other kind of account
        except GitHubError as err:
            raise ExternalError(f"listing the attestations of {scope.where} failed: {err.message}") from err
        break
    if not entries:
        kind = f" of {predicate_type}" if predicate_type else ""
        # GitHub answers 404 alike for "none" and for a private repository the request may not see
        hint = "" if has_token else " (no token set: for a private repository set GITHUB_TOKEN or GH_TOKEN)"
        return Lookup(
            scope.where,
            none_reason=f"GitHub has no attestation{kind} for sha256:{digest} in {scope.where}{hint}",
        )
    total = len(entries)
    return Lookup(scope.where, tuple(_candidate(client, e, n, total) for n, e in enumerate(entries, start=1)))


def _candidate(client: GitHubClient, entry: dict[str, Any], n: int, total: int) -> Candidate:
    repo_id = entry.get("repository_id")
    source = f"GitHub attestation {n} of {total}" + (
        f" (repository id {repo_id})" if isinstance(repo_id, int) else ""
    )
    bundle = entry.get("bundle")
    if isinstance(bundle, dict):
        return Candidate(source, raw=json.dumps(bundle).encode())
    url = entry.get("bundle_url")
    if not isinstance(url, str) or not url:
        return Candidate(source, problem="the entry has neither a bundle nor a bundle_url")
    try:
        data, content_type = client.fetch_url(url, max_bytes=MAX_BUNDLE_BYTES)
    except GitHubError as err:
        return Candidate(source, problem=f"fetching its bundle_url failed: {err.message}")
    try:
        return Candidate(source, raw=decode_bundle_blob(data, content_type))
    except ValueError as exc:
        return Candidate(source, problem=f"its bundle_url content is not a bundle: {exc}")
