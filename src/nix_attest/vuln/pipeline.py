"""The vulnerability stage of ``nix-attest run``: which database to use (input ``vulnerabilities``:
auto, true, false), scanning the head (runtime and buildtime closures together) and the base, the
policy's waivers as VEX, the VDR/VEX files for the artifact, and what changed between base and head."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from ..errors import NixAttestError
from ..fsutil import write_atomic
from ..github.http import ServiceClient
from ..policy.config import Policy
from ..sbom.cyclonedx import to_document
from ..sbom.model import Sbom
from .db import NvdCache, update
from .formats import ScanReport
from .formats.cyclonedx import render_vdr, render_vex
from .formats.jsonfmt import JsonFormat
from .index import NvdIndex
from .kev import KEV_FILE, load_kev
from .model import Finding, ScanResult, VulnDiff, VulnReport
from .nvdmatch import ANY_SYSTEM
from .scan import scan
from .sources import VulnerabilitySource
from .sources.nixmeta import NixpkgsMetaSource
from .sources.nvd import NvdSource
from .sources.osv import OSV_DEADLINE, OsvSource
from .targets import targets
from .waivers import apply_vex_waivers

Mode = Literal["auto", "true", "false"]
MODES: tuple[Mode, ...] = ("auto", "true", "false")


@dataclass(frozen=True)
class VulnSettings:
    mode: Mode
    cache: NvdCache
    nvd_url: str
    osv_url: str

    @property
    def enabled(self) -> bool:
        """Whether a scan will happen: asked for, or (auto) a database is there."""
        return self.mode == "true" or (self.mode == "auto" and self.cache.has_index())

    def known_exploited(self) -> frozenset[str]:
        """The CISA KEV catalog ``vulndb update --kev`` stored in the cache (empty without one)."""
        path = self.cache.root / KEV_FILE
        return load_kev(str(path)) if path.is_file() else frozenset()


@dataclass(frozen=True)
class VulnStage:
    report: VulnReport
    sbom: Sbom | None = None  # the SBOM that was scanned (both closures)
    files: tuple[Path, ...] = ()


@contextmanager
def opened_index(settings: VulnSettings, log: list[str]) -> Iterator[NvdIndex | None]:
    """The NVD index to use, refreshed first; None when there is none (``auto`` without a database)."""
    cache = settings.cache
    if settings.mode == "false" or (settings.mode == "auto" and not cache.has_index()):
        yield None
        return
    try:
        with ServiceClient(settings.nvd_url, name="NVD feeds") as client:
            update(cache, client, log=False)
    except NixAttestError as err:
        if not cache.has_index():
            raise
        log.append(f"the NVD database could not be refreshed ({err}); the one from {cache.nvd} was used")
    with cache.open_index() as idx:
        yield idx


def _sources(
    index: NvdIndex, system: str | None, stack: ExitStack, osv_url: str
) -> list[VulnerabilitySource]:
    client = stack.enter_context(ServiceClient(osv_url, name="OSV", retry_post=True, deadline=OSV_DEADLINE))
    return [NvdSource(index, system), OsvSource(client), NixpkgsMetaSource()]


def scan_sbom(
    sbom: Sbom,
    index: NvdIndex,
    settings: VulnSettings,
    policy: Policy | None,
    today: dt.date,
    notes: Sequence[str],
    *,
    untrusted: bool = False,
) -> ScanResult:
    """Scan ``sbom``; ``untrusted``: a fork wrote it (identifiers only added, its patches no fixes,
    its system not believed: a configuration that needs Linux or macOS holds either way)."""
    with ExitStack() as stack:
        system = ANY_SYSTEM if untrusted else sbom.meta.system
        sources = _sources(index, system, stack, settings.osv_url)
        found = targets(sbom, untrusted=untrusted)
        result = scan(found, sources, known_exploited=settings.known_exploited(), notes=notes)
    if policy is not None:
        findings, waiver_notes = apply_vex_waivers(result.findings, policy.waivers, today)
        result = replace(result, findings=tuple(findings), notes=(*result.notes, *waiver_notes))
    return result


def not_scanned(settings: VulnSettings) -> VulnReport:
    if settings.mode == "false":
        return VulnReport(None, "not scanned (vulnerabilities: false)")
    return VulnReport(
        None,
        f"not scanned: no NVD database in {settings.cache.nvd} (set the input vulnerabilities: true to "
        "download it, and cache nvd-cache)",
    )


def write_files(out: Path, sbom: Sbom, result: ScanResult, policy: Policy | None) -> tuple[Path, ...]:
    """``vulnerabilities.cdx.json`` (the VDR), ``vex.cdx.json`` and ``vulnerabilities.json``."""
    doc = to_document(sbom)
    report = ScanReport(
        result, sbom, doc, "vulnerabilities.cdx.json", policy_path=policy.path if policy else None
    )
    files = []
    for name, text in (
        ("vulnerabilities.cdx.json", render_vdr(report)),
        ("vex.cdx.json", render_vex(report)),
        ("vulnerabilities.json", JsonFormat().render(report)),
    ):
        files.append(write_atomic(out / name, text))
    return tuple(files)


def _key(f: Finding) -> tuple[str, str]:
    return (f.advisory.id, f.name)


def compare(base: Sequence[Finding], head: Sequence[Finding]) -> VulnDiff:
    base_active = {_key(f): f for f in base if f.active}
    head_active = {_key(f): f for f in head if f.active}
    return VulnDiff(
        new=tuple(f for k, f in head_active.items() if k not in base_active),
        fixed=tuple(f for k, f in base_active.items() if k not in head_active),
        still=tuple(f for k, f in head_active.items() if k in base_active),
    )


def log_notes(result: ScanResult) -> None:
    for note in result.notes:
        sys.stderr.write(f"nix-attest: vulnerabilities: {note}\n")
