"""Reading NVD CVE 2.0 JSON feed files (``nvdcve-2.0-{YYYY,modified}.json[.gz]``) into compact records.

A year feed is a few hundred MB of JSON. ``json.load`` of the whole document would build every object at
once (several GB); instead the text is read once and the ``vulnerabilities`` array is decoded one item at
a time with the C decoder (``raw_decode``), each item reduced at once to what matching and reporting need:

``{"id", "p" published, "m" lastModified, "d" description, "r" ratings, "c" configurations}``, where a
configuration is ``[operator, negate, nodes]``, a node ``[operator, negate, matches]`` and a match
``[vulnerable, part, vendor, product, version, update, target_sw, startIncl, startExcl, endIncl, endExcl]``.
A rejected CVE becomes a tombstone ``{"id", "x": 1}`` so that the ``modified`` feed can remove it.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import InputError
from .cpe import parse_cpe

Compact = dict[str, Any]

_ARRAY = re.compile(r'"vulnerabilities"\s*:\s*\[')
_FORMAT = re.compile(r'"format"\s*:\s*"NVD_CVE"')
_SPACE = re.compile(r"[\s,]*")
_DECODER = json.JSONDecoder()
DESCRIPTION_LIMIT = 600
# the uncompressed JSON of one feed file; the largest year feeds are a few hundred MB
MAX_FEED_JSON = 2 * 1024 * 1024 * 1024

# CVSS metric keys, the preferred first, and their CycloneDX rating method
METRICS = (
    ("cvssMetricV40", "CVSSv4"),
    ("cvssMetricV31", "CVSSv31"),
    ("cvssMetricV30", "CVSSv3"),
    ("cvssMetricV2", "CVSSv2"),
)


def gunzip(data: bytes, limit: int) -> bytes:
    """gzip ``data`` decompressed (every member, as ``gzip.decompress``), refused with ``OverflowError``
    as soon as it passes ``limit`` bytes: a small file can inflate a thousandfold. ``EOFError`` when it
    is cut short, ``zlib.error`` when it is not gzip."""
    out = bytearray()
    while data:
        inflate = zlib.decompressobj(wbits=31)
        pending = data
        while pending and not inflate.eof:
            out += inflate.decompress(pending, limit + 1 - len(out))
            if len(out) > limit:
                raise OverflowError(f"it is larger than {limit} bytes uncompressed")
            pending = inflate.unconsumed_tail
        if not inflate.eof:
            raise EOFError("compressed data ended before the end-of-stream marker")
        data = inflate.unused_data.lstrip(b"\0")  # another member may follow (gzip allows padding)
    return bytes(out)


def read_text(path: Path) -> str:
    """The feed's text (``.gz`` decompressed); InputError naming the file when it cannot be read."""
    try:
        raw = path.read_bytes()
        if path.name.endswith(".gz") or raw[:2] == b"\x1f\x8b":
            raw = gunzip(raw, MAX_FEED_JSON)
        return raw.decode("utf-8")
    except (OSError, EOFError, OverflowError, zlib.error, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read NVD feed {path}: {getattr(exc, 'strerror', None) or exc}") from exc


def iter_cves(text: str, source: str = "NVD feed") -> Iterator[dict[str, Any]]:
    """The ``cve`` objects of an NVD 2.0 feed (or of an API 2.0 response page), one at a time."""
    match = _ARRAY.search(text)
    if match is None or not _FORMAT.search(text[: match.start()] + text[-4096:]):
        raise InputError(f"{source} is not an NVD CVE 2.0 JSON feed (no format NVD_CVE / vulnerabilities)")
    pos = match.end()
    end = len(text)
    while True:
        pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]  # the pattern matches ""
        if pos >= end:
            raise InputError(f"{source}: the vulnerabilities array is not closed (truncated file?)")
        if text[pos] == "]":
            return
        try:
            item, pos = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source} is not valid JSON: {exc.msg} at offset {exc.pos}") from exc
        except RecursionError:
            raise InputError(f"{source}: an entry nests too deeply to be an NVD record") from None
        cve = item.get("cve") if isinstance(item, dict) else None
        if not isinstance(cve, dict) or not isinstance(cve.get("id"), str):
            raise InputError(f"{source}: an entry of vulnerabilities has no cve.id")
        yield cve


