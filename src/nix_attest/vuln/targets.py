"""From SBOM components to targets: the identifiers the sources match on, as the SBOM records them."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from ..sbom.model import Component, Sbom
from .cpe import parse_cpe
from .identify import candidate_source, choose_cpe, ecosystem_purl
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


def untrusted_target(c: Component, built: frozenset[tuple[str, str | None]] = frozenset()) -> Target:
    """A component of an SBOM a pull request from a fork wrote (the fork-safe comment): what it
    says about identifiers can only add to what is matched, never take away. The trusted side
    identifies the component itself from its name and version (the curated map, else the name as
    product), besides the CPEs the SBOM gives (a fork can drop or change those); the ecosystem purl
    is derived again from the source's download URL; and no patch in it counts as a fix (a fork can
    write ``pedigree.patches[].resolves`` into its artifact without a patch in its flake). A CPE
    it labels a guess is one only if this side's ladder makes it too (else ``possible``).

    A source (fixed-output) component gets no CPE of its own when a built component of the same name
    and version is in ``built`` (that one carries its findings); else it does, as a fork could pass a
    package off as a source, which the SBOM identifies by its URL only."""
    given = target(c)
    source = c.fixed_output is not None and (c.name, c.version) in built
    own = choose_cpe(c.name, c.version, is_source=source)
    made = {text: own.source for text in (own.cpe, *own.candidates)} if own is not None else {}
    # the fork's label cannot make its CPE a guess (ignore-low-confidence would drop its findings):
    # one it calls heuristic is labelled as this side's ladder labels it, else `possible`
    cpes = [
        replace(x, source=made.get(x.cpe, "possible")) if x.source == "heuristic" else x for x in given.cpes
    ]
    for text, label in made.items():
        if all(x.cpe != text for x in cpes):
            cpes.append(CpeId(text, label))
    purls = list(given.purls)
    derived = ecosystem_purl(c.fixed_output.urls, c.fixed_output.rev) if c.fixed_output else None
    if derived and derived not in purls:
        purls.append(derived)
    return replace(given, cpes=tuple(cpes), purls=tuple(purls), resolved=())


def targets(sbom: Sbom, *, untrusted: bool = False) -> list[Target]:
    """The root and every component, once each (``untrusted``: see :func:`untrusted_target`)."""
    everything = (sbom.root, *sbom.components)
    built = frozenset((c.name, c.version) for c in everything if c.fixed_output is None and untrusted)
    seen: set[str] = set()
    out = []
    for c in everything:
        if c.ref not in seen:
            seen.add(c.ref)
            out.append(untrusted_target(c, built) if untrusted else target(c))
    return out
