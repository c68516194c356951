"""The supply-chain diff as a JSON document (``nix-attest diff --format json``)."""

from __future__ import annotations

import json
from typing import Any

from ..errors import InputError
from ..sbom.diff import ComponentEntry, LicenseChange, SbomDiff, VersionChange
from ..untrusted import loads_input_json


def _entry(e: ComponentEntry) -> dict[str, Any]:
    return {
        "name": e.name,
        "version": e.version,
        "ref": e.ref,
        "licenses": list(e.licenses),
        "runtime": e.runtime,
    }


def diff_to_json(diff: SbomDiff) -> dict[str, Any]:
    return {
        "base": diff.base_label,
        "head": diff.head_label,
        "added": [_entry(e) for e in diff.added],
        "removed": [_entry(e) for e in diff.removed],
        "changed": [{"name": c.name, "old": list(c.old), "new": list(c.new)} for c in diff.changed],
        "license_changes": [
            {"name": c.name, "version": c.version, "old": list(c.old), "new": list(c.new)}
            for c in diff.license_changes
        ],
        "runtime_closure_size": {
            "base": diff.base_runtime_size,
            "head": diff.head_runtime_size,
            "delta": diff.size_delta,
        },
    }


def dumps_diff(diff: SbomDiff) -> str:
    return json.dumps(diff_to_json(diff), indent=2, sort_keys=True) + "\n"


MAX_DIFF_ENTRIES = 100_000
MAX_TEXT = 1000


def loads_diff(data: bytes | str, *, source: str = "diff.json") -> SbomDiff:
    """Read a diff written by :func:`dumps_diff`, e.g. from a pull request's artifact: every field is
    checked and bounded (it is data from a possibly hostile run; the renderer escapes it)."""
    doc = loads_input_json(data, source)
    if not isinstance(doc, dict):
        raise InputError(f"{source} is not a nix-attest diff")
    sizes = doc.get("runtime_closure_size")
    sizes = sizes if isinstance(sizes, dict) else {}
    return SbomDiff(
        base_label=_s(doc.get("base"), source, "base") or "base",
        head_label=_s(doc.get("head"), source, "head") or "head",
        added=tuple(_component_entry(e, source) for e in _list(doc, "added", source)),
        removed=tuple(_component_entry(e, source) for e in _list(doc, "removed", source)),
        changed=tuple(
            VersionChange(_req(e, "name", source), _strs(e, "old", source), _strs(e, "new", source), ())
            for e in _list(doc, "changed", source)
        ),
        license_changes=tuple(
            LicenseChange(
                _req(e, "name", source),
                _s(e.get("version"), source, "version"),
                _strs(e, "old", source),
                _strs(e, "new", source),
            )
            for e in _list(doc, "license_changes", source)
        ),
        base_runtime_size=_size(sizes.get("base"), source),
        head_runtime_size=_size(sizes.get("head"), source),
    )


def _list(doc: dict[str, Any], key: str, source: str) -> list[dict[str, Any]]:
    items = doc.get(key) or []
    if not isinstance(items, list) or len(items) > MAX_DIFF_ENTRIES:
        raise InputError(f"{source}: {key} must be a list of at most {MAX_DIFF_ENTRIES} entries")
    if not all(isinstance(i, dict) for i in items):
        raise InputError(f"{source}: {key} holds something that is not an object")
    return items


def _s(value: Any, source: str, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise InputError(f"{source}: {what} must be text of at most {MAX_TEXT} characters")
    return value


def _req(entry: dict[str, Any], key: str, source: str) -> str:
    value = _s(entry.get(key), source, key)
    if not value:
        raise InputError(f"{source}: an entry has no {key}")
    return value


def _strs(entry: dict[str, Any], key: str, source: str) -> tuple[str, ...]:
    values = entry.get(key) or []
    if not isinstance(values, list) or len(values) > 100:
        raise InputError(f"{source}: {key} must be a list of at most 100 strings")
    return tuple(_s(v, source, key) or "" for v in values)


def _size(value: Any, source: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{source}: runtime_closure_size must hold byte counts")
    return value


def _component_entry(entry: dict[str, Any], source: str) -> ComponentEntry:
    runtime = entry.get("runtime")
    return ComponentEntry(
        name=_req(entry, "name", source),
        version=_s(entry.get("version"), source, "version"),
        ref=_s(entry.get("ref"), source, "ref") or "",
        licenses=_strs(entry, "licenses", source),
        runtime=runtime is True,
    )
