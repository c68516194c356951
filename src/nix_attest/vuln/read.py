"""Findings from a CycloneDX document's ``vulnerabilities`` (a VDR written by ``scan``/``run``, or another
tool's): one finding per affected bom-ref. ``None`` when the document has no ``vulnerabilities`` key
(it was not scanned), an empty tuple when it was scanned and nothing was found."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from ..sbom.model import Component, Sbom
from .model import (
    ANALYSIS_STATES,
    JUSTIFICATIONS,
    MATCH_METHODS,
    SEVERITY_LEVELS,
    Advisory,
    Analysis,
    AnalysisState,
    Finding,
    Justification,
    MatchMethod,
    Rating,
    VulnSeverity,
    severity_from_score,
    sort_findings,
)

P = "nix-attest:"


def _props(entry: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in entry.get("properties") or []:
        if isinstance(p, dict) and isinstance(p.get("name"), str) and isinstance(p.get("value"), str):
            out.setdefault(p["name"], p["value"])
    return out


def _ratings(items: Any) -> tuple[Rating, ...]:
    out = []
    for r in items or []:
        if not isinstance(r, dict):
            continue
        score = r.get("score") if isinstance(r.get("score"), (int, float)) else None
        level = r.get("severity")
        severity = cast(VulnSeverity, level) if level in SEVERITY_LEVELS else severity_from_score(score)
        source = (r.get("source") or {}).get("name") if isinstance(r.get("source"), dict) else None
        out.append(Rating(str(r.get("method") or "other"), severity, score, r.get("vector"), source))
    return tuple(out)


def _analysis(entry: Mapping[str, Any], props: dict[str, str]) -> Analysis | None:
    a = entry.get("analysis")
    if not isinstance(a, dict) or a.get("state") not in ANALYSIS_STATES:
        return None
    justification = a.get("justification") if a.get("justification") in JUSTIFICATIONS else None
    return Analysis(
        state=cast(AnalysisState, a["state"]),
        justification=cast(Justification | None, justification),
        detail=a.get("detail") if isinstance(a.get("detail"), str) else None,
        waiver=props.get(f"{P}waiver"),
        expires=props.get(f"{P}waiver:expires"),
    )


def findings_from_document(doc: Mapping[str, Any], sbom: Sbom | None) -> tuple[Finding, ...] | None:
    """``sbom`` (the same document read as an SBOM) names the affected components; without it the
    bom-ref stands for the name."""
    entries = doc.get("vulnerabilities")
    if entries is None:
        return None
    components: dict[str, Component] = {c.ref: c for c in (sbom.root, *sbom.components)} if sbom else {}
    out: list[Finding] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        props = _props(entry)
        source: dict[str, Any] = entry["source"] if isinstance(entry.get("source"), dict) else {}
        aliases = tuple(
            str(r["id"])
            for r in entry.get("references") or []
            if isinstance(r, dict) and isinstance(r.get("id"), str)
        )
        advisory = Advisory(
            id=entry["id"],
            source=str(source.get("name") or "unknown"),
            summary=entry.get("description") if isinstance(entry.get("description"), str) else None,
            aliases=aliases,
            ratings=_ratings(entry.get("ratings")),
            published=entry.get("published"),
            modified=entry.get("updated"),
            url=source.get("url") if isinstance(source.get("url"), str) else None,
            known_exploited=props.get(f"{P}known_exploited") == "true",
        )
        method: MatchMethod = next(
            (m for m in MATCH_METHODS if m == props.get(f"{P}match:method")), "reported"
        )
        for affected in entry.get("affects") or []:
            ref = affected.get("ref") if isinstance(affected, dict) else None
            if not isinstance(ref, str):
                continue
            c = components.get(ref)
            out.append(
                Finding(
                    advisory=advisory,
                    ref=ref,
                    name=c.name if c else ref,
                    version=c.version if c else None,
                    method=method,
                    evidence=props.get(f"{P}match:evidence") or "stated by the document",
                    closures=c.closures if c else (),
                    analysis=_analysis(entry, props),
                    purl=c.purl if c else None,
                )
            )
    return tuple(sort_findings(out))
