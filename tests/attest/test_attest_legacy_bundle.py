"""v0.1 bundles verified by their inclusion promise (legacy_bundle.py): exactly which bundles take that
path, and each way such a bundle can be malformed or wrong, with its message."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sigstore.models import InvalidBundle
from sigstore_models.bundle.v1 import Bundle as InnerBundle
from test_attest_conformance import CONFORMANCE, _cli, _one_error_line

from nix_attest.attest.legacy_bundle import (
    PromiseVerifiedLogEntry,
    needs_promise_verification,
    parse_promise_bundle,
)

GOOD = json.loads((CONFORMANCE / "a.txt.sigstore").read_text())


def changed(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(GOOD)
    node = doc
    for step in path[:-1]:
        node = node[step]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


_DELETE = object()
ENTRY = ("verificationMaterial", "tlogEntries", 0)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("mediaType",), "application/vnd.dev.sigstore.bundle+json;version=0.2"),
        (("verificationMaterial",), _DELETE),
        (("verificationMaterial",), "not a mapping"),
        (("verificationMaterial", "tlogEntries"), "not a list"),
        (("verificationMaterial", "tlogEntries"), 5),  # not iterable: refused, not a TypeError
        (("verificationMaterial", "tlogEntries"), []),
        (ENTRY, "not a mapping"),
        ((*ENTRY, "inclusionProof"), _DELETE),
        ((*ENTRY, "inclusionProof"), "not a mapping"),
        ((*ENTRY, "inclusionProof", "checkpoint"), {"envelope": "a checkpoint"}),
        ((*ENTRY, "inclusionPromise"), _DELETE),
        ((*ENTRY, "inclusionPromise"), "not a mapping"),
        ((*ENTRY, "inclusionPromise", "signedEntryTimestamp"), ""),
    ],
)
def test_only_v01_entries_with_a_promise_and_no_checkpoint_take_the_promise_path(
    path: tuple[Any, ...], value: Any
) -> None:
    assert needs_promise_verification(GOOD)
    doc = changed(path, value)
    assert not needs_promise_verification(doc)
    with pytest.raises(InvalidBundle) as info:
        parse_promise_bundle(doc)
    assert str(info.value) == "not a v0.1 bundle with an inclusion promise and a proof without checkpoint"


def test_a_second_entry_is_refused() -> None:
    doc = copy.deepcopy(GOOD)
    doc["verificationMaterial"]["tlogEntries"].append(
        copy.deepcopy(doc["verificationMaterial"]["tlogEntries"][0])
    )
    assert needs_promise_verification(doc)
    with pytest.raises(InvalidBundle, match="expected exactly one log entry in bundle"):
        parse_promise_bundle(doc)


def test_parsing_does_not_touch_the_bundle_as_written() -> None:
    doc = copy.deepcopy(GOOD)
    bundle = parse_promise_bundle(doc)
    assert doc == GOOD  # the placeholder checkpoint goes into a copy only
    assert (
        "checkpoint"
        not in json.loads(bundle.to_json())["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]
    )


@pytest.mark.parametrize("promise", [_DELETE, {"signedEntryTimestamp": ""}])
def test_an_entry_verified_by_its_set_must_have_one(promise: Any) -> None:
    """The promise path never takes such an entry (needs_promise_verification), and the entry type
    refuses it too: a log entry verified by its signed entry timestamp without one would be unverified."""
    doc = changed((*ENTRY, "inclusionPromise"), promise)
    entry = InnerBundle.from_json(json.dumps(doc)).verification_material.tlog_entries[0]
    with pytest.raises(InvalidBundle) as info:
        PromiseVerifiedLogEntry(entry)
    assert str(info.value) == "v0.1 entry without a checkpoint must contain an inclusion promise"


def test_an_entry_without_integrated_time_fails_verification(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "b.sigstore"
    bundle.write_text(json.dumps(changed((*ENTRY, "integratedTime"), _DELETE)))
    assert _cli(bundle) == 1
    line = _one_error_line(capsys)
    assert line.endswith("v0.1 entry without a checkpoint must contain an integrated time\n"), line


def test_a_bad_inclusion_proof_names_the_reason_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(CONFORMANCE / "a.txt.invalid_inclusion_proof.sigstore") == 1
    assert _one_error_line(capsys) == (
        "nix-attest: error: transparency log check failed: invalid log entry: inclusion proof contains "
        "invalid root hash (Merkle path recomputed from the entry body)\n"
    )
