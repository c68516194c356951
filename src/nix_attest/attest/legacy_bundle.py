"""Bundle v0.1 log entries whose inclusion proof carries no checkpoint, verified by their SET.

Bundles of media type v0.1 (sigstore-python 1.x/2.x, cosign, the sigstore-conformance ``a.txt`` vectors) often
hold an ``inclusionProof`` without a ``checkpoint`` next to an ``inclusionPromise`` (signed entry timestamp,
SET). For v0.1 the SET is what the log entry is verified by (the bundle spec and cosign do so);
sigstore-python 4.x refuses such an entry at parse time ("entry must contain inclusion proof, with
checkpoint") and, when verifying, always checks a checkpoint. Dropping the proof does not help: 4.x
requires one.

:func:`parse_promise_bundle` parses such a bundle with sigstore-python (every structural check of
``Bundle.from_json``) and gives it a log entry that is verified by

* the SET: mandatory, over the canonical entry (body, integrated time, log id, log index), with the log's key
  from the trusted root, and
* the Merkle path of the proof it carries, recomputed from the entry's body up to the proof's root hash (that
  root is not signed without a checkpoint, but an inconsistent proof is refused: sigstore-conformance's
  ``invalid_inclusion_proof`` vector has a valid SET and must fail).

Everything else (signature, certificate chain at the integrated time, SCT, identity policy, entry consistency
with the signature) stays sigstore-python's own ``Verifier``. This leans on sigstore-python 4.x internals
(``Bundle._inner`` / ``_log_entry``, ``TransparencyLogEntry._validate`` / ``_verify`` / ``_verify_set``,
``sigstore._internal.merkle``); ``pyproject.toml`` pins ``sigstore<5`` and the conformance tests pin the
behaviour.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from sigstore._internal.merkle import verify_merkle_inclusion
from sigstore._internal.trust import RekorKeyring
from sigstore.errors import VerificationError
from sigstore.models import Bundle, InvalidBundle, TransparencyLogEntry
from sigstore_models.bundle.v1 import Bundle as _InnerBundle

BUNDLE_V01 = "application/vnd.dev.sigstore.bundle+json;version=0.1"

# sigstore-python requires a checkpoint to parse; this one is never verified (the entry is replaced below)
_PLACEHOLDER_CHECKPOINT = {"envelope": "placeholder: replaced before verification\n"}


def _entries(doc: Mapping[str, Any]) -> list[Any]:
    material = doc.get("verificationMaterial")
    entries = material.get("tlogEntries") if isinstance(material, Mapping) else None
    return entries if isinstance(entries, list) else []


def needs_promise_verification(doc: Mapping[str, Any]) -> bool:
    """A v0.1 bundle whose log entries have an inclusion proof without checkpoint and an inclusion promise."""
    if doc.get("mediaType") != BUNDLE_V01:
        return False
    entries = _entries(doc)
    if not entries:
        return False
    for entry in entries:
        if not isinstance(entry, Mapping):
            return False
        proof = entry.get("inclusionProof")
        promise = entry.get("inclusionPromise")
        if not isinstance(proof, Mapping) or proof.get("checkpoint"):
            return False
        if not isinstance(promise, Mapping) or not promise.get("signedEntryTimestamp"):
            return False
    return True


class PromiseVerifiedLogEntry(TransparencyLogEntry):
    """A v0.1 log entry verified by its SET and the consistency of its (unsigned-root) inclusion proof."""

    def _validate(self) -> None:
        if self._inner.inclusion_promise is None or not self._inner.inclusion_promise.signed_entry_timestamp:
            raise InvalidBundle("v0.1 entry without a checkpoint must contain an inclusion promise")
        if self._inner.integrated_time is None:
            raise InvalidBundle("v0.1 entry without a checkpoint must contain an integrated time")

    def _verify(self, keyring: RekorKeyring) -> None:
        if self._inner.inclusion_proof is not None:
            try:
                verify_merkle_inclusion(self)
            except VerificationError as exc:  # its text dumps the whole proof; keep the reason only
                reason = str(exc).split(":", 1)[0]
                raise VerificationError(f"{reason} (Merkle path recomputed from the entry body)") from exc
        self._verify_set(keyring)


def parse_promise_bundle(doc: Mapping[str, Any]) -> Bundle:
    """Parse a bundle for which :func:`needs_promise_verification` holds.

    Raises sigstore's ``InvalidBundle`` (or ``ValueError``) for a malformed bundle, like ``Bundle.from_json``.
    """
    if not needs_promise_verification(doc):
        raise InvalidBundle("not a v0.1 bundle with an inclusion promise and a proof without checkpoint")
    parseable = copy.deepcopy(dict(doc))
    for entry in _entries(parseable):
        entry["inclusionProof"]["checkpoint"] = dict(_PLACEHOLDER_CHECKPOINT)
    bundle = Bundle.from_json(json.dumps(parseable))
    # the bundle as written (no placeholder anywhere), with the entry verified by its SET
    inner = _InnerBundle.from_json(json.dumps(doc))
    entries = inner.verification_material.tlog_entries
    if len(entries) != 1:
        raise InvalidBundle("expected exactly one log entry in bundle")
    bundle._inner = inner
    bundle._log_entry = PromiseVerifiedLogEntry(entries[0])
    return bundle
