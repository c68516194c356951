"""The local NVD database: download the NVD 2.0 feeds, keep compact records per feed, build the index.

Cache layout (``--cache-dir``, default ``$NIX_ATTEST_CACHE_DIR``, else ``$XDG_CACHE_HOME/nix-attest``, else
``~/.cache/nix-attest``); restore and save the whole ``nvd/`` directory with ``actions/cache``::

    nvd/state.json                  what was downloaded: per feed its .meta sha256 and lastModifiedDate
    nvd/feeds/<feed>.jsonl.gz       compact records of one feed (2002 ... this year, modified)
    nvd/index.nxi                   the index scans read (see vuln.index)

An update fetches every feed's small ``.meta`` file, downloads only the feeds whose SHA-256 changed
(checking the downloaded JSON against it), and rebuilds the index from the compact records when
anything changed: the year feeds in order, then ``modified`` (newer records replace older ones).
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ExternalError, InputError
from ..fsutil import write_atomic
from ..github.http import ServiceClient, ServiceError
from .index import NvdIndex, encode, merge, write_index
from .nvdfeed import MAX_FEED_JSON, Compact, compact, gunzip, iter_cves, read_feed

NVD_FEED_URL = "https://nvd.nist.gov/feeds/json/cve/2.0"
FIRST_YEAR = 2002
STATE_FORMAT = 1
MAX_FEED_BYTES = 512 * 1024 * 1024  # compressed; the largest year feeds are a few tens of MB
MAX_JSON_BYTES = MAX_FEED_JSON  # uncompressed: refused while it inflates


def default_cache_dir() -> Path:
    explicit = os.environ.get("NIX_ATTEST_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "nix-attest"


@dataclass(frozen=True)
class NvdCache:
    root: Path  # the cache dir; NVD data lives in root / "nvd"

    @property
    def nvd(self) -> Path:
        return self.root / "nvd"

    @property
    def index_path(self) -> Path:
        return self.nvd / "index.nxi"

    @property
    def state_path(self) -> Path:
        return self.nvd / "state.json"

    def records_path(self, feed: str) -> Path:
        return self.nvd / "feeds" / f"{feed}.jsonl.gz"

    def state(self) -> dict[str, Any]:
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"format": STATE_FORMAT, "feeds": {}}
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
            return {"format": STATE_FORMAT, "feeds": {}}
        return data

    def has_index(self) -> bool:
        return self.index_path.is_file()

    def open_index(self) -> NvdIndex:
        return NvdIndex(self.index_path)


def feed_names(today: dt.date) -> list[str]:
    return [str(y) for y in range(FIRST_YEAR, today.year + 1)] + ["modified"]


def parse_meta(text: str, source: str) -> dict[str, str]:
    """A ``.meta`` file: ``key:value`` lines (lastModifiedDate, size, gzSize, sha256)."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    sha = out.get("sha256", "")
    if len(sha) != 64 or any(c not in "0123456789abcdefABCDEF" for c in sha):
        raise ExternalError(f"{source} is not an NVD .meta file (no sha256)")
    return out


