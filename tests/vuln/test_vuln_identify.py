"""Identification recorded in the SBOM: the CPE ladder with its source, ecosystem purls of vendored
sources, CVE ids of patches, meta.knownVulnerabilities; all read back from the CycloneDX document."""

from __future__ import annotations

import json

import pytest

from nix_attest.sbom.cyclonedx import dumps_sbom
from nix_attest.sbom.model import Sbom
from nix_attest.sbom.read import loads_sbom
from nix_attest.vuln.cpe import ANY, Cpe, well_formed
from nix_attest.vuln.identify import choose_cpe, cve_ids, purl_from_git, purl_from_url
from nix_attest.vuln.targets import targets


@pytest.mark.parametrize(
    ("url", "purl"),
    [
        ("https://crates.io/api/v1/crates/regex/1.5.4/download", "pkg:cargo/regex@1.5.4"),
        ("https://static.crates.io/crates/serde_json/serde_json-1.0.1.crate", "pkg:cargo/serde_json@1.0.1"),
        ("https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz", "pkg:npm/left-pad@1.3.0"),
        ("https://registry.npmjs.org/@babel/core/-/core-7.1.0.tgz", "pkg:npm/%40babel/core@7.1.0"),
        (
            "https://files.pythonhosted.org/packages/ab/cd/Flask_Cors-3.0.9.tar.gz",
            "pkg:pypi/flask-cors@3.0.9",
        ),
        (
            "https://files.pythonhosted.org/packages/py3/r/requests-2.28.1-py3-none-any.whl",
            "pkg:pypi/requests@2.28.1",
        ),
        (
            "https://proxy.golang.org/github.com/!burnt!sushi/toml/@v/v1.2.0.zip",
            "pkg:golang/github.com/BurntSushi/toml@v1.2.0",
        ),
        ("https://github.com/NixOS/nix/archive/refs/tags/2.8.0.tar.gz", "pkg:github/nixos/nix@2.8.0"),
        ("https://codeload.github.com/o/r/tar.gz/v1.0", "pkg:github/o/r@v1.0"),
        ("https://example.org/regex-1.5.4.tar.gz", None),
        ("https://crates.io/crates/regex", None),
        ("not a url at all", None),
    ],
)
def test_ecosystem_purls_from_download_urls(url: str, purl: str | None) -> None:
    assert purl_from_url(url) == purl


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("serde-1.0.197.crate", "https://static.crates.io/crates/serde/serde-1.0.197.crate"),
        ("serde-1.0.197.tar.gz", "https://crates.io/api/v1/crates/serde/1.0.197/download"),
        ("requests-2.31.0-py3-none-any.whl",
         "https://files.pythonhosted.org/packages/70/8e/0e2/requests-2.31.0-py3-none-any.whl"),
        ("requests-2.31.0.tar.gz", "https://files.pythonhosted.org/packages/9d/be/10/requests-2.31.0.tar.gz"),
        ("lodash-4.17.21.tgz", "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz"),
    ],
)  # fmt: skip
def test_the_sbom_version_agrees_with_the_ecosystem_purl(name: str, url: str) -> None:
    """The component's name/version (from the store name, nix/names.py) and the ecosystem purl (from
    the download URL) that vulnerability matching uses say the same version."""
    from packageurl import PackageURL

    from nix_attest.nix.names import parse_package_name

    purl = purl_from_url(url)
    assert purl is not None
    parsed = PackageURL.from_string(purl)
    assert parse_package_name(name) == (parsed.name, parsed.version)


@pytest.mark.parametrize("cpe", ["cpe:2.3:a:\nevil:x:1:*:*:*:*:*:*:*", "cpe:2.3:a:evil:x:1 0:*:*:*:*:*:*:*"])
def test_a_cpe_that_is_not_well_formed_is_not_used(cpe: str) -> None:
    choice = choose_cpe("xyz", "1", meta_cpe=cpe, possible=[cpe])
    assert choice is not None and choice.source == "heuristic"  # the meta and possible CPEs were refused
    assert choose_cpe("xyz", "1 beta") is None  # a version no well-formed CPE can carry


