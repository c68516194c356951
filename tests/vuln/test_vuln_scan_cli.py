"""`nix-attest vulndb update` against a local NVD feed server and `nix-attest scan` of the fixture flake
against it and a local OSV API, both serving real records; formats validated against their schemas."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from helpers.nvd_data import DATA, real_cves
from helpers.sarif import sarif_validator
from helpers.vuln_servers import FakeNvd, FakeOsv, fake_nvd, fake_osv  # noqa: F401  (fixtures)

from nix_attest.cli import main
from nix_attest.errors import InputError
from nix_attest.sbom.cyclonedx import write_sbom
from nix_attest.sbom.model import Sbom
from nix_attest.sbom.validate import reference_errors, schema_errors
from nix_attest.vuln.db import NvdCache
from nix_attest.vuln.nvdfeed import read_feed

pytestmark = pytest.mark.nix

EXPECTED = {
    "xz": {"CVE-2024-3094"},  # meta CPE
    "transmission": {"CVE-2010-0748"},  # heuristic, AND Linux
    "samba": {"CVE-2022-32746"},  # resolved by its patch
    "crate-regex": {"GHSA-m5pq-gvj9-9vr8"},  # vendored crate, OSV
    "requests": {"PYSEC-2023-74"},  # vendored PyPI sdist, OSV
}


@pytest.fixture
def sbom_file(vuln_sbom: Sbom, tmp_path: Path) -> Path:
    path = tmp_path / "sbom.cdx.json"
    write_sbom(vuln_sbom, str(path))
    return path


@pytest.fixture
def cache(fake_nvd: FakeNvd, tmp_path: Path) -> Path:  # noqa: F811
    d = tmp_path / "cache"
    assert main(["vulndb", "update", "--cache-dir", str(d), "--nvd-url", fake_nvd.url]) == 0
    return d


def scan(sbom: Path, cache: Path, osv: FakeOsv, *extra: str) -> int:
    return main(["scan", str(sbom), "--cache-dir", str(cache), "--osv-url", osv.url, *extra])


def by_component(doc: dict[str, object]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in doc["findings"]:  # type: ignore[attr-defined]
        out.setdefault(f["component"]["name"], set()).add(f["id"])
    return out


# --- vulndb update ---------------------------------------------------------------------------------


def test_update_builds_the_index_then_only_fetches_meta(fake_nvd: FakeNvd, cache: Path) -> None:  # noqa: F811
    db = NvdCache(cache)
    with db.open_index() as idx:
        assert len(idx) == len(real_cves())
    state = json.loads(db.state_path.read_text())
    assert state["feeds"]["modified"]["sha256"] and state["feeds"]["2024"]["records"] >= 1
    first = len(fake_nvd.downloads())
    assert first == len(fake_nvd.feeds)
    fake_nvd.requests.clear()
    assert main(["vulndb", "update", "--cache-dir", str(cache), "--nvd-url", fake_nvd.url]) == 0
    assert fake_nvd.downloads() == []  # nothing changed: only the .meta files were read
    assert all(r.endswith(".meta") for r in fake_nvd.requests)


def test_update_downloads_only_a_changed_feed(fake_nvd: FakeNvd, cache: Path) -> None:  # noqa: F811
    xz = real_cves()["CVE-2024-3094"]
    rejected = {**xz, "vulnStatus": "Rejected", "lastModified": "2099-01-01T00:00:00.000"}
    fake_nvd.set_feed("modified", [rejected])
    fake_nvd.requests.clear()
    assert main(["vulndb", "update", "--cache-dir", str(cache), "--nvd-url", fake_nvd.url]) == 0
    assert fake_nvd.downloads() == ["/feeds/nvdcve-2.0-modified.json.gz"]
    with NvdCache(cache).open_index() as idx:
        assert idx.candidates("xz") == ()  # the newer rejection replaced the 2024 record


def test_a_download_that_does_not_match_its_meta_changes_nothing(
    fake_nvd: FakeNvd,  # noqa: F811
    cache: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = NvdCache(cache).index_path.read_bytes()
    fake_nvd.set_feed("modified", [real_cves()["CVE-2023-4863"]])
    fake_nvd.corrupt.add("modified")
    capsys.readouterr()
    assert main(["vulndb", "update", "--cache-dir", str(cache), "--nvd-url", fake_nvd.url]) == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "does not match the sha256 of its .meta" in err
    assert NvdCache(cache).index_path.read_bytes() == before


@pytest.mark.parametrize(
    ("feed", "message"),
    [
        # a compressed feed that inflates past the limit (a gzip bomb from a hostile mirror) is refused
        # while it is decompressed, before it is all in memory
        (b'{"format":"NVD_CVE","vulnerabilities":[' + b" " * 300_000 + b"]}", "larger than 200000 bytes"),
        # the download matches its .meta but is not an NVD feed: the service's failure, not bad input
        (b'{"format":"NVD_CVE","vulnerabilities":[{"cve":{"id":"CVE-2024-1"}} x]}', "not valid JSON"),
        (b'{"vulnerabilities":[]}', "not an NVD CVE 2.0 JSON feed"),
    ],
)
def test_a_feed_nvd_should_not_have_served_is_exit_3_and_changes_nothing(
    fake_nvd: FakeNvd,  # noqa: F811
    cache: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    feed: bytes,
    message: str,
) -> None:
    monkeypatch.setattr("nix_attest.vuln.db.MAX_JSON_BYTES", 200_000)
    before = NvdCache(cache).index_path.read_bytes()
    fake_nvd.feeds["modified"] = feed
    capsys.readouterr()
    assert main(["vulndb", "update", "--cache-dir", str(cache), "--nvd-url", fake_nvd.url]) == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nvdcve-2.0-modified.json.gz" in err and message in err, err
    assert NvdCache(cache).index_path.read_bytes() == before


@pytest.mark.parametrize(
    "lines",
    [
        b"not json\n",
        b'{"no": "id"}\n',
        b'{"id": "CVE-2024-3094", "c": 5}\n',
        b'{"id": "CVE-1", "c": [[1]]}\n',
    ],
)
def test_a_damaged_cache_file_is_one_line_exit_2(
    fake_nvd: FakeNvd,  # noqa: F811
    cache: Path,
    capsys: pytest.CaptureFixture[str],
    lines: bytes,
) -> None:
    NvdCache(cache).records_path("2024").write_bytes(gzip.compress(lines))
    fake_nvd.set_feed("modified", [real_cves()["CVE-2023-4863"]])  # a change: the index is rebuilt
    capsys.readouterr()
    assert main(["vulndb", "update", "--cache-dir", str(cache), "--nvd-url", fake_nvd.url]) == 2
    *progress, error = capsys.readouterr().err.strip().splitlines()
    assert progress == ["nix-attest: NVD feed modified: 1 CVE record(s)"]
    assert error.startswith("nix-attest: error: the NVD cache") and "is damaged" in error
    assert error.endswith("delete it and update again")


def test_a_feed_file_that_inflates_past_the_limit_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("nix_attest.vuln.nvdfeed.MAX_FEED_JSON", 100_000)
    bomb = tmp_path / "nvdcve-2.0-2024.json.gz"
    bomb.write_bytes(gzip.compress(b'{"format":"NVD_CVE","vulnerabilities":[' + b" " * 200_000 + b"]}"))
    with pytest.raises(InputError, match=r"nvdcve-2\.0-2024\.json\.gz.*larger than 100000 bytes"):
        list(read_feed(bomb))
    two = tmp_path / "two-members.json.gz"  # gzip allows several members: read as one stream
    two.write_bytes(gzip.compress(b'{"format":"NVD_CVE",') + gzip.compress(b'"vulnerabilities":[]}'))
    assert list(read_feed(two)) == []


def test_unreachable_nvd_is_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["vulndb", "update", "--cache-dir", str(tmp_path), "--nvd-url", "http://127.0.0.1:9/feeds"])
    assert code == 3
    assert "cannot connect" in capsys.readouterr().err


# --- scan ------------------------------------------------------------------------------------------


def test_scan_finds_exactly_the_fixture_advisories(
    sbom_file: Path,
    cache: Path,
    fake_osv: FakeOsv,  # noqa: F811
    tmp_path: Path,
) -> None:
    out = tmp_path / "scan.json"
    assert scan(sbom_file, cache, fake_osv, "--format", "json", "-o", str(out)) == 0
    doc = json.loads(out.read_text())
    found = by_component(doc)
    oldlib = found.pop("oldlib")
    assert found == EXPECTED  # and no decoy: libxpm (vendor), busybox (1.32), linux, esp-idf, libwebp 1.3.2
    assert len(oldlib) == 1 and next(iter(oldlib)).startswith("NIXPKGS-oldlib-")
    rows = {f["id"]: f for f in doc["findings"]}
    assert rows["CVE-2024-3094"]["match"] == {
        "method": "cpe:meta",
        "confidence": "high",
        "evidence": "cpe:2.3:a:tukaani:xz:5.6.1:*:*:*:*:*:*:*",
    }
    assert rows["CVE-2010-0748"]["match"]["confidence"] == "low"
    assert (
        rows["CVE-2022-32746"]["state"] == "resolved_with_pedigree" and not rows["CVE-2022-32746"]["active"]
    )
    regex = rows["GHSA-m5pq-gvj9-9vr8"]
    assert (regex["match"]["method"], regex["severity"], regex["score"]) == ("purl", "high", 7.5)
    assert regex["aliases"] == ["CVE-2022-24713"] and regex["fixed_in"] == "1.5.5"
    # OSV: one querybatch naming an ecosystem for every identifier, then each advisory once
    posts = [body for method, _, body in fake_osv.requests if method == "POST"]
    assert len(posts) == 1
    assert sorted(q["package"]["purl"] for q in posts[0]["queries"]) == [
        "pkg:cargo/regex@1.5.4",
        "pkg:pypi/requests@2.28.1",
    ]
    gets = sorted(path for method, path, _ in fake_osv.requests if method == "GET")
    assert gets == ["/v1/vulns/GHSA-m5pq-gvj9-9vr8", "/v1/vulns/PYSEC-2023-74"]


def test_fail_on_and_exit_codes(
    sbom_file: Path,
    cache: Path,
    fake_osv: FakeOsv,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert scan(sbom_file, cache, fake_osv, "--fail-on", "critical") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["nix-attest: error: 1 active finding(s) at or above critical: CVE-2024-3094"]
    assert scan(sbom_file, cache, fake_osv, "--fail-on", "never") == 0
    # the patched samba finding (medium) never fails; high: xz (critical) and the regex crate
    assert scan(sbom_file, cache, fake_osv, "--fail-on", "medium", "-o", "/dev/null") == 1
    assert "CVE-2022-32746" not in capsys.readouterr().err


def test_offline_without_a_database_is_one_line_exit_2(
    sbom_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", str(sbom_file), "--offline", "--cache-dir", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no NVD database" in err[0] and "vulndb update" in err[0]


def test_offline_with_a_database_asks_nobody(
    sbom_file: Path,
    cache: Path,
    fake_osv: FakeOsv,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert scan(sbom_file, cache, fake_osv, "--offline", "--format", "json") == 0
    assert fake_osv.requests == []
    doc = json.loads(capsys.readouterr().out)
    assert "crate-regex" not in by_component(doc) and "OSV not queried (--offline)" in doc["notes"]


def test_failing_osv_is_exit_3(sbom_file: Path, cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", str(sbom_file), "--cache-dir", str(cache), "--osv-url", "http://127.0.0.1:9"])
    assert code == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "OSV POST" in err[0]


def test_cyclonedx_vdr_is_schema_valid_and_the_same_bom(
    sbom_file: Path,
    cache: Path,
    fake_osv: FakeOsv,  # noqa: F811
    tmp_path: Path,
) -> None:
    out = tmp_path / "vdr.cdx.json"
    assert scan(sbom_file, cache, fake_osv, "--format", "cyclonedx", "-o", str(out)) == 0
    vdr = json.loads(out.read_text())
    sbom = json.loads(sbom_file.read_text())
    assert schema_errors(vdr, "1.6") == []
    assert (vdr["serialNumber"], vdr["version"]) == (sbom["serialNumber"], 2)
    assert vdr["components"] == sbom["components"]
    refs = {c["bom-ref"] for c in sbom["components"]}
    vulns = {v["id"]: v for v in vdr["vulnerabilities"]}
    assert all(v["affects"][0]["ref"] in refs for v in vdr["vulnerabilities"])
    assert vulns["CVE-2022-32746"]["analysis"]["state"] == "resolved_with_pedigree"
    assert vulns["CVE-2024-3094"]["ratings"][0]["method"] == "CVSSv31"
    assert vulns["GHSA-m5pq-gvj9-9vr8"]["references"] == [
        {
            "id": "CVE-2022-24713",
            "source": {"name": "NVD", "url": "https://nvd.nist.gov/vuln/detail/CVE-2022-24713"},
        }
    ]
    broken = dict(
        vdr, vulnerabilities=[dict(vdr["vulnerabilities"][0], ratings=[{"severity": "catastrophic"}])]
    )
    assert schema_errors(broken, "1.6")  # the check can fail


@pytest.mark.parametrize("version", ["1.5", "1.7"])
def test_a_vdr_of_every_spec_version_the_writer_makes(
    vuln_sbom: Sbom,
    cache: Path,
    fake_osv: FakeOsv,  # noqa: F811
    tmp_path: Path,
    version: str,
) -> None:
    """The fixture's SBOM (vendored sources with download URLs among it) written as CycloneDX 1.5 and
    1.7, and its VDR of the same version: both schema-valid, every affects ref resolving."""
    sbom_path = tmp_path / f"sbom-{version}.cdx.json"
    write_sbom(vuln_sbom, str(sbom_path), version)
    out = tmp_path / "vdr.cdx.json"
    assert scan(sbom_path, cache, fake_osv, "--format", "cyclonedx", "-o", str(out)) == 0
    vdr = json.loads(out.read_text())
    assert vdr["specVersion"] == version
    assert schema_errors(vdr, version) == [] and reference_errors(vdr) == []
    assert "CVE-2024-3094" in {v["id"] for v in vdr["vulnerabilities"]}


def test_sarif_is_valid_for_code_scanning(
    sbom_file: Path,
    cache: Path,
    fake_osv: FakeOsv,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert scan(sbom_file, cache, fake_osv, "--format", "sarif") == 0
    log = json.loads(capsys.readouterr().out)
    sarif_validator().validate(log)
    run = log["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["CVE-2024-3094"]["properties"]["security-severity"] == "10.0"
    results = {r["ruleId"]: r for r in run["results"]}
    assert results["CVE-2022-32746"]["suppressions"][0]["kind"] == "external"
    assert "suppressions" not in results["CVE-2024-3094"]
    for r in run["results"]:
        assert run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"]


def test_text_and_markdown(
    sbom_file: Path,
    cache: Path,
    fake_osv: FakeOsv,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert scan(sbom_file, cache, fake_osv) == 0
    text = capsys.readouterr().out
    assert "CRITICAL CVE-2024-3094" in text and "resolved_with_pedigree" in text
    assert (
        text.rstrip().splitlines()[-1]
        == "5 active finding(s): 1 critical, 1 high, 3 unknown (1 fixed by patches)"
    )
    assert scan(sbom_file, cache, fake_osv, "--format", "markdown") == 0
    markdown = capsys.readouterr().out
    assert "[CVE-2024-3094](https://nvd.nist.gov/vuln/detail/CVE-2024-3094)" in markdown


def test_nvd_feed_files_and_directories(sbom_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a directory of NVD API 2.0 pages (plain .json) and vulnix's gzipped modified feed; no cache, offline
    feeds = [
        "--nvd-feed",
        str(DATA / "nvd/osv.dev"),
        "--nvd-feed",
        str(DATA / "nvd/vulnix/nvdcve-2.0-modified.json.gz"),
    ]
    assert main(["scan", str(sbom_file), *feeds, "--offline", "--format", "json"]) == 0
    found = by_component(json.loads(capsys.readouterr().out))
    assert found["xz"] == {"CVE-2024-3094"} and found["transmission"] == {"CVE-2010-0748"}
    assert main(["scan", str(sbom_file), "--nvd-feed", str(DATA / "nope"), "--offline"]) == 2
    assert "--nvd-feed" in capsys.readouterr().err
