"""The supply-chain diff as a JSON document (``nix-attest diff --format json``)."""

from __future__ import annotations

import json
from typing import Any

from ..sbom.diff import ComponentEntry, SbomDiff


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
