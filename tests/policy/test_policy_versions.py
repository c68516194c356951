from __future__ import annotations

import re
from pathlib import Path

import pytest

from nix_attest.cli import main
from nix_attest.policy.patterns import component_matches, glob_match, purl_matches
from nix_attest.policy.versions import compare_versions, parse_range

from .conftest import comp


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1.0", "1.0", 0),
        ("1.0", "1.0.1", -1),
        ("2.3a", "2.3.1", -1),  # letters sort before numbers (Nix manual)
        ("1.0pre1", "1.0", -1),  # "pre" sorts before everything
        ("3.0.13", "3.0.9", 1),  # numeric, not lexicographic
        ("1.10", "1.9", 1),
        ("2.3", "2.3a", -1),  # a missing component is "", which sorts before letters
        ("1.0-rc1", "1.0", 1),  # Nix quirk: "rc" > "" (only "pre" sorts before a release)
        ("3.0.13", "3.0.13", 0),
    ],
)
def test_compare_versions_like_nix(a: str, b: str, expected: int) -> None:
    assert compare_versions(a, b) == expected
    assert compare_versions(b, a) == -expected


def test_ranges() -> None:
    r = parse_range("< 3.0.13")
    assert r.contains("3.0.12") and r.contains("1.1.1w")
    assert not r.contains("3.0.13") and not r.contains("3.1")
    both = parse_range(">= 3.0, < 3.0.13")
    assert both.contains("3.0.2") and not both.contains("1.1.1") and not both.contains("3.0.13")
    assert parse_range("").contains(None)
    assert not r.contains(None)
    assert parse_range("!= 1.0").contains("1.1") and parse_range("==1.0").contains("1.0")


@pytest.mark.parametrize("bad", ["~ 1.0", "< ", "3.0", "< 1 2"])
def test_bad_range(bad: str) -> None:
    with pytest.raises(ValueError, match="bad version constraint"):
        parse_range(bad)


def test_patterns() -> None:
    assert glob_match("openssl", "openssl*") and not glob_match("libressl", "openssl*")
    assert purl_matches("pkg:nix/openssl@3.0.1", "pkg:nix/openssl")
    assert purl_matches("pkg:nix/openssl@3.0.1?arch=x", "pkg:nix/openssl*")
    assert not purl_matches("pkg:nix/openssl@3.0.1", "pkg:nix/openssl@1*")
    assert not purl_matches(None, "pkg:*")
    c = comp("zlib", "1.3")
    assert component_matches(c, "zlib") and component_matches(c, "zlib@1.*")
    assert not component_matches(c, "zlib@2*")
    assert component_matches(c, "pkg:nix/zlib") and component_matches(c, "/nix/store/*-zlib-1.3")


@pytest.mark.parametrize("junk", ["< not.a.version", "< )(*&", ">= 1.0, < x", "= 'quoted'", "< -1", "< .5"])
def test_junk_versions_are_refused(junk: str) -> None:
    with pytest.raises(ValueError, match=r"bad version .+ in constraint"):
        parse_range(junk)


@pytest.mark.parametrize(
    "good", ["< 3.0.13", "< 1.0pre1", ">= 2024-01-02", "< 9.1p1", "< 1.2.3+git", "< unstable-2023-05-01"]
)
def test_nix_versions_are_accepted(good: str) -> None:
    assert parse_range(good).constraints


@pytest.mark.parametrize(
    ("deny", "where"),
    [
        ("    - openssl < not.a.version\n", r"p\.yaml:4: packages\.deny\[1\]: bad version 'not\.a\.version'"),
        (
            '    - {name: x, version: "< )(*&"}\n',
            r"p\.yaml:4: packages\.deny\[1\]\.version: bad version '\)\(\*&'",
        ),
        (
            '    - name: x\n      reason: r\n      version: "< )(*&"\n',
            r"p\.yaml:6: packages\.deny\[1\]\.version",
        ),
    ],
)
def test_junk_version_in_a_policy_names_its_line(
    deny: str, where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("packages:\n  deny:\n    - zlib\n" + deny)
    sbom = tmp_path / "sbom.json"
    sbom.write_text(
        '{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "metadata": {"component": '
        '{"type": "application", "name": "app", "bom-ref": "/nix/store/' + "0" * 32 + '-app"}}}'
    )
    assert main(["check", str(sbom), "--policy", str(policy)]) == 2
    err = capsys.readouterr().err
    assert re.fullmatch(r"nix-attest: error: [^\n]+\n", err) and re.search(where, err), err


def test_ranges_print_as_written() -> None:
    assert str(parse_range(">=1.0,<2")) == ">= 1.0, < 2"
    assert str(parse_range("")) == ""
