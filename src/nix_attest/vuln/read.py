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


def _list(value: Any) -> list[Any]:
    """A list field of a document that may not have been schema-checked: anything else is empty."""
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _props(entry: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in _list(entry.get("properties")):
        if isinstance(p, dict) and isinstance(p.get("name"), str) and isinstance(p.get("value"), str):
            out.setdefault(p["name"], p["value"])
    return out


def _ratings(items: Any) -> tuple[Rating, ...]:
    out = []
    for r in _list(items):
        if not isinstance(r, dict):
            continue
        score = r.get("score") if isinstance(r.get("score"), (int, float)) else None
        level = r.get("severity")
        severity = cast(VulnSeverity, level) if level in SEVERITY_LEVELS else severity_from_score(score)
        source = (r.get("source") or {}).get("name") if isinstance(r.get("source"), dict) else None
        out.append(
            Rating(str(r.get("method") or "other"), severity, score, _text(r.get("vector")), _text(source))
        )
    return tuple(out)


def _analysis(entry: Mapping[str, Any], props: dict[str, str]) -> Analysis | None:
    a = entry.get("analysis")
    if not isinstance(a, dict) or a.get("state") not in ANALYSIS_STATES:
        return None
    justification = a.get("justification") if a.get("justification") in JUSTIFICATIONS else None
    return Analysis(
        state=cast(AnalysisState, a["state"]),
        justification=cast(Justification | None, justification),
        detail=_text(a.get("detail")),
        waiver=props.get(f"{P}waiver"),
        expires=props.get(f"{P}waiver:expires"),
    )


def findings_from_document(doc: Mapping[str, Any], sbom: Sbom | None) -> tuple[Finding, ...] | None:
    """``sbom`` (the same document read as an SBOM) names the affected components; without it the
    bom-ref stands for the name."""
    entries = doc.get("vulnerabilities") if isinstance(doc, Mapping) else None
    if entries is None:
        return None
    components: dict[str, Component] = {c.ref: c for c in (sbom.root, *sbom.components)} if sbom else {}
    out: list[Finding] = []
    for entry in _list(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        props = _props(entry)
        source: dict[str, Any] = entry["source"] if isinstance(entry.get("source"), dict) else {}
        aliases = tuple(
            str(r["id"])
            for r in _list(entry.get("references"))
            if isinstance(r, dict) and isinstance(r.get("id"), str)
        )
        advisory = Advisory(
            id=entry["id"],
            source=str(source.get("name") or "unknown"),
            summary=_text(entry.get("description")),
            aliases=aliases,
            ratings=_ratings(entry.get("ratings")),
            published=_text(entry.get("published")),
            modified=_text(entry.get("updated")),
            url=_text(source.get("url")),
            known_exploited=props.get(f"{P}known_exploited") == "true",
        )
        method: MatchMethod = next(
            (m for m in MATCH_METHODS if m == props.get(f"{P}match:method")), "reported"
        )
        for affected in _list(entry.get("affects")):
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
