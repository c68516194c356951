"""in-toto Statement v1 documents: subjects and the CycloneDX SBOM predicate."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import InputError
from ..sbom.model import Sbom
from .digest import sha256_file
from .model import SBOM_PREDICATE_TYPE, SPDX_PREDICATE_TYPE, STATEMENT_TYPE, Subject

_HEX = frozenset("0123456789abcdef")


def _is_sha256_hex(value: str) -> bool:
    return len(value) == 64 and set(value) <= _HEX


def root_subject(sbom: Sbom) -> Subject:
    """The built root output: name = store path, sha256 = NAR sha256 (hex) from the SBOM."""
    digest = sbom.root.nar_sha256
    if not digest:
        raise InputError(
            f"the SBOM root {sbom.root.store_path} has no SHA-256 NAR hash (it was not built): "
            "build it and generate a runtime SBOM before signing"
        )
    return Subject(name=sbom.root.store_path, sha256=digest.lower())


def file_subjects(paths: Iterable[str | os.PathLike[str]]) -> tuple[Subject, ...]:
    """One subject per file: name = file name (as ``gh attestation verify FILE`` expects), sha256 of bytes."""
    return tuple(Subject(name=os.path.basename(os.fspath(p)), sha256=sha256_file(p)) for p in paths)


def merge_subjects(*groups: Sequence[Subject]) -> tuple[Subject, ...]:
    """Concatenate, dropping exact duplicates, keeping first-seen order."""
    seen: set[Subject] = set()
    out: list[Subject] = []
    for group in groups:
        for s in group:
            if s not in seen:
                seen.add(s)
                out.append(s)
    return tuple(out)


def statement(
    subjects: Sequence[Subject], predicate_type: str, predicate: Mapping[str, Any]
) -> dict[str, Any]:
    if not subjects:
        raise InputError("an attestation needs at least one subject")
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": s.name, "digest": {"sha256": s.sha256}} for s in subjects],
        "predicateType": predicate_type,
        "predicate": dict(predicate),
    }


def sbom_statement(document: Mapping[str, Any], subjects: Sequence[Subject]) -> dict[str, Any]:
    """The SBOM attestation, predicate = the document: predicateType https://cyclonedx.org/bom for
    CycloneDX, https://spdx.dev/Document for SPDX (the types GitHub's attestation service knows)."""
    if "spdxVersion" in document:
        for key in ("spdxVersion", "SPDXID", "documentNamespace"):
            if key not in document:
                raise InputError(f"the SPDX SBOM lacks {key!r}")
        return statement(subjects, SPDX_PREDICATE_TYPE, document)
    for key in ("bomFormat", "specVersion", "serialNumber"):
        if key not in document:
            raise InputError(f"the SBOM lacks {key!r}: GitHub's attestation service would not recognise it")
    return statement(subjects, SBOM_PREDICATE_TYPE, document)


def statement_subjects(stmt: Mapping[str, Any]) -> tuple[Subject, ...]:
    """Subjects of a parsed statement that carry a sha256 digest (others are ignored)."""
    out: list[Subject] = []
    for s in stmt.get("subject") or ():
        if not isinstance(s, Mapping):
            continue
        digest = s.get("digest")
        value = digest.get("sha256") if isinstance(digest, Mapping) else None
        if isinstance(value, str):
            out.append(Subject(name=str(s.get("name", "")), sha256=value.lower()))
    return tuple(out)
