"""SARIF 2.1.0 output for GitHub code scanning.

Every result points at the SBOM file (GitHub needs a physical location) and names the component as a
logical location; waived violations carry an external suppression with the waiver as justification.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .. import __version__
from .model import PolicyReport, Violation

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "note": "note"}


def _fingerprint(v: Violation) -> str:
    ref = v.component.bom_ref if v.component else ""
    return hashlib.sha256(f"{v.rule}\0{ref}".encode()).hexdigest()


def _result(v: Violation, index: int, artifact_uri: str) -> dict[str, Any]:
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": {"uri": artifact_uri}, "region": {"startLine": 1}}
    }
    c = v.component
    if c is not None:
        location["logicalLocations"] = [
            {"name": c.purl or c.name, "fullyQualifiedName": c.bom_ref, "kind": "module"}
        ]
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
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "nix-attest",
                        "version": __version__,
                        "informationUri": "https://github.com/nix-attest/nix-attest",
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": "nix-attest/policy/"},
                "results": [_result(v, index[v.rule], artifact_uri) for v in report.violations],
                "properties": {
                    "verdict": report.verdict,
                    "failOn": report.fail_on,
                    "policy": report.policy_path,
                },
            }
        ],
    }


def render_sarif(report: PolicyReport, artifact_uri: str = "sbom.cdx.json") -> str:
    return json.dumps(sarif_log(report, artifact_uri), indent=2) + "\n"
