"""``run.json``: what a use of ``nix-attest run`` tells a later, trusted workflow about itself.

``nix-attest run`` writes it into the artifact beside the SBOM, the policy report and the diff; the
fork-safe ``workflow_run`` workflow (``nix-attest comment --workflow-run``) reads it to name the
comment the same way the run would have (installable, comment key, matrix-leg label) and to learn the
pull request the run claims to belong to. Everything in it comes from a pull request that may be
hostile: the reader bounds every field, the PR number is only a claim that is checked against GitHub,
and nothing in it is shown unescaped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..errors import InputError
from ..untrusted import loads_input_json

RUN_RECORD = "run.json"
FORMAT = 1
# what `run` can honestly write (a long flake URL; the key holds the matrix leg's whole JSON), within
# the 64 KiB the trusted side reads of run.json; the renderer cuts what it shows anyway
MAX_INSTALLABLE = 4096
MAX_KEY = 32768
MAX_LABEL = 200


@dataclass(frozen=True, slots=True)
class RunRecord:
    installable: str
    comment_key: str  # the sticky comment's key (github.identity), its marker is a digest of it
    label: str | None = None  # the comment group or matrix leg, shown in the heading
    pull_request: int | None = None  # the PR the run says it belongs to (a claim: verify it)
    legacy_comment_key: str | None = None  # the key earlier versions used (workflow name): adopt its comment


def dumps_run_record(record: RunRecord) -> str:
    doc = {
        "format": FORMAT,
        "installable": record.installable,
        "comment_key": record.comment_key,
        "label": record.label,
        "pull_request": record.pull_request,
        "legacy_comment_key": record.legacy_comment_key,
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def loads_run_record(data: bytes, *, source: str = RUN_RECORD) -> RunRecord:
    """Parse and bound an untrusted ``run.json``; anything out of shape is exit 2 naming the field."""
    doc = loads_input_json(data, source)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputError(f"{source} is not a nix-attest run record (format {FORMAT})")
    installable = _text(doc, "installable", MAX_INSTALLABLE, source)
    key = _text(doc, "comment_key", MAX_KEY, source)
    assert installable is not None and key is not None
    label = _text(doc, "label", MAX_LABEL, source, optional=True)
    number = doc.get("pull_request")
    if number is not None and (isinstance(number, bool) or not isinstance(number, int) or number <= 0):
        raise InputError(f"{source}: pull_request must be a positive number")
    legacy = _text(doc, "legacy_comment_key", MAX_KEY, source, optional=True)
    return RunRecord(installable, key, label, number, legacy)


def _text(
    doc: dict[str, object], name: str, limit: int, source: str, *, optional: bool = False
) -> str | None:
    value = doc.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > limit or "\n" in value or "\r" in value:
        raise InputError(f"{source}: {name} must be one line of 1 to {limit} characters")
    return value
