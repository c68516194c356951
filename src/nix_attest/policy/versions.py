"""Nix-style version comparison (``builtins.compareVersions``) and version ranges (``< 3.0.13, >= 3``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..nix.versions import compare_versions

__all__ = ["Constraint", "VersionRange", "compare_versions", "parse_range"]

_CONSTRAINT = re.compile(r"^\s*(<=|>=|==|!=|<|>|=)\s*([^\s,<>=!]+)\s*$")
# What a Nix version looks like (`parseDrvName`'s version part: 3.0.13, 1.0pre1, 2024-01-02, 9.1p1,
# 1.2.3+git, unstable-2023-05-01): letters, digits and . + ~ _ - and at least one digit.
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+~_-]*$")

_OPS = {
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
    "==": lambda c: c == 0,
    "=": lambda c: c == 0,
    "!=": lambda c: c != 0,
}


@dataclass(frozen=True, slots=True)
class Constraint:
    op: str
    version: str

    def matches(self, version: str) -> bool:
        return bool(_OPS[self.op](compare_versions(version, self.version)))

    def __str__(self) -> str:
        return f"{self.op} {self.version}"


@dataclass(frozen=True, slots=True)
class VersionRange:
    """All constraints must hold (comma-separated: ``>= 3.0, < 3.0.13``). Empty: every version."""

    constraints: tuple[Constraint, ...] = ()

    def contains(self, version: str | None) -> bool:
        if not self.constraints:
            return True
        if version is None:
            return False
        return all(c.matches(version) for c in self.constraints)

    def __str__(self) -> str:
        return ", ".join(str(c) for c in self.constraints)


@lru_cache(maxsize=1024)
def parse_range(text: str) -> VersionRange:
    """Parse ``< 3.0.13`` or ``>= 1.2, < 2``; raise ValueError naming the bad part."""
    if not text.strip():
        return VersionRange()
    constraints = []
    for part in text.split(","):
        m = _CONSTRAINT.match(part)
        if m is None:
            raise ValueError(f"bad version constraint {part.strip()!r} (expected e.g. '< 3.0.13')")
        version = m.group(2)
        if not _VERSION.match(version) or not any(ch.isdigit() for ch in version):
            raise ValueError(
                f"bad version {version!r} in constraint {part.strip()!r} (expected e.g. '3.0.13')"
            )
        constraints.append(Constraint(m.group(1), version))
    return VersionRange(tuple(constraints))
