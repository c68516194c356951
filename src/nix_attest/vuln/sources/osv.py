"""The OSV source: vendored dependencies by ecosystem purl, GitHub sources by commit or tag.

One ``POST /v1/querybatch`` for every purl and git reference (in batches of 1,000, following each
result's ``next_page_token``), which answers ids only; then ``GET /v1/vulns/{id}`` once per id for the
details. Every query names an ecosystem (a purl with a version, a commit, or a GitHub repository with
a tag): never a name alone. Requests go through the shared HTTP client (``github.http.ServiceClient``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError
from packageurl import PackageURL

from ...errors import ExternalError
from ...github.http import ServiceClient
from ...untrusted import json_problem, loads_json
from ..identify import is_commit
from ..model import Advisory, Finding, MatchMethod, Rating, Target, VulnSeverity

OSV_API_URL = "https://api.osv.dev"
BATCH = 1000  # queries per querybatch request (OSV's limit)
MAX_PAGES = 10  # next_page_token rounds per query
MAX_RESPONSE = 32 * 1024 * 1024
OSV_DEADLINE = 60.0  # seconds for one answer (a querybatch of 1,000 takes a few)
MAX_ADVISORIES = 5000  # distinct ids one scan fetches details for (a closure has a few hundred at most)
# OSV ids: PREFIX-..., e.g. GHSA-xxxx-xxxx-xxxx, PYSEC-2023-74, RHSA-2023:1234, openSUSE-SU-2024:1-1
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]{0,99}")
# purl types and OSV ecosystems (https://ossf.github.io/osv-schema/#affectedpackage-field)
ECOSYSTEMS = {
    "cargo": "crates.io",
    "npm": "npm",
    "pypi": "PyPI",
    "golang": "Go",
    "maven": "Maven",
    "gem": "RubyGems",
    "nuget": "NuGet",
    "composer": "Packagist",
    "hex": "Hex",
    "pub": "Pub",
}
_LEVELS: dict[str, VulnSeverity] = {
    "critical": "critical",
    "high": "high",
    "moderate": "medium",
    "medium": "medium",
    "low": "low",
    "none": "none",
}
_CVSS = (("CVSS_V4", "CVSSv4"), ("CVSS_V3", "CVSSv31"), ("CVSS_V2", "CVSSv2"))


def query_for(purl: str) -> tuple[dict[str, Any], MatchMethod] | None:
    """The OSV query for one identifier, or None when it cannot be asked without guessing."""
    try:
        p = PackageURL.from_string(purl)
    except ValueError:
        return None
    if not p.version:
        return None  # never a name-only query
    if p.type == "github":
        if not p.namespace:
            return None
        if is_commit(p.version):
            return {"commit": p.version}, "git"
        repo = f"https://github.com/{p.namespace}/{p.name}"
        return {"package": {"name": repo, "ecosystem": "GIT"}, "version": p.version}, "git"
    return {"package": {"purl": str(p.to_string())}}, "purl"


def _rating(kind: str, method: str, vector: str, source: str) -> Rating | None:
    try:
        if kind == "CVSS_V4":
            c4 = CVSS4(vector)
            return Rating(
                method, _LEVELS.get(str(c4.severity).lower(), "unknown"), float(c4.base_score), vector, source
            )
        if kind == "CVSS_V3":
            c3 = CVSS3(vector)
            m = "CVSSv31" if vector.startswith("CVSS:3.1/") else "CVSSv3"
            return Rating(
                m,
                _LEVELS.get(str(c3.severities()[0]).lower(), "unknown"),
                float(c3.base_score),
                vector,
                source,
            )
        c2 = CVSS2(vector)
        return Rating(
            method,
            _LEVELS.get(str(c2.severities()[0]).lower(), "unknown"),
            float(c2.base_score),
            vector,
            source,
        )
    except (CVSSError, ValueError, KeyError, IndexError):
        return None


def _list(value: Any) -> list[Any]:
    """A list field of an OSV record (the API's answer is not trusted to follow the schema)."""
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def ratings(record: dict[str, Any]) -> tuple[Rating, ...]:
    """CVSS v4, else v3.x, else v2 (scored from the vector), else the database's own severity word."""
    source = str(record.get("id", "OSV")).split("-", 1)[0]
    vectors = {
        s["type"]: s.get("score")
        for s in _list(record.get("severity"))
        if isinstance(s, dict) and isinstance(s.get("type"), str)
    }
    out = []
    for kind, method in _CVSS:
        vector = vectors.get(kind)
        if isinstance(vector, str):
            rating = _rating(kind, method, vector, source)
            if rating is not None:
                out.append(rating)
    word = _dict(record.get("database_specific")).get("severity")
    if not out and isinstance(word, str) and word.lower() in _LEVELS:
        out.append(Rating("other", _LEVELS[word.lower()], None, None, source))
    return tuple(out)


def _fixed_in(record: dict[str, Any], name: str) -> str | None:
    for affected in _list(record.get("affected")):
        if not isinstance(affected, dict):
            continue
        pkg = _dict(affected.get("package"))
        if pkg.get("name") not in (None, name) and str(pkg.get("name", "")).lower() != name.lower():
            continue
        for r in _list(affected.get("ranges")):
            if not isinstance(r, dict) or r.get("type") not in ("ECOSYSTEM", "SEMVER"):
                continue
            for event in _list(r.get("events")):
                if isinstance(event, dict) and isinstance(event.get("fixed"), str):
                    return str(event["fixed"])
    return None


def osv_name(p: PackageURL) -> str:
    """The package's name in its OSV ecosystem (``group:artifact`` for Maven, ``@scope/name`` for npm,
    the module path for Go, ``vendor/name`` for Packagist)."""
    if not p.namespace:
        return str(p.name)
    return f"{p.namespace}:{p.name}" if p.type == "maven" else f"{p.namespace}/{p.name}"


def _same_name(a: str, b: str) -> bool:
    """Package names as OSV databases write them (case and PyPI's ``-_.`` runs vary)."""
    return re.sub(r"[-_.]+", "-", a).lower() == re.sub(r"[-_.]+", "-", b).lower()


def _repo(url: Any) -> str:
    return str(url or "").lower().rstrip("/").removesuffix(".git")


def names_package(record: dict[str, Any], purl: str) -> bool:
    """Whether the advisory is about what was asked: its ``affected`` names the purl's package in its
    ecosystem, the GitHub repository of a tag query, or (a commit query: commits are shared by forks)
    has a git range at all. OSV's answer is not taken on trust: a compromised or confused service must
    not pin another package's advisories on a component."""
    p = PackageURL.from_string(purl)
    affected = [a for a in _list(record.get("affected")) if isinstance(a, dict)]
    if p.type == "github":
        repos = [
            _repo(r.get("repo"))
            for a in affected
            for r in _list(a.get("ranges"))
            if isinstance(r, dict) and r.get("type") == "GIT"
        ]
        return (
            bool(repos)
            if is_commit(str(p.version))
            else f"https://github.com/{p.namespace}/{p.name}".lower() in repos
        )
    ecosystem, name = ECOSYSTEMS.get(p.type), osv_name(p)
    for a in affected:
        pkg = _dict(a.get("package"))
        # an ecosystem may carry a release suffix ("Debian:12"); language ecosystems do not
        if str(pkg.get("ecosystem", "")).split(":", 1)[0] == ecosystem and _same_name(
            str(pkg.get("name", "")), name
        ):
            return True
    return False


def advisory(record: dict[str, Any]) -> Advisory:
    vid = str(record["id"])
    summary = record.get("summary") or (str(record.get("details") or "").strip().split("\n", 1)[0] or None)
    return Advisory(
        id=vid,
        source="OSV",
        summary=" ".join(str(summary).split())[:600] if summary else None,
        aliases=tuple(a for a in _list(record.get("aliases")) if isinstance(a, str)),
        ratings=ratings(record),
        published=record.get("published") if isinstance(record.get("published"), str) else None,
        modified=record.get("modified") if isinstance(record.get("modified"), str) else None,
        url=f"https://osv.dev/vulnerability/{vid}",
    )


class OsvSource:
    name = "osv"

    def __init__(self, client: ServiceClient, *, workers: int = 8) -> None:
        self.client = client
        self.workers = workers
        self.notes: tuple[str, ...] = ()

    def _post(self, body: dict[str, Any]) -> Any:
        raw = self.client.request("POST", "v1/querybatch", json=body, max_bytes=MAX_RESPONSE)
        return self._json(raw, "querybatch")

    def _json(self, raw: bytes, what: str) -> Any:
        try:
            return loads_json(raw)
        except ValueError as exc:
            raise ExternalError(f"OSV {what}: the response is {json_problem(exc)}") from None

    def _ids(self, queries: list[dict[str, Any]]) -> list[list[str]]:
        """Vulnerability ids per query, every page."""
        out: list[list[str]] = [[] for _ in queries]
        pending = list(range(len(queries)))
        tokens: dict[int, str] = {}
        for _ in range(MAX_PAGES):
            if not pending:
                break
            following: list[int] = []
            for start in range(0, len(pending), BATCH):
                chunk = pending[start : start + BATCH]
                body = {
                    "queries": [
                        dict(queries[i], **({"page_token": tokens[i]} if i in tokens else {})) for i in chunk
                    ]
                }
                results = (self._post(body) or {}).get("results")
                if not isinstance(results, list) or len(results) != len(chunk):
                    raise ExternalError("OSV querybatch: the response does not have one result per query")
                for i, result in zip(chunk, results, strict=True):
                    result = result if isinstance(result, dict) else {}
                    for v in _list(result.get("vulns")):
                        vid = v.get("id") if isinstance(v, dict) else None
                        if not isinstance(vid, str) or not _ID.fullmatch(vid):
                            raise ExternalError(f"OSV querybatch: {vid!r:.60} is not an advisory id")
                        out[i].append(vid)
                    token = result.get("next_page_token")
                    if isinstance(token, str) and token:
                        tokens[i] = token
                        following.append(i)
            pending = following
        return out

    def _details(self, vid: str) -> dict[str, Any]:
        raw = self.client.request("GET", f"v1/vulns/{vid}", max_bytes=MAX_RESPONSE)
        record = self._json(raw, f"vulns/{vid}")
        if not isinstance(record, dict) or record.get("id") != vid:
            raise ExternalError(f"OSV vulns/{vid}: the response is not that vulnerability")
        return record

    def findings(self, targets: Sequence[Target]) -> list[Finding]:
        asked: list[tuple[Target, str, MatchMethod]] = []
        queries: list[dict[str, Any]] = []
        for t in targets:
            for purl in t.purls:
                made = query_for(purl)
                if made is not None:
                    queries.append(made[0])
                    asked.append((t, purl, made[1]))
        if not queries:
            return []
        ids = self._ids(queries)
        unique = sorted({vid for found in ids for vid in found})
        if len(unique) > MAX_ADVISORIES:
            raise ExternalError(
                f"OSV answered more than {MAX_ADVISORIES} advisories for one scan: not trusted"
            )
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            records = dict(zip(unique, pool.map(self._details, unique), strict=True))
        out = []
        foreign: list[str] = []
        for (t, purl, method), found in zip(asked, ids, strict=True):
            for vid in dict.fromkeys(found):
                record = records[vid]
                if record.get("withdrawn"):
                    continue
                if not names_package(record, purl):
                    foreign.append(f"{vid} for {purl}")
                    continue
                out.append(
                    Finding(
                        advisory=advisory(record),
                        ref=t.ref,
                        name=t.name,
                        version=t.version,
                        method=method,
                        evidence=purl,
                        closures=t.closures,
                        purl=t.purl,
                        fixed_in=_fixed_in(record, osv_name(PackageURL.from_string(purl))),
                    )
                )
        if foreign:
            self.notes = (
                f"OSV answered {len(foreign)} advisories that do not name the package asked about "
                f"(ignored): {', '.join(foreign[:10])}" + (" …" if len(foreign) > 10 else ""),
            )
        return out

    def describe(self) -> str:
        return f"OSV ({self.client.base_url})"
