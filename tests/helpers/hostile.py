"""A small valid CycloneDX SBOM for the hostile-input tests (the policy or bundle is what is under test)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT_REF = "/nix/store/" + "0" * 32 + "-app"


def small_sbom(*names: str) -> dict[str, Any]:
    """An SBOM of the root ``app`` and one library component per name."""
    components = [
        {"type": "library", "name": name, "bom-ref": f"/nix/store/{i:032d}-{name}"}
        for i, name in enumerate(names, 1)
    ]
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {"component": {"type": "application", "name": "app", "bom-ref": ROOT_REF}},
        "components": components,
    }


def write_sbom(path: Path, *names: str) -> Path:
    path.write_text(json.dumps(small_sbom(*names)))
    return path
