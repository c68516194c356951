"""One SBOM of both closures: a runtime SBOM with the components only its buildtime SBOM has (sources,
build tools, vendored dependencies). Used where both matter at once: the vulnerability report."""

from __future__ import annotations

from dataclasses import replace

from .model import Closure, Component, Sbom


def merge_closures(runtime: Sbom, buildtime: Sbom) -> Sbom:
    """``runtime`` plus every component of ``buildtime`` it lacks; a component in both lists both
    closures; dependencies are the union (the runtime SBOM's root and metadata are kept)."""
    merged: dict[str, Component] = {c.ref: c for c in runtime.components}
    for c in (buildtime.root, *buildtime.components):
        if c.ref == runtime.root.ref:
            continue
        known = merged.get(c.ref)
        if known is None:
            merged[c.ref] = c
        else:
            closures: tuple[Closure, ...] = tuple(sorted(set(known.closures) | set(c.closures)))
            merged[c.ref] = replace(known, closures=closures)
    root = runtime.root
    if buildtime.root.ref == root.ref:
        root = replace(root, closures=tuple(sorted(set(root.closures) | set(buildtime.root.closures))))
    deps: dict[str, tuple[str, ...]] = {}
    for source in (buildtime.dependencies, runtime.dependencies):
        for ref, targets in source.items():
            deps[ref] = tuple(sorted(set(deps.get(ref, ())) | set(targets)))
    return Sbom(
        root=root,
        components=tuple(merged[k] for k in sorted(merged)),
        dependencies=dict(sorted(deps.items())),
        meta=runtime.meta,
    )
