"""The compact local NVD index: built once from the feeds (``vulndb update``), memory-mapped by each scan.

Layout of the file (little-endian, one file so that it is replaced atomically)::

    b"NXAVIDX2"
    u64 n, header JSON        {"format": 2, "built": ..., "count": N, "feeds": {...}}
    u64 n, product table JSON {product: [offset, length] in the product blob, ...}
    u64 n, product blob       per product, a JSON list [[record number, [CPE match, ...]], ...]
    u64 n, offsets            uint64 x (N + 1) into the record blob
    record blob               one compact JSON record per CVE (see ``nvdfeed``), sorted by id

A record is listed under every product named by one of its vulnerable CPE matches (only those can
produce a finding), with those matches: a scan first checks a component against them (vendor, part,
version range) and parses the whole record, to evaluate its configurations, only when one applies.
Loading reads the header, the product table and the offsets; nothing else is parsed until looked up.
"""

from __future__ import annotations

import json
import mmap
import struct
from array import array
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from ..errors import InputError
from ..fsutil import write_atomic
from .nvdfeed import Compact

MAGIC = b"NXAVIDX2"
FORMAT = 2
_U64 = struct.Struct("<Q")
ENTRY_CACHE = 64  # products whose parsed entries are kept


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


def vulnerable_matches(record: Compact) -> dict[str, list[list[Any]]]:
    """The record's vulnerable CPE matches by product (each once)."""
    out: dict[str, list[list[Any]]] = {}
    for config in record.get("c") or ():
        for node in config[2]:
            for m in node[2]:
                if m[0]:
                    entries = out.setdefault(m[3], [])
                    if m not in entries:
                        entries.append(m)
    return out


def products_of(record: Compact) -> set[str]:
    return set(vulnerable_matches(record))


def _is_match(m: Any) -> bool:
    """A CPE match as ``nvdfeed`` writes it: [vulnerable, part, vendor, product, version, update,
    target_sw, start_incl, start_excl, end_incl, end_excl] (bounds a string or null)."""
    return (
        type(m) is list
        and len(m) == 11
        and all(type(x) is str for x in m[1:7])
        and all(x is None or type(x) is str for x in m[7:])
    )


