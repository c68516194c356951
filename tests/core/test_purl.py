"""purls: the fast path must agree with packageurl-python exactly."""

from __future__ import annotations

import pytest
from packageurl import PackageURL

from nix_attest.sbom.purl import nix_purl, valid_purl


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("hello", "2.12.1"),
        ("python3.11-requests", "2.31.0"),
        ("foo_bar", None),
        ("gtk+3", "3.24.41"),
        ("libstdc++", "13.2.0"),
        ("Weird Name", "1.0 beta"),
        ("x", "1.0+git20240101"),
        ("ünicode", "1~rc1"),
        ("a/b", "1"),
        ("a@b", "1:2"),
    ],
)
def test_nix_purl_matches_the_library(name: str, version: str | None) -> None:
    expected = PackageURL(type="nix", name=name, version=version).to_string()
    assert nix_purl(name, version) == expected


def test_meta_purl_is_normalised_or_rejected() -> None:
    assert valid_purl("pkg:generic/libgreet@1.2.0") == "pkg:generic/libgreet@1.2.0"
    assert valid_purl("not a purl") is None
    assert valid_purl(None) is None
