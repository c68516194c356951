"""Vulnerability sources: one interface, one module per source (``nvd``, ``osv``, ``nixmeta``).

A source turns targets (SBOM components with their identifiers) into findings. It does no patch or
waiver handling: the scanner (``vuln.scan``) applies patches, merges duplicates, enriches with KEV."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..model import Finding, Target


class VulnerabilitySource(Protocol):
    name: str  # "nvd", "osv", "nixpkgs-meta"
    notes: tuple[str, ...]  # after findings(): one line each about what the source ignored or skipped

    def findings(self, targets: Sequence[Target]) -> list[Finding]:
        """Every advisory that applies to one of ``targets``; raise ExternalError when the source fails."""
        ...

    def describe(self) -> str:
        """One line for reports: what data this source used."""
        ...
