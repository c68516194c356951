"""The flake an installable comes from, as Nix locked it (`nix flake metadata --json`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..untrusted import loads_json
from .confine import check_flake_lock
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
    path: str | None = None  # the flake's source in the store (package positions point into it)
    local: bool = False  # a path: or git+file: flake (the user's own checkout)
    locked: LockedRef | None = None
    lock_tree: tuple[tuple[tuple[str, ...], LockedRef], ...] = ()  # every locked input, by input path


@dataclass(frozen=True, slots=True)
class LockedRef:
    """Where a flake (or one of its inputs) was locked from: enough to name who supplies it."""

    type: str
    owner: str | None = None
    repo: str | None = None
    url: str | None = None
    host: str | None = None

    @property
    def local(self) -> bool:
        return self.type == "path" or (self.url or "").startswith("file:")

    def web_url(self) -> str | None:
        """The repository's web address (``https://github.com/NixOS/nixpkgs``), when it has one."""
        if self.type == "github" and self.owner and self.repo:
            return f"https://{self.host or 'github.com'}/{self.owner}/{self.repo}"
        if self.type == "gitlab" and self.owner and self.repo:
            return f"https://{self.host or 'gitlab.com'}/{self.owner}/{self.repo}"
        if self.type == "sourcehut" and self.owner and self.repo:
            return f"https://{self.host or 'git.sr.ht'}/{self.owner}/{self.repo}"
        if self.url and self.url.startswith(("https://", "http://")):
            return self.url.split("?", 1)[0]
        return None


@dataclass(frozen=True, slots=True)
class FlakeInput:
    """A locked flake input (from flake.lock)."""

    name: str
    locked_url: str
    rev: str | None = None
    nar_hash: str | None = None


def flake_metadata(nix: Nix, flake_ref: str) -> FlakeInfo:
    check_flake_lock(flake_ref)
    out = nix.run(
        ["flake", "metadata", "--json", "--no-update-lock-file", "--", flake_ref],
        what="nix flake metadata",
        installable=flake_ref,
    )
    try:
        doc = loads_json(out)
    except ValueError as exc:
        raise InputError(f"unexpected output from nix flake metadata: {exc}") from exc
    return parse_flake_metadata(doc, flake_ref)


def _locked_ref(locked: dict[str, Any]) -> LockedRef | None:
    kind = locked.get("type")
    if not isinstance(kind, str):
        return None

    def s(key: str) -> str | None:
        value = locked.get(key)
        return value if isinstance(value, str) and value else None

    return LockedRef(type=kind, owner=s("owner"), repo=s("repo"), url=s("url"), host=s("host"))


def _lock_tree(locks: dict[str, Any]) -> tuple[tuple[tuple[str, ...], LockedRef], ...]:
    """Every input of the lock file by its input path (``("nixpkgs",)``, ``("utils", "systems")``),
    ``follows`` resolved; bounded by the number of nodes (a lock file is hostile input too)."""
    raw_nodes = locks.get("nodes")
    nodes: dict[str, Any] = raw_nodes if isinstance(raw_nodes, dict) else {}
    root_id = str(locks.get("root", "root"))

    def resolve(ref: Any, depth: int = 0) -> str | None:
        """A node id, or a ``follows`` path from the root resolved to one."""
        if isinstance(ref, str):
            return ref
        if not isinstance(ref, list) or depth > 32:
            return None
        current: str | None = root_id
        for name in ref:
            node = nodes.get(current or "")
            inputs = node.get("inputs") if isinstance(node, dict) else None
            current = resolve(inputs.get(name), depth + 1) if isinstance(inputs, dict) else None
            if current is None:
                return None
        return current

    out: list[tuple[tuple[str, ...], LockedRef]] = []
    queue: list[tuple[tuple[str, ...], str]] = [((), root_id)]
    seen: set[str] = set()
    while queue:
        prefix, node_id = queue.pop(0)
        node = nodes.get(node_id)
        if node_id in seen or not isinstance(node, dict):
            continue
        seen.add(node_id)
        locked = node.get("locked")
        ref = _locked_ref(locked) if prefix and isinstance(locked, dict) else None
        if ref is not None:
            out.append((prefix, ref))
        inputs = node.get("inputs")
        for name, target in sorted(inputs.items() if isinstance(inputs, dict) else ()):
            child = resolve(target)
            if child is not None:
                queue.append(((*prefix, str(name)), child))
    return tuple(out)


ARCHIVE_SECONDS = 120.0  # the lock file is the PR's: an input that will not resolve must not hang the job


def flake_source_paths(nix: Nix, flake_ref: str) -> dict[tuple[str, ...], str]:
    """The store path of the flake's source and of every input, by input path (``()`` is the flake):
    ``nix flake archive --dry-run --json`` (the inputs are already fetched by the evaluation; the
    store paths come from the lock file). Bounded by :data:`ARCHIVE_SECONDS`."""
    out = nix.run(
        ["flake", "archive", "--dry-run", "--json", "--no-update-lock-file", "--", flake_ref],
        what="nix flake archive --dry-run",
        installable=flake_ref,
        timeout=ARCHIVE_SECONDS,
    )
    try:
        doc = loads_json(out)  # the lock file's nesting is the PR's
    except ValueError as exc:
        raise InputError(f"unexpected output from nix flake archive: {exc}") from exc
    paths: dict[tuple[str, ...], str] = {}
    stack: list[tuple[tuple[str, ...], Any]] = [((), doc)]
    while stack and len(paths) < 10_000:
        prefix, node = stack.pop()
        if not isinstance(node, dict):
            continue
        if isinstance(node.get("path"), str):
            paths[prefix] = node["path"]
        for name, child in (node.get("inputs") or {}).items():
            stack.append(((*prefix, str(name)), child))
    return paths


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
        path=doc.get("path") if isinstance(doc.get("path"), str) else None,
        local=(_locked_ref(locked) or LockedRef("path")).local,
        locked=_locked_ref(locked),
        lock_tree=_lock_tree(locks),
    )
