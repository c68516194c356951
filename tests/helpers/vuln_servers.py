"""A fake NVD feed server and a fake OSV API on 127.0.0.1, serving the real records of tests/data/vuln.

NVD: ``GET /kev/known_exploited_vulnerabilities.json`` (the KEV catalog of tests/data/vuln/kev) and
``GET /feeds/nvdcve-2.0-{YYYY|modified}.{meta,json.gz}`` for 2002 .. this year; the year feeds
group the real CVE records by publication year (empty for other years), ``modified`` is vulnix's real
modified feed file as published. ``.meta`` files carry the SHA-256 of the uncompressed JSON as NVD's do.

OSV: ``POST /v1/querybatch`` (purl with version, commit, or package + version) answering ids (and
``modified``), paged with ``next_page_token`` when ``page_size`` is set; ``GET /v1/vulns/{id}``.
Matching follows the records' ``affected`` (``versions`` lists and ECOSYSTEM/SEMVER ranges).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from packageurl import PackageURL

from helpers.nvd_data import DATA, feed_bytes, meta_text, real_cves

_ECOSYSTEMS = {"cargo": "crates.io", "pypi": "PyPI", "npm": "npm", "golang": "Go", "gem": "RubyGems"}


@dataclass
class FakeNvd:
    feeds: dict[str, bytes] = field(default_factory=dict)  # name -> uncompressed JSON
    requests: list[str] = field(default_factory=list)
    corrupt: set[str] = field(default_factory=set)  # feeds whose .json.gz does not match the .meta
    missing: set[str] = field(default_factory=set)  # feeds answered with 404
    url: str = ""

    @classmethod
    def with_real_records(cls, today: dt.date | None = None) -> FakeNvd:
        year = (today or dt.datetime.now(dt.timezone.utc).date()).year
        by_year: dict[str, list[dict[str, Any]]] = {str(y): [] for y in range(2002, year + 1)}
        for cve in real_cves().values():
            by_year.setdefault(str(cve["published"])[:4], []).append(cve)
        feeds = {name: feed_bytes(sorted(cves, key=lambda c: c["id"])) for name, cves in by_year.items()}
        feeds["modified"] = gzip.decompress((DATA / "nvd/vulnix/nvdcve-2.0-modified.json.gz").read_bytes())
        return cls(feeds=feeds)

    def set_feed(self, name: str, cves: list[dict[str, Any]]) -> None:
        self.feeds[name] = feed_bytes(cves)

    def downloads(self) -> list[str]:
        return [r for r in self.requests if r.endswith(".json.gz")]


@dataclass
class FakeOsv:
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)  # method, path, body
    page_size: int | None = None  # vulns per result page (None: all at once)
    fail_querybatch: int = 0  # answer this many querybatch requests with 503 first
    forced: list[str] = field(default_factory=list)  # a compromised OSV: these ids answer every query
    url: str = ""

    @classmethod
    def with_real_records(cls) -> FakeOsv:
        records = {}
        for path in sorted((DATA / "osv").glob("*.json")):
            record = json.loads(path.read_text())
            records[record["id"]] = record
        return cls(records=records)

    def matches(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        if "commit" in query:
            return [r for r in self.records.values() if _has_commit(r, query["commit"])]
        package = query.get("package") or {}
        version = query.get("version")
        if "purl" in package:
            purl = PackageURL.from_string(package["purl"])
            ecosystem = _ECOSYSTEMS.get(purl.type)
            name = f"{purl.namespace}/{purl.name}" if purl.namespace else purl.name
            version = purl.version
        else:
            ecosystem, name = package.get("ecosystem"), package.get("name")
        if not ecosystem or not name or not version:
            raise ValueError("a query needs an ecosystem, a name and a version")
        return [r for r in self.records.values() if _affects(r, ecosystem, name, version)]


def _key(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v))


def _same(ecosystem: str, a: str, b: str) -> bool:
    if ecosystem == "PyPI":
        return re.sub(r"[-_.]+", "-", a).lower() == re.sub(r"[-_.]+", "-", b).lower()
    return a == b


def _affects(record: dict[str, Any], ecosystem: str, name: str, version: str) -> bool:
    for affected in record.get("affected") or []:
        pkg = affected.get("package") or {}
        if pkg.get("ecosystem") != ecosystem or not _same(ecosystem, pkg.get("name", ""), name):
            continue
        if version in (affected.get("versions") or []):
            return True
        for r in affected.get("ranges") or []:
            if r.get("type") not in ("ECOSYSTEM", "SEMVER"):
                continue
            inside = False
            for event in r.get("events") or []:
                if "introduced" in event and (
                    event["introduced"] == "0" or _key(version) >= _key(event["introduced"])
                ):
                    inside = True
                if "fixed" in event and _key(version) >= _key(event["fixed"]):
                    inside = False
                if "last_affected" in event and _key(version) > _key(event["last_affected"]):
                    inside = False
            if inside:
                return True
    return False


def _has_commit(record: dict[str, Any], commit: str) -> bool:
    for affected in record.get("affected") or []:
        for r in affected.get("ranges") or []:
            if r.get("type") == "GIT" and any(commit in e.values() for e in r.get("events") or []):
                return True
    return False


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def reply(self, status: int, body: bytes, kind: str = "application/json", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


def _nvd_handler(state: FakeNvd) -> type[BaseHTTPRequestHandler]:
    class Handler(_Quiet):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            if self.path == "/kev/known_exploited_vulnerabilities.json":
                self.reply(200, (DATA / "kev/known_exploited_vulnerabilities.json").read_bytes())
                return
            m = re.fullmatch(r"/feeds/nvdcve-2\.0-(\w+)\.(meta|json\.gz)", self.path)
            if m is None or m.group(1) not in state.feeds or m.group(1) in state.missing:
                self.reply(404, b"not found", "text/plain")
                return
            raw = state.feeds[m.group(1)]
            gz = gzip.compress(raw, mtime=0)
            if m.group(2) == "meta":
                self.reply(200, meta_text(raw, gz).encode(), "text/plain")
            elif m.group(1) in state.corrupt:
                self.reply(200, gzip.compress(raw + b" ", mtime=0), "application/gzip")
            else:
                self.reply(200, gz, "application/gzip")

    return Handler


def _osv_handler(state: FakeOsv) -> type[BaseHTTPRequestHandler]:
    class Handler(_Quiet):
        def do_GET(self) -> None:
            state.requests.append(("GET", self.path, None))
            m = re.fullmatch(r"/v1/vulns/([A-Za-z0-9._:-]+)", self.path)
            record = state.records.get(m.group(1)) if m else None
            if record is None:
                self.reply(404, b'{"code":5,"message":"Bug not found."}')
                return
            self.reply(200, json.dumps(record).encode())

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            state.requests.append(("POST", self.path, body))
            if self.path != "/v1/querybatch":
                self.reply(404, b'{"code":5,"message":"Not found"}')
                return
            if state.fail_querybatch > 0:
                state.fail_querybatch -= 1
                self.reply(503, b'{"message":"unavailable"}')
                return
            results = []
            try:
                for query in body["queries"]:
                    found = sorted(state.matches(query), key=lambda r: r["id"])
                    start = int(query.get("page_token") or 0)
                    size = state.page_size or len(found) or 1
                    page = found[start : start + size]
                    result: dict[str, Any] = {}
                    if page or state.forced:
                        result["vulns"] = [{"id": r["id"], "modified": r["modified"]} for r in page]
                        result["vulns"] += [{"id": vid} for vid in state.forced]
                    if start + size < len(found):
                        result["next_page_token"] = str(start + size)
                    results.append(result)
            except (KeyError, ValueError) as exc:
                self.reply(400, json.dumps({"code": 3, "message": str(exc)}).encode())
                return
            self.reply(200, json.dumps({"results": results}).encode())

    return Handler


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def fake_nvd() -> Iterator[FakeNvd]:
    state = FakeNvd.with_real_records()
    server, url = _serve(_nvd_handler(state))
    state.url = f"{url}/feeds"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake_osv() -> Iterator[FakeOsv]:
    state = FakeOsv.with_real_records()
    server, url = _serve(_osv_handler(state))
    state.url = url
    yield state
    server.shutdown()
    server.server_close()
