"""SARIF 2.1.0 output for GitHub code scanning.

Every result points at the SBOM file (GitHub needs a physical location) and names the component as a
logical location; waived violations carry an external suppression with the waiver as justification.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..report.sarif import SARIF_SCHEMA, sarif_document, sbom_location
from .model import PolicyReport, Violation

__all__ = ["SARIF_SCHEMA", "render_sarif", "sarif_log"]
_LEVEL = {"error": "error", "warning": "warning", "note": "note"}


def _fingerprint(v: Violation) -> str:
    ref = v.component.bom_ref if v.component else ""
    return hashlib.sha256(f"{v.rule}\0{ref}".encode()).hexdigest()


def _result(v: Violation, index: int, artifact_uri: str) -> dict[str, Any]:
    c = v.component
    location = sbom_location(artifact_uri, c.purl or c.name, c.bom_ref) if c else sbom_location(artifact_uri)
    result: dict[str, Any] = {
        "ruleId": v.rule,
        "ruleIndex": index,
        "level": _LEVEL[v.severity],
        "message": {"text": v.message},
        "locations": [location],
        "partialFingerprints": {"nixAttestViolation/v1": _fingerprint(v)},
    }
    if c is not None:
        result["properties"] = {"bomRef": c.bom_ref, "name": c.name, "version": c.version, "purl": c.purl}
    if v.waived:
        result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": v.waived_by}]
    return result


def sarif_log(report: PolicyReport, artifact_uri: str = "sbom.cdx.json") -> dict[str, Any]:
    rule_ids = sorted({v.rule for v in report.violations})
    index = {rule: i for i, rule in enumerate(rule_ids)}
    severity_of: dict[str, str] = {}
    for v in report.violations:
        severity_of.setdefault(v.rule, v.severity)
    rules = [
        {
            "id": rule,
            "name": rule,
            "shortDescription": {"text": f"nix-attest policy rule {rule}"},
            "defaultConfiguration": {"level": _LEVEL[severity_of[rule]]},
            "helpUri": "https://github.com/nix-attest/nix-attest/blob/main/docs/policy.md",
        }
        for rule in rule_ids
    ]
    results = [_result(v, index[v.rule], artifact_uri) for v in report.violations]
    properties = {"verdict": report.verdict, "failOn": report.fail_on, "policy": report.policy_path}
    return sarif_document(rules, results, "nix-attest/policy/", properties)


def render_sarif(report: PolicyReport, artifact_uri: str = "sbom.cdx.json") -> str:
    return json.dumps(sarif_log(report, artifact_uri), indent=2) + "\n"