def test_git_checkouts_of_github_repositories() -> None:
    rev = "0123456789abcdef0123456789abcdef01234567"
    assert purl_from_git("https://github.com/gin-gonic/gin.git", rev) == f"pkg:github/gin-gonic/gin@{rev}"
    assert purl_from_git("https://gitlab.com/o/r.git", rev) is None
    assert purl_from_git("https://github.com/o/r", None) is None


def test_cpe_ladder() -> None:
    meta = "cpe:2.3:a:tukaani:xz:5.6.1:*:*:*:*:*:*:*"
    other = "cpe:2.3:a:tukaani:xz:5.6:1:*:*:*:*:*:*"
    assert choose_cpe("xz", "5.6.1", meta_cpe=meta, possible=[meta, other]) == (
        choose_cpe("xz", "5.6.1", meta_cpe=meta, possible=[other])
    )
    chosen = choose_cpe("xz", "5.6.1", meta_cpe=meta, possible=[meta, other])
    assert chosen is not None and (chosen.source, chosen.candidates) == ("meta", (other,))
    parts = choose_cpe("foo", "1.0", parts=(None, "acme", "foo"))
    assert parts is not None and (parts.cpe, parts.source) == ("cpe:2.3:a:acme:foo:1.0:*:*:*:*:*:*:*", "meta")
    possible = choose_cpe("xz", "5.6.1", meta_cpe="garbage", possible=["nope", other, meta])
    assert possible is not None and (possible.cpe, possible.source, possible.candidates) == (
        other,
        "possible",
        (meta,),
    )
    curated = choose_cpe("nginx", "1.25.3")
    assert curated is not None and curated.source == "curated"
    assert curated.cpe == "cpe:2.3:a:f5:nginx:1.25.3:*:*:*:*:*:*:*"
    assert curated.candidates == ("cpe:2.3:a:nginx:nginx:1.25.3:*:*:*:*:*:*:*",)
    guess = choose_cpe("esp-idf", "4.1")
    assert guess is not None and (guess.cpe, guess.source) == (
        "cpe:2.3:a:*:esp-idf:4.1:*:*:*:*:*:*:*",
        "heuristic",
    )
    assert choose_cpe("openssl", "3.0.1", is_source=True) is None  # a source archive: its URL identifies it
    assert choose_cpe("openssl", None) is None
    assert choose_cpe("<script>", "1.0") is None


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("pkg5663", "2.8.3"),
        ("Esp-IDF", "4.1-rc1"),
        ("libstdc++", "13.2.0"),  # "+" is escaped in a CPE: the general path
        ("foo", "1.0+git20240101"),
        ("foo", "1.0 beta"),
        ("foo", "2024-01-01_a.b"),
        ("foo", "-"),
        ("foo", "*"),
        ("foo", "1!2"),
        ("foo", "ü1.0"),
        ("foo", "1:2"),  # a colon is escaped
        ("foo", "."),
        ("foo", "9" * 970),  # the longest well-formed CPE here (1,000 characters)
        ("foo", "9" * 971),  # one more: no CPE
    ],
)
def test_cpe_heuristic_fast_path_agrees(name: str, version: str) -> None:
    """choose_cpe writes the common heuristic CPE directly: it must be the string Cpe.formatted makes,
    and none where that is not well-formed."""
    chosen = choose_cpe(name, version)
    general = Cpe("a", ANY, name.lower(), version).formatted()
    if not well_formed(general):
        assert chosen is None
        return
    assert chosen is not None and (chosen.cpe, chosen.source) == (general, "heuristic")


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("CVE-2024-1234.patch", ("CVE-2024-1234",)),
        ("cve-2024-1234.diff", ("CVE-2024-1234",)),  # any case, any extension
        ("CVE-2024-1234-2.patch", ("CVE-2024-1234",)),  # the second part of a fix
        ("CVE-2024-12345678.patch", ("CVE-2024-12345678",)),  # sequence numbers past four digits
        ("CVE-2019-13224_CVE-2019-16163.patch", ("CVE-2019-13224", "CVE-2019-16163")),
        ("0001-fix-CVE-2023-4863-heap-overflow.patch", ("CVE-2023-4863",)),  # fetchpatch { name = ...; }
        ("CVE-2024-123.patch", ()),  # not a CVE id (at least four digits)
        ("CVE-24-1234.patch", ()),
        ("CVE_2024_1234.patch", ()),  # vulnix's rule too: hyphens
        ("fix-build.patch", ()),
    ],
)
def test_cve_ids_from_patch_names(name: str, ids: tuple[str, ...]) -> None:
    assert cve_ids(name) == ids


