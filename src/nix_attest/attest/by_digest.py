"""Verify targets (store paths, files, SBOMs) against candidate bundles found by subject digest.

For each target: compute its digest (a store path's NAR sha256, a file's sha256, an SBOM's root), ask a
source for candidates (a bundle file, GitHub's attestations API, a directory), verify every candidate
with the same checks as a bundle file, keep the first of the wanted predicate type that verifies and say
why the others were rejected. With ``closure``, the first that verifies *and* whose SBOM equals the store
path's runtime closure is kept (each verified SBOM attestation is compared: a store path may have several, a
re-run or a regenerated SBOM). Targets are handled concurrently with a small bound (lookups and NAR hashing
dominate).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from sigstore.models import TrustedRoot

from ..errors import InputError, VerificationError
from ..nix.runner import Nix
from ..nix.store import nar_sha256_hex
from ..sbom.read import from_document, load_document, loads_sbom
from .candidates import Candidate, Lookup
from .closure import ClosureCheck, compare_closure, runtime_closure
from .digest import sha256_file
from .model import (
    SBOM_PREDICATE_TYPE,
    SBOM_PREDICATE_TYPES,
    IdentityPolicy,
    VerifiedAttestation,
    VerifyTarget,
)
from .statement import root_subject
from .verify import NarHasher, parse_bundle, verify_bundle

MAX_WORKERS = 4  # concurrent targets: GitHub's secondary rate limits punish more; NAR hashing is I/O

Status = Literal["verified", "failed", "unattested"]
Source = Callable[[str], Lookup]  # digest (hex) -> candidates


@dataclass(frozen=True, slots=True)
class Rejection:
    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class TargetResult:
    target: str  # as given: a store path, a file, an SBOM file
    label: str  # "store path /nix/store/…", "file dist/x.tar.gz", "SBOM sbom.cdx.json"
    digest: str  # sha256 hex looked up
    status: Status
    attestation: VerifiedAttestation | None = None
    rejected: tuple[Rejection, ...] = ()
    reason: str | None = None  # why it failed / is unattested (one line)
    closure: ClosureCheck | None = None


def _in_order(lookup: Lookup, rejected: list[Rejection]) -> tuple[Rejection, ...]:
    """Rejections in the order the candidates were found."""
    order = {c.source: n for n, c in enumerate(lookup.candidates)}
    return tuple(sorted(rejected, key=lambda r: order.get(r.source, len(order))))


def target_label(target: VerifyTarget) -> str:
    if target.store_path:
        return f"store path {target.store_path}"
    if target.file_path:
        return f"file {target.file_path}"
    return f"SBOM {target.sbom_path}"


def lookup_digest(target: VerifyTarget, nar_hasher: NarHasher) -> str:
    """The digest to look attestations up by: a store path's NAR sha256, a file's sha256, an SBOM's root
    (its NAR sha256, the subject nix-attest signs) or, for an SBOM without a built root, the file's."""
    if target.store_path:
        return nar_hasher(target.store_path)
    if target.file_path:
        return sha256_file(target.file_path)
    assert target.sbom_path is not None
    doc = load_document(target.sbom_path)
    try:
        return root_subject(from_document(doc, source=target.sbom_path)).sha256
    except InputError:
        return sha256_file(target.sbom_path)


class CachedNarHasher:
    """One NAR hash per store path per run (a path given twice, or in several roles, is dumped once)."""

    def __init__(self, hasher: NarHasher = nar_sha256_hex) -> None:
        self._hasher = hasher
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, store_path: str) -> str:
        with self._lock:
            if store_path in self._cache:
                return self._cache[store_path]
        digest = self._hasher(store_path)
        with self._lock:
            self._cache[store_path] = digest
        return digest


