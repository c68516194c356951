"""Candidate bundles for one subject digest, wherever they come from: a bundle file, GitHub's
attestations API (github_lookup.py) or a directory of bundles (offline, mirrors).

A candidate is only *claimed* to be about the digest; every one is verified in full before it counts.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..untrusted import loads_json, read_input_bytes

BUNDLE_SUFFIXES = (".json", ".jsonl", ".sigstore")
MAX_BUNDLE_BYTES = 64 * 1024 * 1024  # GitHub refuses SBOM attestations over 16 MiB; headroom for JSON lines


@dataclass(frozen=True, slots=True)
class Candidate:
    """One bundle to try. ``raw`` is its JSON; ``problem`` says why it could not be obtained."""

    source: str  # "GitHub attestation 2 of 3 (repository id 7)", "bundles/x.jsonl line 2", a file path
    raw: bytes | None = None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Lookup:
    """The candidates found for one digest; ``none_reason`` says why there are none."""

    where: str  # "octo/widgets", "repositories of octo", "directory bundles/"
    candidates: tuple[Candidate, ...] = ()
    none_reason: str | None = None


def claimed_digests(doc: Any) -> set[str]:
    """The sha256 digests (hex) a bundle *says* it is about, without verifying anything: the DSSE
    statement's subjects or a message signature's digest. Only used to skip unrelated bundles."""
    if not isinstance(doc, dict):
        return set()
    envelope = doc.get("dsseEnvelope")
    if isinstance(envelope, dict):
        try:
            stmt = loads_json(base64.b64decode(str(envelope.get("payload", "")), validate=True))
        except (binascii.Error, ValueError):
            return set()
        subjects = stmt.get("subject") if isinstance(stmt, dict) else None
        out: set[str] = set()
        for s in subjects if isinstance(subjects, list) else []:
            digest = s.get("digest") if isinstance(s, dict) else None
            value = digest.get("sha256") if isinstance(digest, dict) else None
            if isinstance(value, str):
                out.add(value.lower())
        return out
    signature = doc.get("messageSignature")
    md = signature.get("messageDigest") if isinstance(signature, dict) else None
    if isinstance(md, dict) and isinstance(md.get("digest"), str):
        try:
            return {base64.b64decode(md["digest"], validate=True).hex()}
        except (binascii.Error, ValueError):
            return set()
    return set()


@dataclass(frozen=True, slots=True)
class _DirBundle:
    candidate: Candidate
    digests: frozenset[str]


class BundleDirectory:
    """Every bundle in a directory (not recursive): ``*.json`` / ``*.sigstore`` files holding one bundle,
    and JSON-lines files (``*.jsonl``, as ``gh attestation download`` writes them) holding one per line.
    Read once; :meth:`lookup` picks the bundles that claim a digest."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise InputError(f"--bundle-dir {path}: not a directory")
        self._bundles: list[_DirBundle] = []
        self._too_large: list[str] = []  # not read: what they are about is unknown
        for f in sorted(self.path.iterdir()):
            if f.is_file() and f.name.endswith(BUNDLE_SUFFIXES):
                self._read(f)

    def _read(self, f: Path) -> None:
        try:
            if f.stat().st_size > MAX_BUNDLE_BYTES:
                self._too_large.append(str(f))
                return
            raw = read_input_bytes(f, MAX_BUNDLE_BYTES)
        except OSError as exc:
            raise InputError(f"cannot read {f}: {exc.strerror or exc}") from exc
        try:
            doc = loads_json(raw)
        except ValueError:  # not one JSON document (JSON lines?), or nested too deep
            doc = None
        if isinstance(doc, dict):
            self._add(Candidate(str(f), raw=raw), claimed_digests(doc))
            return
        for n, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                digests = claimed_digests(loads_json(line))
            except ValueError:
                digests = set()
            self._add(Candidate(f"{f} line {n}", raw=line), digests)

    def _add(self, candidate: Candidate, digests: set[str]) -> None:
        self._bundles.append(_DirBundle(candidate, frozenset(digests)))

    def __len__(self) -> int:
        return len(self._bundles)

    def lookup(self, digest: str) -> Lookup:
        where = f"directory {self.path}"
        found = tuple(b.candidate for b in self._bundles if digest in b.digests)
        if found:
            return Lookup(where, found)
        skipped = (
            f" ({len(self._too_large)} file(s) larger than {MAX_BUNDLE_BYTES} bytes not read, e.g. "
            f"{self._too_large[0]})"
            if self._too_large
            else ""
        )
        return Lookup(
            where,
            none_reason=f"none of the {len(self._bundles)} bundle(s) in {self.path} is about "
            f"sha256:{digest}{skipped}",
        )
