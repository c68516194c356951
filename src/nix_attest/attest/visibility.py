"""Never sign a private repository into a public transparency log without being told to.

Keyless signing with Sigstore's public-good instance publishes the signing certificate, and with it
the repository's name, the workflow path and the commit, in the public Rekor log, for good. GitHub's
``actions/attest`` uses public-good only when the event's ``repository.visibility`` is exactly
``public``; slsa-github-generator refuses private repositories unless ``private-repository: true``.
nix-attest does the same: in GitHub Actions (an event file in ``GITHUB_EVENT_PATH``) signing needs
the event to say the repository is public, or the opt-in ``--private-repository`` (action input
``private-repository: true``). The check reads only the local event file, so it runs before any
Sigstore service (or the OIDC token endpoint) is contacted. Outside GitHub Actions (no event file and
no ``GITHUB_ACTIONS=true``) nothing is checked; in GitHub Actions a missing or unreadable event file
counts as not public. The identity token's own ``repository_visibility`` claim (GitHub's word at
signing time; an earlier step of the job can rewrite the event file) is checked again once the token
is there, still before Sigstore. It applies to any trust configuration: nix-attest cannot tell whether
a given log is public.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import UsageError
from ..github.actions import in_actions
from ..untrusted import TooDeep, loads_json

OPT_IN = "pass --private-repository (action input private-repository: true) to sign anyway"


class PrivateRepositoryError(UsageError):
    """Signing was refused: the repository is not known to be public (exit 2)."""


def repository_visibility(env: Mapping[str, str]) -> str | None:
    """``public``, ``private``, ``internal`` or ``unknown`` from the event file; None outside Actions.

    Payloads without ``visibility`` (older GitHub Enterprise Server) fall back to ``private``
    (``false``: public). Contradicting or malformed fields count as not public."""
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return "unknown" if in_actions(env) else None
    try:
        with open(path, encoding="utf-8") as fh:
            event: Any = loads_json(fh.read())
    except (OSError, ValueError, TooDeep):
        return "unknown"
    repository = event.get("repository") if isinstance(event, dict) else None
    if not isinstance(repository, dict):
        return "unknown"
    visibility = repository.get("visibility")
    private = repository.get("private")
    if visibility is None:
        if private is False:
            return "public"
        return "private" if private is True else "unknown"
    if not isinstance(visibility, str):
        return "unknown"
    if visibility == "public" and "private" in repository and private is not False:
        return "unknown"
    return visibility if visibility in ("public", "private", "internal") else "unknown"


def check_signing_allowed(env: Mapping[str, str], *, private_repository: bool) -> None:
    """Raise :class:`PrivateRepositoryError` unless signing may go to a public log."""
    if private_repository:
        return
    visibility = repository_visibility(env)
    if visibility in (None, "public"):
        return
    repo = env.get("GITHUB_REPOSITORY") or "this repository"
    if visibility == "unknown":
        why = f"cannot tell from the event ({env.get('GITHUB_EVENT_PATH')}) whether {repo} is public"
    else:
        why = f"{repo} is {visibility} (repository.visibility in the event)"
    raise PrivateRepositoryError(
        f"refusing to sign: {why}, and signing publishes the repository name, workflow path and commit "
        f"in Sigstore's public transparency log; {OPT_IN}"
    )


def check_token_visibility(
    claims: Mapping[str, object], env: Mapping[str, str], *, private_repository: bool
) -> None:
    """Raise :class:`PrivateRepositoryError` when the identity token's ``repository_visibility`` claim
    (GitHub Actions tokens carry it) is there and not exactly ``public``."""
    if private_repository or "repository_visibility" not in claims:
        return
    value = claims["repository_visibility"]
    if value == "public":
        return
    repo = claims.get("repository") or env.get("GITHUB_REPOSITORY") or "this repository"
    shown = value if isinstance(value, str) and value.isprintable() and len(value) < 40 else "not public"
    raise PrivateRepositoryError(
        f"refusing to sign: the identity token says {repo} is {shown} (repository_visibility), and "
        f"signing publishes the repository name, workflow path and commit in Sigstore's public "
        f"transparency log; {OPT_IN}"
    )