def test_cve_ids_from_patch_names_and_urls() -> None:
    assert cve_ids("CVE-2021-1234_cve-2021-12345.patch", "https://x/CVE-2021-1234.patch") == (
        "CVE-2021-1234",
        "CVE-2021-12345",
    )
    assert cve_ids("fix-build.patch") == ()


@pytest.mark.nix
def test_fixture_sbom_records_identifiers(vuln_sbom: Sbom) -> None:
    by_name = {c.name: c for c in (vuln_sbom.root, *vuln_sbom.components)}
    assert (by_name["xz"].cpe_source, by_name["xz"].cpe) == (
        "meta",
        "cpe:2.3:a:tukaani:xz:5.6.1:*:*:*:*:*:*:*",
    )
    assert by_name["libtiff"].cpe_source == "possible"
    assert by_name["libtiff"].cpe_candidates == ("cpe:2.3:a:libtiff:libtiff:4.0:9:*:*:*:*:*:*",)
    assert by_name["libwebp"].cpe_source == "curated"
    assert by_name["transmission"].cpe_source == "heuristic"
    assert by_name["crate-regex"].purl == "pkg:cargo/regex@1.5.4"
    assert by_name["crate-regex"].cpe is None  # a source: identified by its URL only
    assert by_name["requests"].purl == "pkg:pypi/requests@2.28.1"
    [patch] = by_name["samba"].patches
    assert (patch.name, patch.resolves) == ("CVE-2022-32746.patch", ("CVE-2022-32746",))
    assert by_name["oldlib"].known_vulnerabilities == (
        "Unmaintained since 2019, known memory-safety bugs are not fixed",
    )


@pytest.mark.nix
def test_identifiers_round_trip_through_cyclonedx(vuln_sbom: Sbom) -> None:
    text = dumps_sbom(vuln_sbom)  # schema-validated
    assert '"nix-attest:cpe:source","value":"heuristic"' in text
    assert '"resolves":[{"type":"security","id":"CVE-2022-32746"' in text
    back = loads_sbom(text)
    assert targets(back) == targets(vuln_sbom)
    crate = next(t for t in targets(back) if t.name == "crate-regex")
    assert crate.purls == ("pkg:cargo/regex@1.5.4",) and crate.is_source and crate.cpes == ()


@pytest.mark.nix
def test_identifiers_in_spdx(vuln_sbom: Sbom) -> None:
    from nix_attest.sbom.spdx import dumps_sbom as dumps_spdx

    text = dumps_spdx(vuln_sbom)
    doc = json.loads(text)
    libtiff = next(p for p in doc["packages"] if p["name"] == "libtiff")
    cpes = [r["referenceLocator"] for r in libtiff["externalRefs"] if r["referenceType"] == "cpe23Type"]
    assert cpes == [
        "cpe:2.3:a:libtiff:libtiff:4.0.9:*:*:*:*:*:*:*",
        "cpe:2.3:a:libtiff:libtiff:4.0:9:*:*:*:*:*:*",
    ]
    crate = next(p for p in doc["packages"] if p["name"] == "crate-regex")
    assert {
        "referenceCategory": "PACKAGE-MANAGER",
        "referenceType": "purl",
        "referenceLocator": "pkg:cargo/regex@1.5.4",
    } in crate["externalRefs"]
    assert targets(loads_sbom(text)) == targets(vuln_sbom)  # source, candidates, patches, meta: all back
