"""Running the sources over the targets: merge what several sources found about the same advisory and
component, mark what a patch of the derivation fixes (``resolved_with_pedigree``: kept, not deleted),
and flag what the CISA KEV catalog lists as known exploited."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace

from .model import CONFIDENCE_OF, Analysis, Finding, ScanResult, Target, sort_findings
from .sources import VulnerabilitySource

_CONFIDENCE_RANK = {"high": 0, "medium": 1, "low": 2}


def _better(a: Finding, b: Finding) -> Finding:
    """The same advisory about the same component from two identifiers or sources: keep the most
    trustworthy match, with the richer advisory (ratings) of either."""
    first, second = sorted((a, b), key=lambda f: _CONFIDENCE_RANK[CONFIDENCE_OF[f.method]])
    adv = first.advisory
    if not adv.ratings and second.advisory.ratings:
        adv = replace(
            second.advisory,
            aliases=tuple(dict.fromkeys((*second.advisory.aliases, *adv.aliases))),
        )
    return replace(first, advisory=adv, fixed_in=first.fixed_in or second.fixed_in)


def merge(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per (advisory, component); advisories that alias each other (GHSA-x = CVE-y) count
    as one."""
    by_ref: dict[str, list[Finding]] = {}
    for f in findings:
        kept = by_ref.setdefault(f.ref, [])
        ids = set(f.advisory.ids)
        for i, other in enumerate(kept):
            if ids & set(other.advisory.ids):
                kept[i] = _better(other, f)
                break
        else:
            kept.append(f)
    return [f for group in by_ref.values() for f in group]


def _patched(f: Finding, target: Target | None) -> Finding:
    if target is None or f.analysis is not None:
        return f
    for vid, patch in target.resolved:
        if vid in f.advisory.ids:
            detail = f"fixed by the patch {patch} applied by the Nix derivation"
            return replace(f, analysis=Analysis("resolved_with_pedigree", None, detail))
    return f


def scan(
    targets: Sequence[Target],
    sources: Sequence[VulnerabilitySource],
    *,
    known_exploited: Collection[str] = (),
    database: str | None = None,
    notes: Sequence[str] = (),
) -> ScanResult:
    found: list[Finding] = []
    for source in sources:
        found.extend(source.findings(targets))
    by_ref = {t.ref: t for t in targets}
    kev = set(known_exploited)
    out = []
    for f in merge(found):
        f = _patched(f, by_ref.get(f.ref))
        if kev and kev.intersection(f.advisory.ids):
            f = replace(f, advisory=replace(f.advisory, known_exploited=True))
        out.append(f)
    return ScanResult(
        findings=tuple(sort_findings(out)),
        sources=tuple(s.name for s in sources),
        scanned=len(targets),
        database=database or "; ".join(s.describe() for s in sources),
        notes=(*notes, *(n for s in sources for n in s.notes)),
    )
