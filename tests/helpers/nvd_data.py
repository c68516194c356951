"""The real NVD records under tests/data/vuln (see its README) and NVD 2.0 feed envelopes around them."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data" / "vuln"


def _cves_in(path: Path) -> list[dict[str, Any]]:
    raw = path.read_bytes()
    doc = json.loads(gzip.decompress(raw) if path.name.endswith(".gz") else raw)
    if "vulnerabilities" in doc:
        return [item["cve"] for item in doc["vulnerabilities"]]
    return [doc.get("cve", doc)]  # an API page's item, or a bare cve object


def real_cves() -> dict[str, dict[str, Any]]:
    """Every real CVE object, by id (the most recently modified copy when two files have one)."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted((DATA / "nvd").rglob("*.json*")):
        for cve in _cves_in(path):
            old = out.get(cve["id"])
            if old is None or str(cve.get("lastModified")) >= str(old.get("lastModified")):
                out[cve["id"]] = cve
    return out


def feed_document(cves: list[dict[str, Any]], timestamp: str = "2026-12-01T00:00:00.000") -> dict[str, Any]:
    return {
        "resultsPerPage": len(cves),
        "startIndex": 0,
        "totalResults": len(cves),
        "format": "NVD_CVE",
        "version": "2.0",
        "timestamp": timestamp,
        "vulnerabilities": [{"cve": c} for c in cves],
    }


def feed_bytes(cves: list[dict[str, Any]]) -> bytes:
    return json.dumps(feed_document(cves), indent=2).encode()


def meta_text(raw: bytes, gz: bytes, last_modified: str = "2026-12-01T03:00:01-05:00") -> str:
    """A ``.meta`` file as NVD writes it: sizes and the SHA-256 of the uncompressed JSON."""
    return (
        f"lastModifiedDate:{last_modified}\r\nsize:{len(raw)}\r\nzipSize:{len(gz)}\r\n"
        f"gzSize:{len(gz)}\r\nsha256:{hashlib.sha256(raw).hexdigest().upper()}\r\n"
    )


def write_feed(path: Path, cves: list[dict[str, Any]]) -> Path:
    raw = feed_bytes(cves)
    path.write_bytes(gzip.compress(raw, mtime=0) if path.name.endswith(".gz") else raw)
    return path
