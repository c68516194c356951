"""From SBOM components to targets: the identifiers the sources match on, as the SBOM records them."""

from __future__ import annotations

from typing import cast

from ..sbom.model import Component, Sbom
from .cpe import parse_cpe
from .identify import candidate_source
from .model import CpeId, CpeSource, Target

# purl types OSV answers for (its ecosystems), and GitHub sources (queried by commit or tag)
ECOSYSTEM_PURLS = (
    "cargo",
    "npm",
    "pypi",
    "golang",
    "maven",
    "gem",
    "nuget",
    "composer",
    "hex",
    "pub",
    "github",
)
_SOURCES = ("meta", "possible", "curated", "heuristic")


def target(c: Component) -> Target:
    cpes: list[CpeId] = []
    if c.cpe and parse_cpe(c.cpe) is not None:
        # an SBOM from another tool says nothing about where its CPE came from: trust it as given
        source = cast(CpeSource, c.cpe_source if c.cpe_source in _SOURCES else "meta")
        cpes.append(CpeId(c.cpe, source))
        cpes += [CpeId(x, candidate_source(source)) for x in c.cpe_candidates if parse_cpe(x) is not None]
    purls: tuple[str, ...] = ()
    if c.purl and c.purl.startswith("pkg:") and c.purl[4:].split("/", 1)[0].lower() in ECOSYSTEM_PURLS:
        purls = (c.purl,)
    return Target(
        ref=c.ref,
        name=c.name,
        version=c.version,
        purl=c.purl,
        cpes=tuple(cpes),
        purls=purls,
        resolved=tuple((vid, p.name) for p in c.patches for vid in p.resolves),
        known_vulnerabilities=c.known_vulnerabilities,
        closures=c.closures,
        is_source=c.fixed_output is not None,
    )


def targets(sbom: Sbom) -> list[Target]:
    """The root and every component, once each."""
    seen: set[str] = set()
    out = []
    for c in (sbom.root, *sbom.components):
        if c.ref not in seen:
            seen.add(c.ref)
            out.append(target(c))
    return out
