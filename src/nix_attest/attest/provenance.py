"""SLSA provenance v1 predicate for a Nix build, built from the SBOM model and the GitHub context.

buildType ``https://github.com/nix-attest/nix-attest/buildtypes/nix/v1`` (documented in docs/attest.md):
externalParameters: the installable, the flake as locked, the workflow (on GitHub);
internalParameters: Nix version, system, closure kind, tool version;
resolvedDependencies: the flake source, its locked inputs, every fixed-output source (hash, URLs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import InputError
from ..nix.hashes import to_hex
from ..sbom.model import Component, FlakeInfo, Sbom
from .model import SLSA_PREDICATE_TYPE, GitHubContext, Subject
from .statement import statement

BUILD_TYPE = "https://github.com/nix-attest/nix-attest/buildtypes/nix/v1"
LOCAL_BUILDER_ID = "https://github.com/nix-attest/nix-attest/builders/local/v1"


def _nar_digest(nar_hash: str | None) -> dict[str, str]:
    """A flake's narHash (SRI, or ``sha256:`` with Nix base32 or hex) as an in-toto digest."""
    if not nar_hash:
        return {}
    try:
        algo, hex_digest = to_hex(nar_hash)
    except InputError:
        return {}
    return {algo: hex_digest}


def _flake_parameters(flake: FlakeInfo) -> dict[str, Any]:
    out: dict[str, Any] = {"url": flake.original_url}
    if flake.locked_url:
        out["lockedUrl"] = flake.locked_url
    if flake.rev:
        out["rev"] = flake.rev
    if flake.nar_hash:
        out["narHash"] = flake.nar_hash
    if flake.last_modified is not None:
        out["lastModified"] = flake.last_modified
    return out


def _flake_dependencies(flake: FlakeInfo) -> list[dict[str, Any]]:
    deps: list[dict[str, Any]] = []
    digest = _nar_digest(flake.nar_hash)
    if flake.rev:
        digest["gitCommit"] = flake.rev
    deps.append(
        {"uri": flake.locked_url or flake.original_url, "name": "flake", "digest": digest}
        if digest
        else {"uri": flake.locked_url or flake.original_url, "name": "flake"}
    )
    for inp in flake.inputs:
        d = _nar_digest(inp.nar_hash)
        if inp.rev:
            d["gitCommit"] = inp.rev
        entry: dict[str, Any] = {"uri": inp.locked_url, "name": f"flake-input:{inp.name}"}
        if d:
            entry["digest"] = d
        if inp.nar_hash:
            entry["annotations"] = {"narHash": inp.nar_hash}
        deps.append(entry)
    return deps


def _fixed_output_dependency(c: Component) -> dict[str, Any]:
    fo = c.fixed_output
    assert fo is not None
    annotations: dict[str, Any] = {"storePath": c.store_path, "method": fo.method}
    if c.drv_path:
        annotations["derivation"] = c.drv_path
    if len(fo.urls) > 1:
        annotations["urls"] = list(fo.urls)
    if fo.rev:
        annotations["rev"] = fo.rev
    entry: dict[str, Any] = {"name": c.name, "digest": {fo.algo: fo.hash_hex.lower()}}
    if fo.rev:
        entry["digest"]["gitCommit"] = fo.rev
    if fo.urls:
        entry["uri"] = fo.urls[0]
    entry["annotations"] = annotations
    return entry


def provenance_predicate(sbom: Sbom, github: GitHubContext | None) -> dict[str, Any]:
    meta = sbom.meta
    external: dict[str, Any] = {"installable": meta.installable}
    if meta.flake is not None:
        external["flake"] = _flake_parameters(meta.flake)
    if github is not None and github.repository:
        workflow: dict[str, Any] = {"repository": f"{github.server_url.rstrip('/')}/{github.repository}"}
        if github.ref:
            workflow["ref"] = github.ref
        if github.workflow_ref:
            path = github.workflow_ref.split("@", 1)[0]
            prefix = f"{github.repository}/"
            workflow["path"] = path[len(prefix) :] if path.startswith(prefix) else path
        external["workflow"] = workflow

    internal: dict[str, Any] = {"closure": meta.closure, "nixAttestVersion": meta.tool_version}
    if meta.nix_version:
        internal["nixVersion"] = meta.nix_version
    if meta.system:
        internal["system"] = meta.system
    if github is not None:
        gh = {k: v for k, v in (("eventName", github.event_name), ("sha", github.sha)) if v}
        if gh:
            internal["github"] = gh

    deps: list[dict[str, Any]] = []
    if meta.flake is not None:
        deps.extend(_flake_dependencies(meta.flake))
    fixed = [c for c in (sbom.root, *sbom.components) if c.fixed_output is not None]
    fixed_deps = [_fixed_output_dependency(c) for c in fixed]
    fixed_deps.sort(key=lambda d: (str(d.get("uri", "")), d["name"], d["annotations"]["storePath"]))
    deps.extend(fixed_deps)
    if github is not None and github.repository and github.sha:
        repo_uri = f"git+{github.server_url.rstrip('/')}/{github.repository}"
        deps.insert(
            0,
            {
                "uri": f"{repo_uri}@{github.ref}" if github.ref else repo_uri,
                "digest": {"gitCommit": github.sha},
            },
        )

    build_definition: dict[str, Any] = {
        "buildType": BUILD_TYPE,
        "externalParameters": external,
        "internalParameters": internal,
    }
    if deps:
        build_definition["resolvedDependencies"] = deps

    builder_id = (github.builder_id if github else None) or LOCAL_BUILDER_ID
    metadata: dict[str, Any] = {}
    if github is not None and github.run_url:
        metadata["invocationId"] = github.run_url
    if meta.timestamp:
        metadata["finishedOn"] = meta.timestamp
    run_details: dict[str, Any] = {"builder": {"id": builder_id}}
    if metadata:
        run_details["metadata"] = metadata
    return {"buildDefinition": build_definition, "runDetails": run_details}


def provenance_statement(
    sbom: Sbom, subjects: Sequence[Subject], github: GitHubContext | None
) -> dict[str, Any]:
    return statement(subjects, SLSA_PREDICATE_TYPE, provenance_predicate(sbom, github))
