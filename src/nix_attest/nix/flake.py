"""The flake an installable comes from, as Nix locked it (`nix flake metadata --json`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..untrusted import loads_json
from .runner import Nix


@dataclass(frozen=True, slots=True)
class FlakeInfo:
    """The flake an installable came from, as Nix locked it."""

    original_url: str
    locked_url: str | None = None
    rev: str | None = None
    nar_hash: str | None = None
    last_modified: int | None = None
    inputs: tuple[FlakeInput, ...] = ()


@dataclass(frozen=True, slots=True)
class FlakeInput:
    """A locked flake input (from flake.lock)."""

    name: str
    locked_url: str
    rev: str | None = None
    nar_hash: str | None = None


def flake_metadata(nix: Nix, flake_ref: str) -> FlakeInfo:
    out = nix.run(
        ["flake", "metadata", "--json", flake_ref], what="nix flake metadata", installable=flake_ref
    )
    try:
        doc = loads_json(out)
    except ValueError as exc:
        raise InputError(f"unexpected output from nix flake metadata: {exc}") from exc
    return parse_flake_metadata(doc, flake_ref)


def _locked_url(locked: dict[str, Any], fallback: str | None) -> str | None:
    kind = locked.get("type")
    if kind == "path":
        # a path flake's lastModified is a file mtime: it differs between clones, so leave it out
        return f"path:{locked.get('path')}?narHash={locked.get('narHash')}"
    if kind == "github" or kind == "gitlab" or kind == "sourcehut":
        return f"{kind}:{locked.get('owner')}/{locked.get('repo')}/{locked.get('rev')}"
    if kind in ("git", "tarball", "file", "mercurial", "hg"):
        url = locked.get("url")
        rev = locked.get("rev")
        if url:
            return f"{kind}+{url}" + (f"?rev={rev}" if rev else "") if kind == "git" else str(url)
    return fallback


def parse_flake_metadata(doc: dict[str, Any], original: str) -> FlakeInfo:
    locked = doc.get("locked") or {}
    inputs: list[FlakeInput] = []
    locks = doc.get("locks") or {}
    nodes = locks.get("nodes") or {}
    root = nodes.get(locks.get("root", "root")) or {}
    for name, node_id in sorted((root.get("inputs") or {}).items()):
        if not isinstance(node_id, str):  # "follows" paths are lists
            continue
        node = nodes.get(node_id) or {}
        lk = node.get("locked") or {}
        inputs.append(
            FlakeInput(
                name=name,
                locked_url=_locked_url(lk, None) or json.dumps(lk, sort_keys=True),
                rev=lk.get("rev"),
                nar_hash=lk.get("narHash"),
            )
        )
    last_modified = locked.get("lastModified") if locked.get("type") != "path" else None
    url = doc.get("url")
    return FlakeInfo(
        original_url=original,
        locked_url=_locked_url(locked, url) if locked.get("type") == "path" or not url else str(url),
        rev=locked.get("rev") or doc.get("revision"),
        nar_hash=locked.get("narHash"),
        last_modified=int(last_modified) if last_modified else None,
        inputs=tuple(inputs),
    )