def _write_records(path: Path, records: Iterable[Compact]) -> int:
    lines = [json.dumps(r, separators=(",", ":"), ensure_ascii=False) for r in records]
    write_atomic(path, gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    return len(lines)


def _read_records(path: Path) -> Iterator[Compact]:
    try:
        text = gunzip(path.read_bytes(), MAX_JSON_BYTES).decode()
    except (OSError, EOFError, OverflowError, zlib.error, UnicodeDecodeError) as exc:
        raise InputError(
            f"the NVD cache file {path} is damaged ({exc}); delete it and update again"
        ) from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise InputError(
                f"the NVD cache file {path} is damaged (line {number}); delete it and update again"
            )
        yield record


@dataclass(frozen=True)
class UpdateReport:
    downloaded: tuple[str, ...]
    unchanged: tuple[str, ...]
    cves: int  # in the index
    rebuilt: bool


def update(
    cache: NvdCache,
    client: ServiceClient,
    *,
    today: dt.date | None = None,
    log: bool = True,
) -> UpdateReport:
    """Bring the cache up to date with the feeds at ``client.base_url``; see the module docstring."""
    day = today or dt.datetime.now(dt.timezone.utc).date()
    state = cache.state()
    feeds_state: dict[str, Any] = state.setdefault("feeds", {})
    downloaded, unchanged = [], []
    for name in feed_names(day):
        base = f"nvdcve-2.0-{name}"
        try:
            meta = parse_meta(
                client.request("GET", f"{base}.meta", max_bytes=1 << 16).decode(), f"{base}.meta"
            )
        except ServiceError as err:
            if err.status == 404 and name == str(day.year):
                continue  # early January: this year's feed may not exist yet
            raise
        known = feeds_state.get(name) or {}
        if known.get("sha256", "").upper() == meta["sha256"].upper() and cache.records_path(name).is_file():
            unchanged.append(name)
            continue
        gz = client.request("GET", f"{base}.json.gz", max_bytes=MAX_FEED_BYTES)
        where = f"{base}.json.gz from {client.base_url}"
        try:
            raw = gunzip(gz, MAX_JSON_BYTES)
        except OverflowError as exc:
            raise ExternalError(f"{where}: {exc}; nothing was changed") from None
        except (EOFError, zlib.error) as exc:
            raise ExternalError(f"{where} is not gzip data ({exc})") from None
        if hashlib.sha256(raw).hexdigest().upper() != meta["sha256"].upper():
            raise ExternalError(
                f"{where} does not match the sha256 of its .meta file "
                "(a partial or tampered download); nothing was changed"
            )
        try:  # it matches its .meta: a feed that is no NVD feed is the service's failure, not bad input
            records = [compact(cve) for cve in iter_cves(raw.decode("utf-8", "strict"), where)]
        except UnicodeDecodeError as exc:
            raise ExternalError(f"{where} is not UTF-8 (byte {exc.start})") from None
        except InputError as err:
            raise ExternalError(str(err)) from None
        count = _write_records(cache.records_path(name), records)
        feeds_state[name] = {
            "sha256": meta["sha256"].upper(),
            "lastModifiedDate": meta.get("lastModifiedDate"),
            "records": count,
        }
        downloaded.append(name)
        if log:
            sys.stderr.write(f"nix-attest: NVD feed {name}: {count} CVE record(s)\n")
    rebuilt = bool(downloaded) or not cache.has_index()
    cves = 0
    if rebuilt:
        names = [n for n in feed_names(day) if cache.records_path(n).is_file()]
        header = {
            "built": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "source": client.base_url,
            "feeds": {n: feeds_state.get(n, {}).get("lastModifiedDate") for n in names},
        }
        try:
            cves = write_index(cache.index_path, _all_records(cache, names), header)
        except (TypeError, ValueError, KeyError, IndexError) as exc:  # records of the wrong shape
            raise InputError(
                f"the NVD cache in {cache.nvd} is damaged ({type(exc).__name__}: {exc}); "
                "delete it and update again"
            ) from None
    else:
        with cache.open_index() as idx:
            cves = len(idx)
    state["updated"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    write_atomic(cache.state_path, json.dumps(state, indent=1, sort_keys=True) + "\n")
    return UpdateReport(tuple(downloaded), tuple(unchanged), cves, rebuilt)


def _all_records(cache: NvdCache, names: list[str]) -> Iterator[Compact]:
    for name in names:
        yield from _read_records(cache.records_path(name))


def feed_files(paths: Iterable[str]) -> list[Path]:
    """``--nvd-feed`` arguments: files, or directories holding ``*.json`` / ``*.json.gz`` feeds."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(x for x in p.iterdir() if x.name.endswith((".json", ".json.gz")))
            if not found:
                raise InputError(f"--nvd-feed {raw}: no .json or .json.gz feed files in this directory")
            out += found
        elif p.is_file():
            out.append(p)
        else:
            raise InputError(f"--nvd-feed {raw}: no such file or directory")
    # "modified" last, so that its newer records replace the year feeds' ones
    return sorted(out, key=lambda x: ("modified" in x.name, x.name))


def index_from_feeds(paths: list[Path]) -> NvdIndex:
    """An in-memory index of the given feed files (nothing is written)."""
    merged = merge(r for p in paths for r in read_feed(p))
    data = encode(merged, {"built": "from --nvd-feed", "feeds": {p.name: None for p in paths}})
    return NvdIndex(Path("<--nvd-feed>"), data)
