"""nix-attest's own SBOM model: plain frozen records, independent of any output format.

The generator (``sbom.generate``) makes an :class:`Sbom` from Nix data; the format modules
(``sbom.formats``: CycloneDX, SPDX) serialise it; the reader (``sbom.read``) parses a document back
into it. Policy, diff, report and attest consume only these records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ..errors import InputError
from ..nix.flake import FlakeInfo, FlakeInput
from ..nix.hashes import to_hex

__all__ = [
    "Acknowledgement",
    "Closure",
    "Component",
    "ComponentKind",
    "FixedOutput",
    "FlakeInfo",
    "FlakeInput",
    "Hash",
    "License",
    "OutputCheck",
    "Party",
    "Patch",
    "Sbom",
    "SbomMeta",
]

Closure = Literal["runtime", "buildtime"]
ComponentKind = Literal["application", "library", "file"]
# CycloneDX 1.6 licence acknowledgement: "declared" by the package's own metadata (meta.license),
# "concluded" by nix-attest (a source tarball carries the licence of the package built from it)
Acknowledgement = Literal["declared", "concluded"]


@dataclass(frozen=True, slots=True)
class License:
    """One licence: an SPDX expression (normalised) or, when not SPDX, free text as ``name``."""

    expression: str | None = None
    name: str | None = None
    url: str | None = None
    acknowledgement: Acknowledgement | None = None

    def label(self) -> str:
        return self.expression or self.name or self.url or "unknown"


@dataclass(frozen=True, slots=True)
class FixedOutput:
    """A fixed-output derivation (a source): its declared hash and where it comes from."""

    method: str  # "flat" | "recursive" (nar) | "text" | "git"
    algo: str  # "sha256", "sha512", "sha1", "md5"
    hash_hex: str
    urls: tuple[str, ...] = ()
    rev: str | None = None


@dataclass(frozen=True, slots=True)
class Party:
    """An organisation or person: the SBOM's author, a component's supplier (who supplies the package
    definition) or one of its contacts (a maintainer). Only what is known is set."""

    name: str | None = None
    url: str | None = None
    email: str | None = None
    contacts: tuple[Party, ...] = ()

    def label(self) -> str:
        return self.name or self.url or self.email or "unknown"


@dataclass(frozen=True, slots=True)
class Hash:
    alg: str  # CycloneDX algorithm name, e.g. "SHA-256"
    content: str  # lower-case hex


@dataclass(frozen=True, slots=True)
class Patch:
    """A patch the derivation applies (its ``patches``), and the CVE ids its file name or URL names."""

    name: str  # the patch file's name, e.g. CVE-2024-1234.patch
    path: str | None = None  # its store path
    resolves: tuple[str, ...] = ()  # CVE ids, sorted


@dataclass(frozen=True, slots=True)
class Component:
    """One store path (runtime closure) or one derivation (buildtime closure)."""

    ref: str  # bom-ref: the store path (a derivation's main output; its .drv when outputs are unknown)
    name: str
    version: str | None
    store_path: str
    kind: ComponentKind = "library"
    purl: str | None = None
    drv_path: str | None = None
    closures: tuple[Closure, ...] = ()  # which closures it is in, sorted: ("buildtime", "runtime")
    description: str | None = None
    homepage: str | None = None
    licenses: tuple[License, ...] = ()
    cpe: str | None = None
    hashes: tuple[Hash, ...] = ()
    nar_hash: str | None = None  # as Nix prints it ("sha256:<base32>" or SRI "sha256-<base64>")
    nar_size: int | None = None
    deriver: str | None = None
    fixed_output: FixedOutput | None = None
    metadata_found: bool = True  # False when Nix metadata (meta.*) could not be reached
    reproducible: bool | None = None  # None: not checked
    system: str | None = None
    outputs: tuple[str, ...] = ()  # output names of the derivation ("out", "dev", ...)
    cpe_source: str | None = None  # which identification rung gave `cpe`: meta, possible, curated, heuristic
    cpe_candidates: tuple[str, ...] = ()  # further CPEs worth matching (possibleCPEs, other vendors)
    patches: tuple[Patch, ...] = ()
    known_vulnerabilities: tuple[str, ...] = ()  # meta.knownVulnerabilities (free text)
    supplier: Party | None = None  # None: unknown (SPDX NOASSERTION; CycloneDX leaves it out)
    license_from: str | None = None  # the ref whose declared licence a concluded licence comes from

    @property
    def is_runtime(self) -> bool:
        return "runtime" in self.closures

    @property
    def is_buildtime(self) -> bool:
        return "buildtime" in self.closures

    @property
    def sha256(self) -> str | None:
        """SHA-256 of the file itself (single-file paths and flat sources only)."""
        for h in self.hashes:
            if h.alg == "SHA-256":
                return h.content
        return None

    @property
    def nar_sha256(self) -> str | None:
        """The NAR hash as hex: what ``nix-store --dump PATH | sha256sum`` prints (the attestation
        subject digest of a store path)."""
        if not self.nar_hash:
            return None
        try:
            algo, digest = to_hex(self.nar_hash)
        except InputError:
            return None
        return digest if algo == "sha256" else None


@dataclass(frozen=True, slots=True)
class OutputCheck:
    """Result of rebuilding one output (``nix build --rebuild``)."""

    path: str
    reproducible: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SbomMeta:
    """Document-level facts."""

    installable: str
    closure: Closure
    tool_version: str
    nix_version: str | None = None
    system: str | None = None
    flake: FlakeInfo | None = None
    timestamp: str | None = None  # ISO 8601 UTC (see generate.document_timestamp for its sources)
    timestamp_source: str | None = None  # "SOURCE_DATE_EPOCH", "flake" or "commit"
    reproducibility: tuple[OutputCheck, ...] | None = None  # None: not checked
    serial_number: str | None = None  # set by the writer / reader
    authors: tuple[Party, ...] = ()  # who the SBOM is by (--author; on GitHub the repository owner)
    complete: bool = True  # every component's graph edges come from Nix (False for foreign SBOMs)


@dataclass(frozen=True)
class Sbom:
    """A complete SBOM: the root, every component (sorted by ref) and the exact dependency graph."""

    root: Component
    components: tuple[Component, ...]
    dependencies: Mapping[str, tuple[str, ...]]  # ref -> sorted direct dependency refs (root included)
    meta: SbomMeta

    @property
    def runtime_components(self) -> tuple[Component, ...]:
        return tuple(c for c in self.components if c.is_runtime)

    @property
    def buildtime_components(self) -> tuple[Component, ...]:
        return tuple(c for c in self.components if c.is_buildtime)

    def runtime_closure_size(self) -> int | None:
        """Sum of NAR sizes of the root and runtime components, or None when any size is unknown."""
        total = 0
        for c in (self.root, *self.runtime_components):
            if c.nar_size is None:
                if c is self.root and not self.root.is_runtime:
                    continue
                return None
            total += c.nar_size
        return total
