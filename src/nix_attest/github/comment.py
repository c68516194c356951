"""The sticky PR comment: one per installable and workflow job, found by a hidden marker and its author.

Listing is paginated (``per_page=100``); a comment counts as ours only when it starts with the marker
AND was written by the token's own identity (``github-actions[bot]`` for the Actions installation token,
the ``GET /user`` login for a personal token), so nobody can hijack the comment by pasting the marker.
A matching comment is edited in place (not touched when the body is unchanged); otherwise a new one
is posted. When none has the marker, a comment of ours with a legacy marker (the key an earlier version
used for the same use) is adopted: rewritten under the new marker, so an upgrade does not post a second
comment. A 403 (fork PRs, read-only tokens) is not a failure: the result carries a warning.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import requests

from ..errors import InputError
from ..report.md import inert
from .http import GitHubClient, GitHubPermissionError
from .limits import MAX_COMMENT_CHARS, truncate

BOT_LOGIN = "github-actions[bot]"
MARKER_PREFIX = "<!-- nix-attest:"

FORK_WARNING = (
    "nix-attest cannot comment on this pull request: the token is read-only "
    "(403 Resource not accessible by integration, usual for pull requests from forks); "
    "the job summary and the report artifact are still written; to comment on fork PRs, "
    "set comment: never for forks and comment from a `workflow_run` workflow that re-renders the "
    "artifact (see workflows-examples/fork-safe-comment.yml)"
)

Action = Literal["created", "updated", "unchanged", "skipped"]


@dataclass(frozen=True, slots=True)
class CommentResult:
    action: Action
    comment_id: int | None = None
    url: str | None = None
    warning: str | None = None


def marker(installable: str, job: str) -> str:
    """The hidden marker identifying the comment for one installable in one workflow job (outside a
    matrix; ``github.identity`` gives the key of a matrix leg or a named comment group)."""
    return marker_for(f"{installable}|{job}")


def marker_for(key: str) -> str:
    """The hidden marker of the comment identified by ``key`` (only a digest of it is shown)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{MARKER_PREFIX}{digest} -->"


def fork_safe_marker(key: str) -> str:
    """The marker of a comment the fork-safe ``workflow_run`` side writes for the comment ``key`` a pull
    request run's ``run.json`` gives. That key is the fork's word (anyone can work out the key of
    another workflow's sticky comment on the same pull request: ``installable|workflow/job``), so it
    is kept apart from every key a workflow of the repository uses: those come from arguments and the
    environment, which cannot hold the NUL that starts this one."""
    return marker_for(f"\0workflow_run\0{key}")


def split_repository(repository: str) -> tuple[str, str]:
    owner, sep, name = repository.partition("/")
    if not sep or not owner or not name or "/" in name:
        raise InputError(f"repository must be OWNER/REPO, got {repository!r}")
    return owner, name


def token_author(client: GitHubClient) -> str:
    """The login comments written with this token get: the bot for installation tokens."""
    if client.is_installation_token:
        return BOT_LOGIN
    try:
        data = client.get_json("/user")
    except GitHubPermissionError:  # an installation token of another shape (GHES, GitHub App)
        return BOT_LOGIN
    login = data.get("login") if isinstance(data, dict) else None
    if not isinstance(login, str) or not login:
        return BOT_LOGIN
    return login


def with_marker(body: str, mark: str) -> str:
    """Our marker on the first line (always: a marker elsewhere in the body proves nothing), then the
    body made inert (no mentions, references or HTML comments from data), cut to GitHub's limit."""
    rest = body.removeprefix(f"{mark}\n")
    text = f"{mark}\n{inert(rest)}"
    return truncate(text, MAX_COMMENT_CHARS, "\n\n_(truncated: see the job summary)_\n")


def is_ours(comment: dict[str, object], mark: str, author: str) -> bool:
    """Written by ``author`` AND starting with ``mark``: a marker quoted inside someone else's report
    (a component named like it) or pasted by another user does not make a comment ours."""
    user = comment.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    body = comment.get("body")
    return login == author and isinstance(body, str) and body.startswith(mark)


def find_comment(
    client: GitHubClient,
    repository: str,
    number: int,
    mark: str,
    author: str,
    legacy_marks: Sequence[str] = (),
) -> dict[str, object] | None:
    """Our comment with ``mark``; else the first of ours with one of ``legacy_marks`` (to adopt)."""
    owner, name = split_repository(repository)
    path = f"/repos/{owner}/{name}/issues/{number}/comments"
    adoptable = None
    for comment in client.paginate(path, {"per_page": 100}):
        if is_ours(comment, mark, author):
            return comment
        if adoptable is None and any(is_ours(comment, old, author) for old in legacy_marks if old != mark):
            adoptable = comment
    return adoptable


def upsert_comment(
    client: GitHubClient,
    repository: str,
    number: int,
    body: str,
    mark: str,
    *,
    author: str | None = None,
    create: bool = True,
    legacy_marks: Sequence[str] = (),
) -> CommentResult:
    """Create or update the sticky comment; a permission failure becomes a warning, not an error.

    With ``create=False`` only an existing comment is updated (``comment: on-failure`` after a fix).
    ``legacy_marks``: markers earlier versions gave this comment; one of ours found under them (and
    none under ``mark``) is updated and so takes ``mark``."""
    owner, name = split_repository(repository)
    text = with_marker(body, mark)
    try:
        who = author or token_author(client)
        existing = find_comment(client, repository, number, mark, who, legacy_marks)
        if existing is not None:
            cid = _int(existing.get("id"))
            url = _str(existing.get("html_url"))
            if existing.get("body") == text:
                return CommentResult("unchanged", cid, url)
            data = _obj(
                client.request("PATCH", f"/repos/{owner}/{name}/issues/comments/{cid}", json={"body": text})
            )
            return CommentResult("updated", cid, _str(data.get("html_url")) or url)
        if not create:
            return CommentResult("skipped")
        data = _obj(
            client.request("POST", f"/repos/{owner}/{name}/issues/{number}/comments", json={"body": text})
        )
        return CommentResult("created", _int(data.get("id")), _str(data.get("html_url")))
    except GitHubPermissionError as err:
        return CommentResult("skipped", warning=f"{FORK_WARNING} [{err.message}]")


def _obj(response: requests.Response) -> dict[str, object]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
