"""Matching components by name, purl or store-path pattern (shell-style globs)."""

from __future__ import annotations

import re
from fnmatch import translate
from functools import lru_cache

from ..sbom.model import Component


@lru_cache(maxsize=4096)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(translate(pattern))


def glob_match(value: str, pattern: str) -> bool:
    """Case-sensitive shell glob (``*``, ``?``, ``[...]``) over the whole value."""
    return _glob(pattern).match(value) is not None


def _purl_without_version(purl: str) -> str:
    base = purl.split("?", 1)[0].split("#", 1)[0]
    at = base.rfind("@")
    return base[:at] if at > base.rfind("/") else base


def purl_matches(purl: str | None, pattern: str) -> bool:
    """A purl pattern (``pkg:nix/openssl*``) against a purl; a pattern without ``@`` ignores the version
    and qualifiers of the purl."""
    if not purl:
        return False
    if glob_match(purl, pattern):
        return True
    return "@" not in pattern and glob_match(_purl_without_version(purl), pattern)


def fields_match(
    pattern: str, name: str, version: str | None, purl: str | None, paths: tuple[str, ...]
) -> bool:
    """``pkg:...`` patterns match the purl, ``/nix/store/...`` a bom-ref or store path, ``name@version``
    both, anything else the name."""
    if pattern.startswith("pkg:"):
        return purl_matches(purl, pattern)
    if pattern.startswith("/"):
        return any(glob_match(p, pattern) for p in paths)
    if "@" in pattern:
        name_pattern, _, version_pattern = pattern.partition("@")
        return glob_match(name, name_pattern) and glob_match(version or "", version_pattern)
    return glob_match(name, pattern)


def component_matches(component: Component, pattern: str) -> bool:
    paths = (component.ref, component.store_path)
    return fields_match(pattern, component.name, component.version, component.purl, paths)
