"""``nix path-info --json`` in every shape: a list (Nix <= 2.18), an object keyed by path (2.19+),
with base names or full paths, narHash as ``sha256:<base32>`` or SRI."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import InputError, InvalidStorePath
from .hashes import to_hex
from .names import STORE_DIR, absolute


@dataclass(frozen=True, slots=True)
class PathInfo:
    path: str
    nar_hash: str  # as Nix printed it
    nar_sha256: str  # hex
    nar_size: int
    references: tuple[str, ...]
    deriver: str | None
    ca: str | None = None


def parse_path_info(doc: Any, store_dir: str = STORE_DIR) -> dict[str, PathInfo]:
    entries: list[tuple[str, Any]]
    if isinstance(doc, list):
        entries = [(str(e.get("path", "")), e) for e in doc if isinstance(e, dict)]
    elif isinstance(doc, dict):
        if isinstance(doc.get("info"), dict):  # versioned wrapper
            doc = doc["info"]
        entries = list(doc.items())
    else:
        raise InputError("path-info JSON: expected a list or an object")
    out: dict[str, PathInfo] = {}
    for key, e in entries:
        path = absolute(str(key), store_dir)
        if e is None or (isinstance(e, dict) and e.get("valid") is False):
            raise InvalidStorePath(f"store path not valid: {path}")
        try:
            out[path] = _entry(path, e, store_dir)
        except (AttributeError, TypeError, ValueError, OverflowError) as exc:  # a shape no Nix writes
            raise InputError(f"path-info JSON: entry {path!r} is malformed ({type(exc).__name__})") from exc
    return out


def _entry(path: str, e: Any, store_dir: str) -> PathInfo:
    raw_hash = e.get("narHash")
    if isinstance(raw_hash, dict):
        algo, hex_digest = to_hex(str(raw_hash.get("hash")), str(raw_hash.get("algorithm", "sha256")))
        raw_hash = f"{algo}:{hex_digest}"
    else:
        algo, hex_digest = to_hex(str(raw_hash))
    refs = tuple(sorted(absolute(str(r), store_dir) for r in e.get("references") or () if r))
    deriver = e.get("deriver")
    ca = e.get("ca")
    return PathInfo(
        path=path,
        nar_hash=str(raw_hash),
        nar_sha256=hex_digest if algo == "sha256" else "",
        nar_size=int(e.get("narSize") or 0),
        references=refs,
        deriver=absolute(str(deriver), store_dir) if deriver else None,
        ca=ca if isinstance(ca, str) else None,
    )


def closure_paths(infos: dict[str, PathInfo], roots: Sequence[str]) -> list[str]:
    """All paths reachable from ``roots`` through references (sorted)."""
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        info = infos.get(p)
        if info:
            stack.extend(r for r in info.references if r not in seen)
    return sorted(seen)
