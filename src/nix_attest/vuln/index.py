"""The compact local NVD index: built once from the feeds (``vulndb update``), memory-mapped by each scan.

Layout of the file (little-endian, one file so that it is replaced atomically)::

    b"NXAVIDX1"
    u64 n, header JSON        {"format": 1, "built": ..., "count": N, "feeds": {...}}
    u64 n, product table JSON {product: [first posting, count], ...}
    u64 n, postings           uint32 record numbers, grouped by product
    u64 n, offsets            uint64 x (N + 1) into the record blob
    record blob               one compact JSON record per CVE (see ``nvdfeed``), sorted by id

Loading reads the header, the product table and two arrays (no record is parsed); a scan parses only the
records of the products it looks up. A record is listed under every product named by one of its
vulnerable CPE matches: only those can produce a finding.
"""

from __future__ import annotations

import json
import mmap
import struct
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..fsutil import write_atomic
from .nvdfeed import Compact

MAGIC = b"NXAVIDX1"
FORMAT = 1
_U64 = struct.Struct("<Q")


def merge(records: Iterable[Compact]) -> dict[str, Compact]:
    """One record per CVE id: a later record replaces an earlier one unless it is older (``m``);
    tombstones (rejected CVEs) remove the id."""
    merged: dict[str, Compact] = {}
    for rec in records:
        old = merged.get(rec["id"])
        if old is not None and str(rec.get("m") or "") < str(old.get("m") or ""):
            continue
        merged[rec["id"]] = rec
    return {k: v for k, v in merged.items() if not v.get("x")}


def products_of(record: Compact) -> set[str]:
    return {m[3] for config in record.get("c") or () for node in config[2] for m in node[2] if m[0]}


def encode(records: dict[str, Compact], header: dict[str, Any]) -> bytes:
    ids = sorted(records)
    blobs: list[bytes] = []
    offsets = array("Q", [0])
    by_product: dict[str, list[int]] = {}
    total = 0
    for n, cve_id in enumerate(ids):
        rec = records[cve_id]
        blob = json.dumps(rec, separators=(",", ":"), ensure_ascii=False).encode()
        blobs.append(blob)
        total += len(blob)
        offsets.append(total)
        for product in products_of(rec):
            by_product.setdefault(product, []).append(n)
    postings = array("I")
    table: dict[str, list[int]] = {}
    for product in sorted(by_product):
        numbers = by_product[product]
        table[product] = [len(postings), len(numbers)]
        postings.extend(numbers)
    head = json.dumps({**header, "format": FORMAT, "count": len(ids)}, sort_keys=True).encode()
    table_json = json.dumps(table, separators=(",", ":"), ensure_ascii=False).encode()
    parts = [MAGIC]
    for section in (head, table_json, postings.tobytes(), offsets.tobytes()):
        parts += [_U64.pack(len(section)), section]
    parts += blobs
    return b"".join(parts)


def write_index(path: Path, records: Iterable[Compact], header: dict[str, Any]) -> int:
    """Merge, encode and write the index atomically; returns the number of CVEs in it."""
    merged = merge(records)
    write_atomic(path, encode(merged, header))
    return len(merged)


class NvdIndex:
    """A memory-mapped index. Use as a context manager (or call :meth:`close`)."""

    def __init__(self, path: Path, data: bytes | None = None) -> None:
        """Map ``path``; or, with ``data``, use those bytes (an index built in memory from feed files)."""
        self.path = path
        self._map: mmap.mmap | bytes
        if data is not None:
            self._map = data
        else:
            try:
                with path.open("rb") as fh:
                    self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError) as exc:
                reason = getattr(exc, "strerror", None) or exc
                raise InputError(f"cannot read the NVD index {path}: {reason}") from exc
        try:
            self._load()
        except (ValueError, KeyError, TypeError, struct.error) as exc:
            self.close()
            raise InputError(
                f"the NVD index {path} is damaged or from another version ({exc}); "
                "run nix-attest vulndb update"
            ) from None
        self._cache: dict[int, Compact] = {}

    def _load(self) -> None:
        m = self._map
        if m[: len(MAGIC)] != MAGIC:
            raise ValueError("bad magic")
        pos = len(MAGIC)
        sections: list[bytes] = []
        for _ in range(4):
            (size,) = _U64.unpack_from(m, pos)
            pos += _U64.size
            if pos + size > len(m):
                raise ValueError("truncated")
            sections.append(m[pos : pos + size])
            pos += size
        self.header: dict[str, Any] = json.loads(sections[0])
        if self.header.get("format") != FORMAT:
            raise ValueError(f"format {self.header.get('format')}")
        self._products: dict[str, list[int]] = json.loads(sections[1])
        self._postings = array("I")
        self._postings.frombytes(sections[2])
        self._offsets = array("Q")
        self._offsets.frombytes(sections[3])
        self._base = pos
        if len(self._offsets) != int(self.header["count"]) + 1:
            raise ValueError("offset table does not match the count")

    def __enter__(self) -> NvdIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if isinstance(self._map, mmap.mmap):
            self._map.close()

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @property
    def products(self) -> int:
        return len(self._products)

    def candidates(self, product: str) -> tuple[int, ...]:
        """Numbers of the records with a vulnerable CPE match naming ``product``."""
        entry = self._products.get(product)
        if entry is None:
            return ()
        first, count = entry
        return tuple(self._postings[first : first + count])

    def record(self, n: int) -> Compact:
        rec = self._cache.get(n)
        if rec is None:
            start = self._base + self._offsets[n]
            end = self._base + self._offsets[n + 1]
            rec = json.loads(self._map[start:end])
            self._cache[n] = rec
        return rec

    def records(self) -> Iterable[Compact]:
        for n in range(len(self)):
            yield self.record(n)
