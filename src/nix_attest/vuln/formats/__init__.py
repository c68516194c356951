"""Scan report formats: one interface, one module per format (text, json, cyclonedx, sarif, markdown)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ...sbom.model import Sbom
from ..model import ScanResult


@dataclass(frozen=True)
class ScanReport:
    """What a format renders: the scan result and the SBOM it is about."""

    result: ScanResult
    sbom: Sbom
    document: dict[str, Any]  # the SBOM document as read (the CycloneDX VDR adds to it)
    sbom_path: str
    fail_on: str = "never"
    policy_path: str | None = None


class VulnerabilityFormat(Protocol):
    name: str

    def render(self, report: ScanReport) -> str: ...


def formats() -> dict[str, VulnerabilityFormat]:
    from .cyclonedx import CycloneDxFormat
    from .jsonfmt import JsonFormat
    from .markdown import MarkdownFormat
    from .sarif import SarifFormat
    from .text import TextFormat

    found: list[VulnerabilityFormat] = [
        TextFormat(),
        JsonFormat(),
        CycloneDxFormat(),
        SarifFormat(),
        MarkdownFormat(),
    ]
    return {f.name: f for f in found}


FORMAT_NAMES = ("text", "json", "cyclonedx", "sarif", "markdown")