def read_feed(path: Path) -> Iterator[Compact]:
    """Compact records of every CVE in the feed file."""
    for cve in iter_cves(read_text(path), str(path)):
        yield compact(cve)


def _list(value: Any) -> list[Any]:
    """A list field of a feed entry (a feed file is input: anything else counts as empty)."""
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def compact(cve: dict[str, Any]) -> Compact:
    cve_id = str(cve["id"])
    if cve.get("vulnStatus") == "Rejected":
        return {"id": cve_id, "x": 1, "m": _text(cve.get("lastModified")) or ""}
    record: Compact = {"id": cve_id}
    if _text(cve.get("published")):
        record["p"] = str(cve["published"])[:10]
    if _text(cve.get("lastModified")):
        record["m"] = str(cve["lastModified"])
    description = _description(cve.get("descriptions"))
    if description:
        record["d"] = description
    metrics = cve.get("metrics")
    ratings = _ratings(metrics if isinstance(metrics, dict) else {})
    if ratings:
        record["r"] = ratings
    configs = [c for c in (_config(x) for x in _list(cve.get("configurations"))) if c is not None]
    if configs:
        record["c"] = configs
    return record


def _description(items: Any) -> str | None:
    for d in _list(items):
        if isinstance(d, dict) and d.get("lang") == "en" and isinstance(d.get("value"), str):
            text = " ".join(d["value"].split())
            return text if len(text) <= DESCRIPTION_LIMIT else text[: DESCRIPTION_LIMIT - 1] + "…"
    return None


def _ratings(metrics: dict[str, Any]) -> list[list[Any]]:
    """One rating per CVSS version present, NVD's own (Primary) preferred over a CNA's (Secondary)."""
    out = []
    for key, method in METRICS:
        entries = [
            m for m in _list(metrics.get(key)) if isinstance(m, dict) and isinstance(m.get("cvssData"), dict)
        ]
        if not entries:
            continue
        best = next((m for m in entries if m.get("type") == "Primary"), entries[0])
        data = best["cvssData"]
        score = data.get("baseScore")
        score = score if isinstance(score, (int, float)) and not isinstance(score, bool) else None
        severity = (_text(data.get("baseSeverity")) or _text(best.get("baseSeverity")) or "").lower() or None
        out.append([method, severity, score, _text(data.get("vectorString")), _text(best.get("source"))])
    return out


def _config(config: Any) -> list[Any] | None:
    if not isinstance(config, dict):
        return None
    nodes = [n for n in (_node(x) for x in _list(config.get("nodes"))) if n is not None]
    if not nodes:
        return None
    return [str(config.get("operator") or "OR").upper(), int(bool(config.get("negate"))), nodes]


def _node(node: Any) -> list[Any] | None:
    if not isinstance(node, dict):
        return None
    matches = []
    for m in _list(node.get("cpeMatch")):
        if not isinstance(m, dict) or not isinstance(m.get("criteria"), str):
            continue
        cpe = parse_cpe(m["criteria"])
        if cpe is None:
            continue
        matches.append(
            [
                int(bool(m.get("vulnerable"))),
                cpe.part,
                cpe.vendor,
                cpe.product,
                cpe.version,
                cpe.update,
                cpe.target_sw,
                _text(m.get("versionStartIncluding")),
                _text(m.get("versionStartExcluding")),
                _text(m.get("versionEndIncluding")),
                _text(m.get("versionEndExcluding")),
            ]
        )
    if not matches:
        return None
    return [str(node.get("operator") or "OR").upper(), int(bool(node.get("negate"))), matches]
