"""Licence normalisation from Nix's meta.license shapes to SPDX (license-expression) or free text."""

from __future__ import annotations

import pytest

from nix_attest.sbom.cyclonedx import licenses_json
from nix_attest.sbom.licenses import make_license, normalise_spdx
from nix_attest.sbom.model import License


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MIT", "MIT"),
        ("mit", "MIT"),
        ("GPL-3.0+", "GPL-3.0-or-later"),  # nixpkgs' legacy spdxId spellings
        ("gpl-2.0-only", "GPL-2.0-only"),
        ("MIT OR Apache-2.0", "MIT OR Apache-2.0"),
        ("Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception"),
        ("Unfree Proprietary", None),
        ("LicenseRef-vendor", None),
    ],
)
def test_normalise_spdx(text: str, expected: str | None) -> None:
    assert normalise_spdx(text) == expected


def test_meta_license_shapes() -> None:
    assert make_license("GPL-3.0+") == License(expression="GPL-3.0-or-later")
    # not SPDX: the full name is kept as a name, with its URL
    assert make_license(
        None, "Unfree redistributable", "unfreeRedistributable", "https://example.org/l"
    ) == License(name="Unfree redistributable", url="https://example.org/l")
    assert make_license("NOT-A-LICENSE", None) == License(name="NOT-A-LICENSE")
    assert make_license(None, None, None, None) is None


def test_cyclonedx_licence_forms() -> None:
    assert licenses_json((License(expression="MIT"),)) == ({"license": {"id": "MIT"}},)
    assert licenses_json((License(expression="MIT OR Apache-2.0"),)) == ({"expression": "MIT OR Apache-2.0"},)
    assert licenses_json((License(expression="MIT"), License(name="Custom", url="https://x.example"))) == (
        {"license": {"id": "MIT"}},
        {"license": {"name": "Custom", "url": "https://x.example"}},
    )