@dataclass
class DigestVerifier:
    """Everything that stays the same across targets."""

    source: Source
    identity: IdentityPolicy
    trusted_root: TrustedRoot
    predicate_type: str | None = SBOM_PREDICATE_TYPE  # None: any predicate type
    nar_hasher: NarHasher = nar_sha256_hex
    closure_nix: Nix | None = None  # set: check store paths' runtime closures against the SBOM

    def __post_init__(self) -> None:
        if self.closure_nix is not None and self.predicate_type not in SBOM_PREDICATE_TYPES:
            raise InputError(
                "--closure compares with an SBOM attestation: --predicate-type "
                + " or ".join(SBOM_PREDICATE_TYPES)
            )
        if not isinstance(self.nar_hasher, CachedNarHasher):
            self.nar_hasher = CachedNarHasher(self.nar_hasher)

    def verify_candidate(self, candidate: Candidate, target: VerifyTarget) -> VerifiedAttestation:
        """Every check a bundle file gets, then the predicate type; raise VerificationError if not."""
        if candidate.raw is None:
            raise VerificationError(candidate.problem or "no bundle")
        bundle, doc = parse_bundle(candidate.raw, candidate.source)
        result = verify_bundle(
            bundle,
            doc,
            candidate.source,
            target,
            self.identity,
            self.trusted_root,
            nar_hasher=self.nar_hasher,
        )
        if self.predicate_type is not None and result.predicate_type != self.predicate_type:
            raise VerificationError(
                f"predicate type is {result.predicate_type}, wanted {self.predicate_type}"
            )
        return result

    def verify_target(self, target: VerifyTarget) -> TargetResult:
        label = target_label(target)
        digest = lookup_digest(target, self.nar_hasher)
        given = target.store_path or target.file_path or target.sbom_path or ""
        lookup = self.source(digest)
        if not lookup.candidates:
            return TargetResult(given, label, digest, "unattested", reason=lookup.none_reason)
        chosen: VerifiedAttestation | None = None
        closure: ClosureCheck | None = None
        rejected: list[Rejection] = []
        mismatched: list[tuple[Candidate, VerifiedAttestation, ClosureCheck]] = []
        closure_paths: set[str] | None = None  # the runtime closure here, computed once per target
        for candidate in lookup.candidates:
            try:
                result = self.verify_candidate(candidate, target)
            except VerificationError as err:
                rejected.append(Rejection(candidate.source, err.message))
                continue
            if chosen is not None:
                continue
            if self.closure_nix is not None and target.store_path:
                # every SBOM attestation that verifies is tried: one of them must match the closure
                if closure_paths is None:
                    closure_paths = runtime_closure(self.closure_nix, target.store_path)
                check = self._compare_closure(target.store_path, closure_paths, result)
                if not check.ok:
                    mismatched.append((candidate, result, check))
                    continue
                closure = check
            chosen = result
        if chosen is None and mismatched:
            return self._closure_failure(given, label, digest, lookup, rejected, mismatched)
        if chosen is None:
            first = rejected[0]
            what = f" of {self.predicate_type}" if self.predicate_type else ""
            reason = (
                f"no attestation{what} for {label} verified: {len(rejected)} candidate(s) from "
                f"{lookup.where} rejected (first: {first.source}: {first.reason})"
            )
            return TargetResult(given, label, digest, "failed", rejected=tuple(rejected), reason=reason)
        rejected += [Rejection(c.source, check.summary()) for c, _, check in mismatched]
        return TargetResult(
            given,
            label,
            digest,
            "verified",
            attestation=chosen,
            rejected=_in_order(lookup, rejected),
            closure=closure,
        )

    def _closure_failure(
        self,
        given: str,
        label: str,
        digest: str,
        lookup: Lookup,
        rejected: list[Rejection],
        mismatched: list[tuple[Candidate, VerifiedAttestation, ClosureCheck]],
    ) -> TargetResult:
        """Attestations verified but none matches the closure: the first one is shown with its mismatch,
        every other one is listed as rejected with its own."""
        _, first, check = mismatched[0]
        others = mismatched[1:]
        rejected += [Rejection(c.source, other.summary()) for c, _, other in others]
        reason = check.summary()
        if others:
            reason += (
                f" ({len(others)} other SBOM attestation(s) verified but do not match the closure either)"
            )
        return TargetResult(
            given,
            label,
            digest,
            "failed",
            attestation=first,
            rejected=_in_order(lookup, rejected),
            reason=reason,
            closure=check,
        )

    def _compare_closure(
        self, store_path: str, closure: set[str], attestation: VerifiedAttestation
    ) -> ClosureCheck:
        assert attestation.predicate_json is not None
        try:
            sbom = loads_sbom(
                attestation.predicate_json, source=f"the SBOM attested by {attestation.bundle_path}"
            )
        except InputError as err:  # signed, but not an SBOM we can read: the next attestation may be
            return ClosureCheck(store_path, len(closure), 0, problem=err.message)
        return compare_closure(store_path, closure, sbom)

    def verify_all(self, targets: Sequence[VerifyTarget]) -> list[TargetResult]:
        """Results in the order of ``targets``; the first error that is not a verification failure
        (GitHub refused the token, Nix failed, a bad input) is raised."""
        if len(targets) == 1:
            return [self.verify_target(targets[0])]
        with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(targets))) as pool:
            futures = [pool.submit(self.verify_target, t) for t in targets]
            try:
                return [f.result() for f in futures]
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
