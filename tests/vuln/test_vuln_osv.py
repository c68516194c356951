"""OSV through the shared HTTP client (one querybatch, pages, retries, commit and tag queries), severity
preference, and the CISA KEV enrichment."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers.nvd_data import DATA, real_cves
from helpers.vuln_servers import FakeNvd, FakeOsv, fake_nvd, fake_osv  # noqa: F401  (fixtures)

from nix_attest.cli import main
from nix_attest.errors import ExternalError, InputError
from nix_attest.github import http
from nix_attest.github.http import ServiceClient
from nix_attest.vuln.kev import load_kev
from nix_attest.vuln.model import Target
from nix_attest.vuln.nvdfeed import compact
from nix_attest.vuln.scan import scan
from nix_attest.vuln.sources.nixmeta import NixpkgsMetaSource
from nix_attest.vuln.sources.osv import OsvSource, advisory, query_for

COMMIT = "cf41627411886000429bde058a6594fb7f6d6d47"  # introduced in CVE-2018-5407's GIT range


def osv_target(purl: str, name: str = "dep") -> Target:
    return Target(
        ref=f"/nix/store/{name}", name=name, version=purl.rsplit("@", 1)[-1], purl=purl, purls=(purl,)
    )


def osv_findings(osv: FakeOsv, *targets: Target) -> dict[str, set[str]]:
    with ServiceClient(osv.url, name="OSV", retry_post=True) as client:
        found = OsvSource(client).findings(list(targets))
    out: dict[str, set[str]] = {}
    for f in found:
        out.setdefault(f.name, set()).add(f.id)
    return out


def test_queries_always_name_an_ecosystem() -> None:
    assert query_for("pkg:cargo/regex@1.5.4") == ({"package": {"purl": "pkg:cargo/regex@1.5.4"}}, "purl")
    assert query_for("pkg:cargo/regex") is None  # no version: never a name-only query
    assert query_for(f"pkg:github/openssl/openssl@{COMMIT}") == ({"commit": COMMIT}, "git")
    assert query_for("pkg:github/gin-gonic/gin@v1.5.0") == (
        {"package": {"name": "https://github.com/gin-gonic/gin", "ecosystem": "GIT"}, "version": "v1.5.0"},
        "git",
    )
    assert query_for("not a purl") is None


def test_commit_and_purl_queries_in_one_batch(fake_osv: FakeOsv) -> None:  # noqa: F811
    found = osv_findings(
        fake_osv,
        osv_target(f"pkg:github/openssl/openssl@{COMMIT}", "openssl-src"),
        osv_target("pkg:golang/github.com/gin-gonic/gin@v1.5.0", "gin"),
        osv_target("pkg:cargo/regex@1.5.5", "regex-fixed"),
    )
    assert found == {"openssl-src": {"CVE-2018-5407"}, "gin": {"GO-2020-0001"}}
    assert [m for m, _, _ in fake_osv.requests].count("POST") == 1


def test_pages_are_followed(fake_osv: FakeOsv) -> None:  # noqa: F811
    # a second (synthetic) advisory for the same crate, so that a page size of 1 needs two pages
    twin = copy.deepcopy(fake_osv.records["GHSA-m5pq-gvj9-9vr8"])
    twin["id"] = "TEST-0000-0001"
    twin["aliases"] = []
    fake_osv.records[twin["id"]] = twin
    fake_osv.page_size = 1
    found = osv_findings(fake_osv, osv_target("pkg:cargo/regex@1.5.4", "regex"))
    assert found == {"regex": {"GHSA-m5pq-gvj9-9vr8", "TEST-0000-0001"}}
    posts = [body for m, _, body in fake_osv.requests if m == "POST"]
    assert len(posts) == 2 and posts[1]["queries"][0]["page_token"] == "1"


def test_querybatch_is_retried_like_a_query(fake_osv: FakeOsv, retry_waits: list[float]) -> None:  # noqa: F811
    fake_osv.fail_querybatch = 2
    assert osv_findings(fake_osv, osv_target("pkg:cargo/regex@1.5.4", "regex")) == {
        "regex": {"GHSA-m5pq-gvj9-9vr8"}
    }
    assert [m for m, _, _ in fake_osv.requests].count("POST") == 3  # two 503s, then the answer
    assert retry_waits  # the backoff went through the client's (recorded) sleep


def test_a_broken_osv_answer_is_exit_3(fake_osv: FakeOsv) -> None:  # noqa: F811
    del fake_osv.records["GHSA-m5pq-gvj9-9vr8"]  # querybatch never names it then; break details instead
    fake_osv.records["PYSEC-2023-74"]["id"] = "SOMETHING-ELSE"
    with pytest.raises(ExternalError), ServiceClient(fake_osv.url, name="OSV") as client:
        OsvSource(client).findings([osv_target("pkg:pypi/requests@2.28.1", "requests")])


def test_a_compromised_osv_cannot_pin_advisories_on_other_packages(fake_osv: FakeOsv) -> None:  # noqa: F811
    # every query is answered with the regex crate's and gin's advisories too: they name other packages
    fake_osv.forced = ["GHSA-m5pq-gvj9-9vr8", "GO-2020-0001"]
    requests = osv_target("pkg:pypi/requests@2.28.1", "requests")
    with ServiceClient(fake_osv.url, name="OSV") as client:
        source = OsvSource(client)
        found = source.findings([requests, osv_target("pkg:cargo/regex@1.5.4", "regex")])
    assert sorted((f.name, f.id) for f in found) == [
        ("regex", "GHSA-m5pq-gvj9-9vr8"),
        ("requests", "PYSEC-2023-74"),
    ]
    assert source.notes == (
        "OSV answered 3 advisories that do not name the package asked about (ignored): "
        "GHSA-m5pq-gvj9-9vr8 for pkg:pypi/requests@2.28.1, GO-2020-0001 for pkg:pypi/requests@2.28.1, "
        "GO-2020-0001 for pkg:cargo/regex@1.5.4",
    )


def test_git_answers_must_be_about_the_repository_or_a_git_range(fake_osv: FakeOsv) -> None:  # noqa: F811
    """A tag query is about one GitHub repository: an advisory whose git ranges name another is not
    kept; a commit query (forks share commits) keeps advisories that have a git range at all."""
    fake_osv.forced = ["CVE-2018-5407", "GO-2020-0001"]  # git range of nodejs/node; Go only
    found = osv_findings(
        fake_osv,
        osv_target("pkg:github/nodejs/node@v11.0.0", "node"),
        osv_target("pkg:github/gin-gonic/gin@v1.5.0", "gin-src"),
        osv_target(f"pkg:github/somefork/openssl@{COMMIT}", "openssl-src"),
    )
    assert found == {"node": {"CVE-2018-5407"}, "openssl-src": {"CVE-2018-5407"}}


@pytest.mark.parametrize("bad", ["../v1/querybatch", "GHSA-x\n\n@octocat", "A" * 200, "", "-x"])
def test_an_advisory_id_that_is_not_one_is_a_source_failure(fake_osv: FakeOsv, bad: str) -> None:  # noqa: F811
    fake_osv.forced = [bad]
    with (
        pytest.raises(ExternalError, match="not an advisory id"),
        ServiceClient(fake_osv.url, name="OSV") as c,
    ):
        OsvSource(c).findings([osv_target("pkg:pypi/requests@2.28.1", "requests")])
    assert not [r for r in fake_osv.requests if r[0] == "GET"]  # nothing fetched for it


def test_an_osv_answer_with_too_many_advisories_is_a_failure(
    fake_osv: FakeOsv,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("nix_attest.vuln.sources.osv.MAX_ADVISORIES", 2)
    fake_osv.forced = ["TEST-1", "TEST-2"]
    with (
        pytest.raises(ExternalError, match="more than 2 advisories"),
        ServiceClient(fake_osv.url, name="OSV") as c,
    ):
        OsvSource(c).findings([osv_target("pkg:pypi/requests@2.28.1", "requests")])
    assert not [r for r in fake_osv.requests if r[0] == "GET"]


class _Drip(BaseHTTPRequestHandler):
    """Answers 200 with 60 bytes, one every 50 ms (3 s): a source that is slow, not silent."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "60")
        self.end_headers()
        for _ in range(60):
            try:
                self.wfile.write(b"x")
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.05)


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A local server answering with `handler` while the block runs; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_source_that_drips_its_answer_is_cut_off_at_the_deadline() -> None:
    """The read timeout bounds each wait for a byte, not the answer: a service sending one byte just
    inside it would hold a scan for ever. Each request has an overall deadline."""
    with _serving(_Drip) as url:
        with ServiceClient(url, name="OSV", timeout=(1, 1), deadline=1.0) as client:
            start = time.monotonic()
            with pytest.raises(ExternalError, match=r"OSV GET .*: no complete answer within 1 s"):
                client.request("GET", "v1/vulns/X", max_bytes=1000)
            assert time.monotonic() - start < 2.5
        with ServiceClient(url, name="OSV", timeout=(1, 1)) as client:
            assert client.request("GET", "v1/vulns/X", max_bytes=1000) == b"x" * 60  # it does arrive


