"""Every built-in rule's finding, exactly as a user reads it (rule, severity, message) — pinned for a
policy that uses them all and an SBOM that breaks each, so a changed condition or message shows."""

from __future__ import annotations

from nix_attest.policy import evaluate, load_policy
from nix_attest.sbom.model import OutputCheck

from .conftest import NOW, comp, fod, make_sbom

# ruff: noqa: E501

POLICY = """
fail-on: warning
licenses: {allow: [MIT, Apache-2.0], deny: [GPL-3.0-only], unknown: fail, scope: all}
packages:
  deny:
    - openssl < 3.0.13
    - {name: 'evil*', reason: known bad, severity: warning}
    - {purl: 'pkg:nix/leftpad@*'}
required:
  all: [purl, version, hashes, nar-hash, nar-size, metadata, description, homepage, cpe, license]
sources: {require-hash: true, weak-hashes: [md5, sha1], allowed-schemes: [https], allowed-hosts: [example.org]}
reproducible: required
closure: {max-components: 3, max-runtime-bytes: 1500}
"""


EXPECTED = [
    ("closure.max-components", "error", "6 components exceed the maximum of 3"),
    ("closure.size-unknown", "warning", "runtime closure size unknown: some components lack a NAR size"),
    ("licenses.deny", "error", "evil-lib: licence 'GPL-3.0-only' is denied (GPL-3.0-only)"),
    ("licenses.unknown", "error", "leftpad-1.0: licence 'none' is not a known SPDX licence (no licence)"),
    (
        "licenses.unknown",
        "error",
        "weird-2: licence 'LicenseRef-custom OR BSD-3-Clause' is not a known SPDX licence (LicenseRef-custom)",
    ),
    ("packages.deny", "warning", "evil-lib is denied by 'evil*': known bad"),
    ("packages.deny", "error", "leftpad-1.0 is denied by 'pkg:nix/leftpad@*'"),
    ("packages.deny", "error", "openssl-3.0.12 is denied by 'openssl < 3.0.13'"),
    (
        "reproducible",
        "error",
        "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-openssl-3.0.12 did not rebuild bit for bit: hash mismatch",
    ),
    ("reproducible", "error", "evil-lib did not rebuild bit for bit"),
    ("required.cpe", "error", "app-2.0 has no cpe (required for all components)"),
    ("required.cpe", "error", "evil-lib has no cpe (required for all components)"),
    ("required.cpe", "error", "leftpad-1.0 has no cpe (required for all components)"),
    ("required.cpe", "error", "nohash-src-1.0 has no cpe (required for all components)"),
    ("required.cpe", "error", "tarball-src-1.0 has no cpe (required for all components)"),
    ("required.cpe", "error", "weird-2 has no cpe (required for all components)"),
    ("required.description", "error", "app-2.0 has no description (required for all components)"),
    ("required.description", "error", "evil-lib has no description (required for all components)"),
    ("required.description", "error", "leftpad-1.0 has no description (required for all components)"),
    ("required.description", "error", "nohash-src-1.0 has no description (required for all components)"),
    ("required.description", "error", "tarball-src-1.0 has no description (required for all components)"),
    ("required.description", "error", "weird-2 has no description (required for all components)"),
    ("required.hashes", "error", "evil-lib has no hashes (required for all components)"),
    ("required.homepage", "error", "app-2.0 has no homepage (required for all components)"),
    ("required.homepage", "error", "evil-lib has no homepage (required for all components)"),
    ("required.homepage", "error", "leftpad-1.0 has no homepage (required for all components)"),
    ("required.homepage", "error", "nohash-src-1.0 has no homepage (required for all components)"),
    ("required.homepage", "error", "tarball-src-1.0 has no homepage (required for all components)"),
    ("required.homepage", "error", "weird-2 has no homepage (required for all components)"),
    ("required.license", "error", "leftpad-1.0 has no license (required for all components)"),
    ("required.metadata", "error", "evil-lib has no metadata (required for all components)"),
    ("required.nar-hash", "error", "app-2.0 has no nar-hash (required for all components)"),
    ("required.nar-hash", "error", "evil-lib has no nar-hash (required for all components)"),
    ("required.nar-hash", "error", "leftpad-1.0 has no nar-hash (required for all components)"),
    ("required.nar-hash", "error", "nohash-src-1.0 has no nar-hash (required for all components)"),
    ("required.nar-hash", "error", "tarball-src-1.0 has no nar-hash (required for all components)"),
    ("required.nar-hash", "error", "weird-2 has no nar-hash (required for all components)"),
    ("required.nar-size", "error", "evil-lib has no nar-size (required for all components)"),
    ("required.purl", "error", "evil-lib has no purl (required for all components)"),
    ("required.version", "error", "evil-lib has no version (required for all components)"),
    ("sources.hash", "error", "fixed-output source nohash-src-1.0 declares no hash"),
    (
        "sources.host",
        "error",
        "tarball-src-1.0 is fetched from a host not allowed: http://mirror.evil.net/t.tar.gz",
    ),
    ("sources.scheme", "error", "tarball-src-1.0 is fetched over http: http://mirror.evil.net/t.tar.gz"),
    ("sources.weak-hash", "error", "fixed-output source tarball-src-1.0 uses weak hash md5"),
]


def test_every_builtin_finding_exactly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "p.yaml"
    path.write_text(POLICY)
    policy = load_policy(path)
    cs = [
        comp(
            "openssl",
            "3.0.12",
            description="TLS",
            homepage="https://openssl.org",
            cpe="cpe:2.3:a:openssl:openssl:3.0.12:*:*:*:*:*:*:*",
            nar_hash="sha256:x",
        ),
        comp(
            "evil-lib",
            None,
            license="GPL-3.0-only",
            purl=False,
            hashes=(),
            nar_size=None,
            metadata_found=False,
            reproducible=False,
        ),
        comp("leftpad", "1.0", license=None),
        comp("weird", "2", license="LicenseRef-custom OR BSD-3-Clause"),
        fod("tarball", "http://mirror.evil.net/t.tar.gz", algo="md5"),
        fod("nohash", "https://example.org/x.tar", hash_hex=""),
    ]
    sbom = make_sbom(
        cs,
        reproducibility=(OutputCheck("/nix/store/" + "a" * 32 + "-openssl-3.0.12", False, "hash mismatch"),),
    )

    report = evaluate(policy, sbom, NOW)
    assert (
        sorted(((v.rule, v.severity, v.message) for v in report.violations), key=lambda t: (t[0], t[2]))
        == EXPECTED
    )
    assert report.failed