def _is_record(rec: Any) -> bool:
    """A compact CVE record whose configurations and ratings have the shapes the matcher reads."""
    if type(rec) is not dict or type(rec.get("id")) is not str:
        return False
    configs, ratings = rec.get("c") or [], rec.get("r") or []
    if type(configs) is not list or type(ratings) is not list:
        return False
    for config in configs:
        if not (type(config) is list and len(config) == 3 and type(config[2]) is list):
            return False
        for node in config[2]:
            if not (type(node) is list and len(node) == 3 and type(node[2]) is list):
                return False
            if not all(_is_match(m) for m in node[2]):
                return False
    for r in ratings:  # [method, severity, score, vector, source]
        if not (type(r) is list and len(r) == 5 and type(r[0]) is str):
            return False
        if not all(x is None or type(x) is str for x in (r[1], r[3], r[4])):
            return False
        if not (r[2] is None or type(r[2]) in (int, float)):
            return False
    return all(rec.get(k) is None or type(rec[k]) is str for k in ("d", "p", "m"))


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def encode(records: dict[str, Compact], header: dict[str, Any]) -> bytes:
    ids = sorted(records)
    blobs: list[bytes] = []
    offsets = array("Q", [0])
    by_product: dict[str, list[list[Any]]] = {}
    total = 0
    for n, cve_id in enumerate(ids):
        rec = records[cve_id]
        blob = _dumps(rec)
        blobs.append(blob)
        total += len(blob)
        offsets.append(total)
        for product, entries in vulnerable_matches(rec).items():
            by_product.setdefault(product, []).append([n, entries])
    table: dict[str, list[int]] = {}
    product_blobs: list[bytes] = []
    position = 0
    for product in sorted(by_product):
        blob = _dumps(by_product[product])
        table[product] = [position, len(blob)]
        product_blobs.append(blob)
        position += len(blob)
    head = json.dumps({**header, "format": FORMAT, "count": len(ids)}, sort_keys=True).encode()
    parts = [MAGIC]
    for section in (head, _dumps(table), b"".join(product_blobs), offsets.tobytes()):
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
        except (ValueError, KeyError, TypeError, IndexError, struct.error) as exc:
            self.close()
            raise self._damaged(exc) from None

    def _damaged(self, why: object) -> InputError:
        return InputError(
            f"the NVD index {self.path} is damaged or from another version ({why}); "
            "run nix-attest vulndb update"
        )

    def _load(self) -> None:
        m = self._map
        if m[: len(MAGIC)] != MAGIC:
            raise ValueError("bad magic")
        pos = len(MAGIC)
        bounds: list[tuple[int, int]] = []
        for _ in range(4):
            (size,) = _U64.unpack_from(m, pos)
            pos += _U64.size
            if pos + size > len(m):
                raise ValueError("truncated")
            bounds.append((pos, pos + size))
            pos += size
        header = json.loads(m[slice(*bounds[0])])
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ValueError(f"format {header.get('format') if isinstance(header, dict) else header!r:.20}")
        self.header: dict[str, Any] = header
        products = json.loads(m[slice(*bounds[1])])
        if not isinstance(products, dict):
            raise ValueError("no product table")
        self._products: dict[str, list[int]] = products
        self._product_base, self._product_end = bounds[2]
        self._offsets = array("Q")
        self._offsets.frombytes(m[slice(*bounds[3])])
        self._base = pos
        self._entries: OrderedDict[str, list[tuple[int, list[list[Any]]]]] = OrderedDict()
        count = header.get("count")
        if not isinstance(count, int) or count < 0 or len(self._offsets) != count + 1:
            raise ValueError("offset table does not match the count")
        if self._offsets[0] != 0 or self._base + self._offsets[-1] != len(m):
            raise ValueError("the records do not end where the offsets say (truncated)")

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

    def entries(self, product: str) -> list[tuple[int, list[list[Any]]]]:
        """For each record with a vulnerable CPE match naming ``product``: its number and those
        matches (parsed once per product)."""
        found = self._entries.get(product)
        if found is not None:
            self._entries.move_to_end(product)
            return found
        where = self._products.get(product)
        if where is None:
            return []
        try:
            start, end = self._product_base + where[0], self._product_base + where[0] + where[1]
            if not (where[0] >= 0 and where[1] >= 0 and end <= self._product_end):
                raise ValueError(f"the entries of {product!r:.40} are out of bounds")
            found = [(int(n), matches) for n, matches in json.loads(self._map[start:end])]
            count = len(self._offsets) - 1
            if any(not 0 <= n < count for n, _ in found):
                raise ValueError(f"the entries of {product!r:.40} name missing records")
            if not all(type(ms) is list and all(_is_match(m) for m in ms) for _, ms in found):
                raise ValueError(f"the entries of {product!r:.40} are not CPE matches")
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise self._damaged(exc) from None
        self._entries[product] = found
        if len(self._entries) > ENTRY_CACHE:  # bounded: a closure names thousands of products
            self._entries.popitem(last=False)
        return found

    def candidates(self, product: str) -> tuple[int, ...]:
        """Numbers of the records with a vulnerable CPE match naming ``product``."""
        return tuple(n for n, _ in self.entries(product))

    def record(self, n: int) -> Compact:
        """Record ``n``, parsed (not cached: callers keep what they need)."""
        start, end = self._base + self._offsets[n], self._base + self._offsets[n + 1]
        try:
            if start > end:
                raise ValueError(f"record {n} has a negative length")
            record = json.loads(self._map[start:end])
            if not _is_record(record):
                raise ValueError(f"record {n} is not a CVE record")
        except ValueError as exc:
            raise self._damaged(exc) from None
        return cast(Compact, record)

    def records(self) -> Iterable[Compact]:
        for n in range(len(self)):
            yield self.record(n)
