"""The environment handed to every subprocess that may evaluate or touch pull-request content (nix,
nix-store, git, nickel): the job's environment without its secrets.

An impure Nix evaluation (``-f file.nix``, ``--impure``) can read any variable with ``builtins.getEnv`` and
write it into a derivation name, a meta field, and from there into the SBOM, the comment and the
uploaded artifact. So every variable that may hold a credential is removed before such a process
starts: the names and glob patterns in :data:`SCRUBBED` (matched case-insensitively), plus any the user
lists in ``NIX_ATTEST_SCRUB_ENV`` (names or globs, separated by spaces, commas or colons).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from fnmatch import fnmatchcase

USER_VARIABLE = "NIX_ATTEST_SCRUB_ENV"

SCRUBBED: tuple[str, ...] = (
    # GitHub: the job token, the gh CLI's, every action input (INPUT_GITHUB_TOKEN, ...)
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GH_ENTERPRISE_TOKEN",
    "GITHUB_ENTERPRISE_TOKEN",
    "INPUT_*",
    # Actions runtime: OIDC token requests (signing identity), cache and artifact service
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_RUNTIME_URL",
    "ACTIONS_CACHE_URL",
    "ACTIONS_RESULTS_URL",
    # Sigstore: an identity token given through the environment
    "SIGSTORE_ID_TOKEN",
    # anything named like a credential
    "*TOKEN*",
    "*SECRET*",
    "*PASSWORD*",
    "*PASSWD*",
    "*CREDENTIAL*",
    "*API_KEY*",
    "*PRIVATE_KEY*",
)

_SEPARATORS = re.compile(r"[\s,:]+")


def user_patterns(env: Mapping[str, str]) -> tuple[str, ...]:
    """The extra names or globs listed in ``NIX_ATTEST_SCRUB_ENV``."""
    return tuple(p for p in _SEPARATORS.split(env.get(USER_VARIABLE, "")) if p)


def is_scrubbed(name: str, extra: tuple[str, ...] = ()) -> bool:
    upper = name.upper()
    return any(fnmatchcase(upper, pattern.upper()) for pattern in (*SCRUBBED, *extra))


def child_env(base: Mapping[str, str] | None = None, **overrides: str) -> dict[str, str]:
    """``base`` (default: this process's environment) without secrets, then ``overrides`` applied."""
    env = os.environ if base is None else base
    extra = user_patterns(env)
    kept = {name: value for name, value in env.items() if not is_scrubbed(name, extra)}
    kept.update(overrides)
    return kept
