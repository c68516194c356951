"""The GitHub token: one place decides where it comes from (never the command line)."""

from __future__ import annotations

from collections.abc import Mapping

from .actions import set_secret

TOKEN_VARIABLES = ("INPUT_GITHUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN")


def resolve_token(env: Mapping[str, str]) -> str | None:
    """The first non-empty of the action input ``github-token`` (``INPUT_GITHUB_TOKEN``), ``GITHUB_TOKEN``
    and ``GH_TOKEN``, masked in the Actions log; None when none is set."""
    for name in TOKEN_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            set_secret(value)
            return value
    return None
