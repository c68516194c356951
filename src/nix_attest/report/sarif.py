"""The SARIF 2.1.0 frame both SARIF reports share (policy violations, vulnerability findings): one run
of the nix-attest driver, results located at the SBOM file with the component as logical location."""

from __future__ import annotations

from typing import Any

from .. import TOOL_URL, __version__

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def sbom_location(artifact_uri: str, name: str | None = None, bom_ref: str | None = None) -> dict[str, Any]:
    """The SBOM file (GitHub needs a physical location), and the component when there is one."""
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": {"uri": artifact_uri}, "region": {"startLine": 1}}
    }
    if name is not None and bom_ref is not None:
        location["logicalLocations"] = [{"name": name, "fullyQualifiedName": bom_ref, "kind": "module"}]
    return location


def sarif_document(
    rules: list[dict[str, Any]], results: list[dict[str, Any]], automation_id: str, properties: dict[str, Any]
) -> dict[str, Any]:
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "nix-attest",
                        "version": __version__,
                        "informationUri": TOOL_URL,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": automation_id},
                "results": results,
                "properties": properties,
            }
        ],
    }