class _BusyThenDrip(_Drip):
    """Answers 429 'retry after 0.4 s' to the first three requests, then drips like _Drip."""

    busy = 0

    def do_GET(self) -> None:
        if _BusyThenDrip.busy < 3:
            _BusyThenDrip.busy += 1
            self.send_response(429)
            self.send_header("Retry-After", "0.4")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()


def test_the_deadline_covers_rate_limit_waits_and_every_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    """The deadline is for the whole request: waits for a 429 and the answer after them share it (a
    service answering 'busy' and then dripping does not get a fresh deadline per attempt), and a wait
    that would end past it is not started."""
    monkeypatch.setattr(http, "_sleep", time.sleep)  # the waits really pass here
    _BusyThenDrip.busy = 0
    with (
        _serving(_BusyThenDrip) as url,
        ServiceClient(url, name="OSV", timeout=(1, 1), deadline=1.0) as client,
    ):
        start = time.monotonic()
        with pytest.raises(ExternalError, match=r"OSV GET .*: (no complete answer within 1 s|429)"):
            client.request("GET", "v1/vulns/X", max_bytes=1000)
        assert time.monotonic() - start < 1.5  # not 3 x 0.4 s of waits and then 1 s of dripping


def test_osv_severity_v3_scored_from_the_vector_else_the_database_word() -> None:
    regex = json.loads((DATA / "osv/GHSA-m5pq-gvj9-9vr8.json").read_text())
    [rating] = advisory(regex).ratings
    assert (rating.method, rating.score, rating.severity) == ("CVSSv31", 7.5, "high")
    word_only = dict(regex, severity=[])
    [word] = advisory(word_only).ratings
    assert (word.method, word.severity, word.score) == ("other", "high", None)
    v4 = dict(
        regex,
        severity=[
            *regex["severity"],
            {"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"},
        ],
    )
    assert [r.method for r in advisory(v4).ratings] == ["CVSSv4", "CVSSv31"]  # v4 preferred


