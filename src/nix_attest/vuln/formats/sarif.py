"""SARIF 2.1.0 for GitHub code scanning: one rule per advisory, one result per finding, located at the
SBOM file with the component as logical location. Patched and waived findings carry a suppression."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ...report.sarif import sarif_document, sbom_location
from ..model import Finding
from . import ScanReport
from .common import state

_LEVEL = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "note",
    "none": "note",
    "unknown": "warning",
}


def _rule(f: Finding) -> dict[str, Any]:
    adv = f.advisory
    rule: dict[str, Any] = {
        "id": adv.id,
        "name": adv.id,
        "shortDescription": {"text": f"{adv.id} ({f.severity})"},
        "fullDescription": {"text": adv.summary or adv.id},
        "defaultConfiguration": {"level": _LEVEL[f.severity]},
        "properties": {"tags": ["security", "vulnerability"]},
    }
    if adv.url:
        rule["helpUri"] = adv.url
    if adv.score is not None:
        rule["properties"]["security-severity"] = f"{adv.score:.1f}"  # GitHub orders alerts by it
    return rule


def _result(f: Finding, index: int, uri: str) -> dict[str, Any]:
    version = f" {f.version}" if f.version else ""
    fixed = f"; fixed in {f.fixed_in}" if f.fixed_in else ""
    how = f"matched by {f.method}, {f.confidence} confidence"
    result: dict[str, Any] = {
        "ruleId": f.id,
        "ruleIndex": index,
        "level": _LEVEL[f.severity],
        "message": {"text": f"{f.id} in {f.name}{version} ({f.severity}; {how}{fixed})"},
        "locations": [sbom_location(uri, f.purl or f.name, f.ref)],
        "partialFingerprints": {
            "nixAttestVulnerability/v1": hashlib.sha256(f"{f.id}\0{f.name}".encode()).hexdigest()
        },
        "properties": {"bomRef": f.ref, "state": state(f), "evidence": f.evidence},
    }
    if f.analysis is not None:
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": f.analysis.detail or f.analysis.state}
        ]
    return result


class SarifFormat:
    name = "sarif"

    def render(self, report: ScanReport) -> str:
        findings = report.result.findings
        rules: dict[str, dict[str, Any]] = {}
        for f in findings:
            rules.setdefault(f.id, _rule(f))
        index = {vid: i for i, vid in enumerate(rules)}
        uri = report.sbom_path.replace("\\", "/")
        results = [_result(f, index[f.id], uri) for f in findings]
        properties = {"sources": list(report.result.sources), "database": report.result.database}
        log = sarif_document(list(rules.values()), results, "nix-attest/vulnerabilities/", properties)
        return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
