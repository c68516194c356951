"""A Rekor v1-compatible transparency log: RFC 6962 Merkle tree, inclusion proofs, signed checkpoints
(signed-note format), signed entry timestamps, and the canonical entry bodies the real log stores."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from typing import Any

import rfc8785
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from .ca import key_id


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def merkle_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 MTH over already-hashed leaves."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(merkle_root(leaves[:k]), merkle_root(leaves[k:]))


def inclusion_path(index: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 6962 PATH(m, D[n]), from the leaf level upwards."""
    if len(leaves) <= 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*inclusion_path(index, leaves[:k]), merkle_root(leaves[k:])]
    return [*inclusion_path(index - k, leaves[k:]), merkle_root(leaves[:k])]


class BadEntry(ValueError):
    pass


def canonical_body(proposed: dict[str, Any]) -> bytes:
    """What Rekor v1 stores: hashedrekord as sent; dsse reduced to envelope/payload hashes + signatures."""
    kind = proposed.get("kind")
    if kind == "hashedrekord":
        return rfc8785.dumps(proposed)
    if kind == "dsse":
        content = proposed["spec"]["proposedContent"]
        envelope_text: str = content["envelope"]
        envelope = json.loads(envelope_text)
        verifiers: list[str] = content["verifiers"]
        if len(verifiers) != 1:
            raise BadEntry("exactly one verifier expected")
        payload = base64.b64decode(envelope["payload"])
        body = {
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {
                "envelopeHash": {
                    "algorithm": "sha256",
                    "value": hashlib.sha256(envelope_text.encode()).hexdigest(),
                },
                "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
                "signatures": [
                    {
                        "signature": base64.b64encode(base64.b64decode(s["sig"])).decode(),
                        "verifier": verifiers[0],
                    }
                    for s in envelope["signatures"]
                ],
            },
        }
        return rfc8785.dumps(body)
    raise BadEntry(f"unsupported entry kind {kind!r}")


class TransparencyLog:
    def __init__(self, origin_host: str = "127.0.0.1", tree_id: int = 4242) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.log_id = key_id(self.key.public_key())
        self.origin = f"{origin_host} - {tree_id}"
        self.name = origin_host
        self.leaves: list[bytes] = []
        self.bodies: list[bytes] = []
        self._lock = threading.Lock()

    def checkpoint(self, size: int, root: bytes) -> str:
        note = f"{self.origin}\n{size}\n{base64.b64encode(root).decode()}\n"
        sig = self.key.sign(note.encode(), ec.ECDSA(hashes.SHA256()))
        return f"{note}\n\u2014 {self.name} {base64.b64encode(self.log_id[:4] + sig).decode()}\n"

    def add(self, proposed: dict[str, Any]) -> dict[str, Any]:
        body = canonical_body(proposed)
        with self._lock:
            index = len(self.leaves)
            self.leaves.append(leaf_hash(body))
            self.bodies.append(body)
            leaves = list(self.leaves)
        integrated = int(time.time())
        body_b64 = base64.b64encode(body).decode()
        set_payload = rfc8785.dumps(
            {"body": body_b64, "integratedTime": integrated, "logID": self.log_id.hex(), "logIndex": index}
        )
        root = merkle_root(leaves)
        entry = {
            "body": body_b64,
            "integratedTime": integrated,
            "logID": self.log_id.hex(),
            "logIndex": index,
            "verification": {
                "inclusionProof": {
                    "logIndex": index,
                    "rootHash": root.hex(),
                    "treeSize": len(leaves),
                    "hashes": [h.hex() for h in inclusion_path(index, leaves)],
                    "checkpoint": self.checkpoint(len(leaves), root),
                },
                "signedEntryTimestamp": base64.b64encode(
                    self.key.sign(set_payload, ec.ECDSA(hashes.SHA256()))
                ).decode(),
            },
        }
        uuid = hashlib.sha256(body).hexdigest()
        return {uuid: entry}