def test_nvd_rating_preference_v4_then_v31_then_v2() -> None:
    cve = copy.deepcopy(real_cves()["CVE-2010-3765"])  # real: cvssMetricV31 and cvssMetricV2
    assert [r[0] for r in compact(cve)["r"]] == ["CVSSv31", "CVSSv2"]
    v31 = cve["metrics"]["cvssMetricV31"][0]
    cve["metrics"]["cvssMetricV40"] = [  # synthetic v4 metric, to check the order only
        {
            "source": v31["source"],
            "type": "Primary",
            "cvssData": {
                "version": "4.0",
                "baseScore": 9.3,
                "baseSeverity": "CRITICAL",
                "vectorString": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            },
        }
    ]
    assert [r[0] for r in compact(cve)["r"]] == ["CVSSv4", "CVSSv31", "CVSSv2"]


def test_kev_flags_known_exploited(tmp_path: Path) -> None:
    kev = load_kev(str(DATA / "kev/known_exploited_vulnerabilities.json"))
    assert kev == {"CVE-2023-4863"}
    webp = Target(
        ref="/nix/store/libwebp",
        name="libwebp",
        version="1.3.1",
        known_vulnerabilities=("CVE-2023-4863: heap overflow",),
    )
    [f] = scan([webp], [NixpkgsMetaSource()], known_exploited=kev).findings
    assert f.advisory.known_exploited
    bad = tmp_path / "kev.json"
    bad.write_text('{"title": "not a catalog"}')
    with pytest.raises(InputError, match="not a CISA KEV catalog"):
        load_kev(str(bad))


def test_vulndb_update_stores_the_kev_catalog(fake_nvd: FakeNvd, tmp_path: Path) -> None:  # noqa: F811
    url = fake_nvd.url.replace("/feeds", "/kev/known_exploited_vulnerabilities.json")
    assert (
        main(["vulndb", "update", "--cache-dir", str(tmp_path), "--nvd-url", fake_nvd.url, "--kev", url]) == 0
    )
    assert load_kev(str(tmp_path / "kev.json")) == {"CVE-2023-4863"}
