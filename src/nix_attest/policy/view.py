"""Plain-data views of SBOM records: the ``component`` and ``sbom`` values seen by CEL rules and Nickel."""

from __future__ import annotations

from typing import Any

from ..sbom.model import Component, Sbom


def license_expression(component: Component) -> str | None:
    """The component's licences as one SPDX expression (several licences are ANDed), or None."""
    labels = [text for lic in component.licenses if (text := lic.expression or lic.name)]
    if not labels:
        return None
    if len(labels) == 1:
        return labels[0]
    return " AND ".join(f"({x})" if " " in x else x for x in labels)


def component_view(c: Component) -> dict[str, Any]:
    fo = c.fixed_output
    fixed: dict[str, Any] | None = None
    if fo is not None:
        fixed = {"method": fo.method, "algo": fo.algo, "hash": fo.hash_hex, "rev": fo.rev}
        fixed["urls"] = list(fo.urls)
    return {
        "ref": c.ref,
        "name": c.name,
        "version": c.version,
        "purl": c.purl,
        "store_path": c.store_path,
        "drv_path": c.drv_path,
        "kind": c.kind,
        "closures": list(c.closures),
        "runtime": c.is_runtime,
        "buildtime": c.is_buildtime,
        "license": license_expression(c),
        "licenses": [lic.label() for lic in c.licenses],
        "hashes": {h.alg: h.content for h in c.hashes},
        "nar_hash": c.nar_hash,
        "nar_size": c.nar_size,
        "cpe": c.cpe,
        "homepage": c.homepage,
        "description": c.description,
        "system": c.system,
        "outputs": list(c.outputs),
        "metadata_found": c.metadata_found,
        "reproducible": c.reproducible,
        "fixed_output": fixed,
    }


def sbom_view(sbom: Sbom, components: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Document facts; ``components`` (the views) only for SBOM-wide rules, where it is converted once."""
    meta = sbom.meta
    checks = meta.reproducibility
    flake = meta.flake
    view: dict[str, Any] = {
        "root": component_view(sbom.root),
        "installable": meta.installable,
        "closure": meta.closure,
        "tool_version": meta.tool_version,
        "nix_version": meta.nix_version,
        "system": meta.system,
        "timestamp": meta.timestamp,
        "component_count": len(sbom.components),
        "runtime_count": sum(1 for c in sbom.components if c.is_runtime),
        "buildtime_count": sum(1 for c in sbom.components if c.is_buildtime),
        "runtime_closure_bytes": sbom.runtime_closure_size(),
        "reproducibility_checked": checks is not None,
        "unreproducible": [] if checks is None else [c.path for c in checks if not c.reproducible],
        "flake": None
        if flake is None
        else {"original_url": flake.original_url, "locked_url": flake.locked_url, "rev": flake.rev},
    }
    if components is not None:
        view["components"] = components
    return view
