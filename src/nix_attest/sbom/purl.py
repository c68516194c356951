"""Package URLs for Nix components (there is no registered `nix` purl type yet; existing tools emit
``pkg:nix/<pname>@<version>``, which we follow unless nixpkgs provides ``meta.identifiers.purl``)."""

from __future__ import annotations

import re
from functools import lru_cache

from packageurl import PackageURL

# Characters packageurl-python leaves as they are in a `nix` purl's name and version. For these the
# purl is plain formatting; building a PackageURL costs ~12 us each, a third of the per-component
# time on a 20,000-derivation graph. Anything else goes through the library.
_PLAIN = re.compile(r"[A-Za-z0-9._-]+")


def nix_purl(name: str, version: str | None) -> str:
    if _PLAIN.fullmatch(name) and (version is None or _PLAIN.fullmatch(version)):
        return f"pkg:nix/{name}@{version}" if version else f"pkg:nix/{name}"
    return _library_purl(name, version)


@lru_cache(maxsize=4096)
def _library_purl(name: str, version: str | None) -> str:
    return str(PackageURL(type="nix", name=name, version=version or None).to_string())


@lru_cache(maxsize=4096)
def valid_purl(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return str(PackageURL.from_string(text).to_string())
    except ValueError:
        return None
