"""Loading a policy file: YAML (``nix-attest.policy.yaml``) or Nickel (``*.ncl``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from ..errors import PolicyFileError
from .config import Policy, build_policy
from .nickel_rules import Runner, read_nickel_policy
from .source import PathItem, key_path, read_yaml_policy

DEFAULT_POLICY = "nix-attest.policy.yaml"


def load_policy(path: str | Path = DEFAULT_POLICY, *, nickel_runner: Runner | None = None) -> Policy:
    """Read, validate and compile a policy; raise :class:`PolicyFileError` (exit 2) naming file, line, key."""
    name = str(path)
    if name.endswith(".ncl"):
        config, nickel = read_nickel_policy(path, nickel_runner)

        def nickel_error(where: Sequence[PathItem], problem: str) -> PolicyFileError:
            return PolicyFileError(f"{name}: {key_path(where)}: {problem}")

        policy = build_policy(config, name, nickel_error)
        return dataclasses.replace(policy, nickel=nickel)
    source = read_yaml_policy(path)
    if not isinstance(source.data, dict):
        raise source.error([], "a policy must be a mapping of settings")
    return build_policy(source.data, name, source.error)
