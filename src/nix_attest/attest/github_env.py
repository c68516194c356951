"""Read the GitHub Actions environment into a :class:`GitHubContext` (nothing here touches the network)."""

from __future__ import annotations

from collections.abc import Mapping

from .model import GitHubContext


def github_context(env: Mapping[str, str]) -> GitHubContext | None:
    """The workflow run described by ``GITHUB_*`` variables, or None outside GitHub Actions."""
    if env.get("GITHUB_ACTIONS") != "true" and not env.get("GITHUB_WORKFLOW_REF"):
        return None

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    return GitHubContext(
        server_url=get("GITHUB_SERVER_URL") or "https://github.com",
        api_url=get("GITHUB_API_URL") or "https://api.github.com",
        repository=get("GITHUB_REPOSITORY"),
        workflow_ref=get("GITHUB_WORKFLOW_REF"),
        ref=get("GITHUB_REF"),
        sha=get("GITHUB_SHA"),
        run_id=get("GITHUB_RUN_ID"),
        run_attempt=get("GITHUB_RUN_ATTEMPT"),
        event_name=get("GITHUB_EVENT_NAME"),
    )
