"""Package URLs for Nix components (there is no registered `nix` purl type yet; existing tools emit
``pkg:nix/<pname>@<version>``, which we follow unless nixpkgs provides ``meta.identifiers.purl``)."""

from __future__ import annotations

from functools import cache

from packageurl import PackageURL


@cache
def nix_purl(name: str, version: str | None) -> str:
    return str(PackageURL(type="nix", name=name, version=version or None).to_string())


def valid_purl(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return str(PackageURL.from_string(text).to_string())
    except ValueError:
        return None
