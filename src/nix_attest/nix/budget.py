"""The time and memory budget of every quick ``nix`` command (evaluation, ``derivation show``,
``flake metadata``, ``path-info``): the installable is pull-request code, and Nix catches infinite
recursion but not ``builtins.genList (x: x) 1000000000`` or a fold that runs for hours. Builds are not
bounded here (their time is the user's; Nix has ``--timeout`` and ``--max-silent-time`` for them).

Set by the workflow (never by the pull request): ``NIX_ATTEST_EVAL_SECONDS`` (default 600) and
``NIX_ATTEST_EVAL_MEMORY`` (default 8 GiB, an address-space limit: ``RLIMIT_AS``, not enforced on
macOS); ``unlimited`` turns either off."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import UsageError
from ..sizes import GiB, MiB, describe_size, parse_size

SECONDS_VARIABLE = "NIX_ATTEST_EVAL_SECONDS"
MEMORY_VARIABLE = "NIX_ATTEST_EVAL_MEMORY"
DEFAULT_SECONDS = 600.0
DEFAULT_MEMORY = 8 * GiB
MIN_MEMORY = 256 * MiB  # Nix itself needs about this much address space to start evaluating
UNLIMITED = "unlimited"


@dataclass(frozen=True, slots=True)
class EvalBudget:
    seconds: float | None = DEFAULT_SECONDS  # None: no limit
    memory: int | None = DEFAULT_MEMORY  # bytes of address space; None: no limit

    def over_time(self) -> str:
        return f"took longer than {self.seconds:g} s (eval-seconds, {SECONDS_VARIABLE})"

    def over_memory(self, how: str) -> str:
        assert self.memory is not None
        died = "" if how == "out of memory" else f" or crashed ({how})"
        return f"ran out of its {describe_size(self.memory)} of memory{died} (eval-memory, {MEMORY_VARIABLE})"


def _seconds(text: str) -> float | None:
    if text.lower() == UNLIMITED:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise UsageError(f"{SECONDS_VARIABLE}={text!r}: expected a number of seconds > 0 or '{UNLIMITED}'")
    return value


def _memory(text: str) -> int | None:
    if text.lower() == UNLIMITED:
        return None
    try:
        value = parse_size(int(text) if text.isdigit() else text)
    except ValueError:
        value = -1
    if value < MIN_MEMORY:
        raise UsageError(
            f"{MEMORY_VARIABLE}={text!r}: expected a size of at least {describe_size(MIN_MEMORY)} "
            f"such as '8 GiB', or '{UNLIMITED}'"
        )
    return value


def eval_budget(env: Mapping[str, str] | None = None) -> EvalBudget:
    """The budget the environment asks for (an empty variable is the default); a bad value is exit 2."""
    env = os.environ if env is None else env
    seconds = env.get(SECONDS_VARIABLE, "").strip()
    memory = env.get(MEMORY_VARIABLE, "").strip()
    return EvalBudget(
        _seconds(seconds) if seconds else DEFAULT_SECONDS,
        _memory(memory) if memory else DEFAULT_MEMORY,
    )
