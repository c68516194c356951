"""CycloneDX 1.6 vulnerabilities: the VDR (the SBOM itself with ``vulnerabilities``, a new version of the
same BOM) and the VEX (a separate document of the statements: patches and waivers), both schema-valid.

Each finding is one ``vulnerabilities`` entry (advisory id + the component's bom-ref in ``affects``):
analysis differs per component (one is patched, another is not), and Dependency-Track matches VEX
statements by vulnerability id and the bom-ref of a component the VEX itself lists."""

from __future__ import annotations

from typing import Any

from ... import TOOL_NAME, TOOL_URL, __version__
from ...errors import InputError, UsageError
from ...sbom.cyclonedx import render
from ...sbom.validate import reference_errors, schema_errors
from ..model import Finding
from . import ScanReport

P = "nix-attest:"
_ALIAS_SOURCES = {
    "CVE": ("NVD", "https://nvd.nist.gov/vuln/detail/"),
    "GHSA": ("GitHub Advisories", "https://github.com/advisories/"),
}
_OSV_URL = "https://osv.dev/vulnerability/"
VDR_VERSIONS = ("1.5", "1.6", "1.7")


def _source(vid: str) -> dict[str, str]:
    prefix = vid.split("-", 1)[0].upper()
    name, url = _ALIAS_SOURCES.get(prefix, ("OSV", _OSV_URL))
    return {"name": name, "url": url + vid}


def _datetime(value: str | None) -> str | None:
    """NVD and OSV times as xs:dateTime (NVD's carry no zone: they are UTC)."""
    if not value or len(value) < 10:
        return None
    if len(value) == 10:
        return f"{value}T00:00:00Z"
    base = value[:19]
    return base + "Z" if len(base) == 19 and base[10] == "T" else None


def vulnerability_json(f: Finding) -> dict[str, Any]:
    adv = f.advisory
    out: dict[str, Any] = {"bom-ref": f"vuln:{adv.id}:{f.ref}", "id": adv.id}
    source: dict[str, str] = {"name": adv.source}
    if adv.url:
        source["url"] = adv.url
    out["source"] = source
    if adv.aliases:
        out["references"] = [{"id": a, "source": _source(a)} for a in adv.aliases]
    ratings = []
    for r in adv.ratings:
        rating: dict[str, Any] = {"source": {"name": r.source or adv.source}, "severity": r.severity}
        if r.score is not None:
            rating["score"] = r.score
        rating["method"] = r.method
        if r.vector:
            rating["vector"] = r.vector
        ratings.append(rating)
    if not ratings:
        ratings = [{"severity": "unknown"}]
    out["ratings"] = ratings
    if adv.summary:
        out["description"] = adv.summary
    if f.fixed_in:
        out["recommendation"] = f"Upgrade {f.name} to {f.fixed_in} or later."
    published = _datetime(adv.published)
    if published:
        out["published"] = published
    updated = _datetime(adv.modified)
    if updated:
        out["updated"] = updated
    affects: dict[str, Any] = {"ref": f.ref}
    if f.version:
        affects["versions"] = [{"version": f.version, "status": "affected"}]
    out["affects"] = [affects]
    if f.analysis is not None:
        a = f.analysis
        analysis: dict[str, Any] = {"state": a.state}
        if a.justification:
            analysis["justification"] = a.justification
        if a.detail:
            analysis["detail"] = a.detail
        out["analysis"] = analysis
    props = [
        (f"{P}match:method", f.method),
        (f"{P}match:confidence", f.confidence),
        (f"{P}match:evidence", f.evidence),
    ]
    if adv.known_exploited:
        props.append((f"{P}known_exploited", "true"))
    if f.analysis is not None and f.analysis.waiver:
        props.append((f"{P}waiver", f.analysis.waiver))
        if f.analysis.expires:
            props.append((f"{P}waiver:expires", f.analysis.expires))
    out["properties"] = [{"name": n, "value": v} for n, v in props]
    return out


def _check(doc: dict[str, Any], spec: str, what: str) -> None:
    problems = schema_errors(doc, spec) + reference_errors(doc)
    if problems:
        raise InputError(f"the {what} is not valid CycloneDX {spec}: " + "; ".join(problems))


def vdr_document(report: ScanReport) -> dict[str, Any]:
    """The SBOM with its vulnerabilities: the same BOM (serial number), the next version."""
    doc = dict(report.document)
    spec = str(doc.get("specVersion"))
    if spec not in VDR_VERSIONS:
        raise UsageError(
            f"--format cyclonedx needs a CycloneDX 1.5 or later SBOM; {report.sbom_path} is {spec}"
        )
    doc["version"] = int(doc.get("version") or 1) + 1
    doc["vulnerabilities"] = [vulnerability_json(f) for f in report.result.findings]
    return doc


def vex_document(report: ScanReport) -> dict[str, Any]:
    """A separate VEX: the statements (patches, waivers) about the SBOM's components."""
    root = (report.document.get("metadata") or {}).get("component") or {}
    component = {k: root[k] for k in ("type", "bom-ref", "name", "version") if k in root}
    metadata: dict[str, Any] = {
        "tools": {
            "components": [
                {
                    "type": "application",
                    "name": TOOL_NAME,
                    "version": __version__,
                    "externalReferences": [{"type": "website", "url": TOOL_URL}],
                }
            ]
        }
    }
    if component.get("name") and component.get("type"):
        metadata["component"] = component
    serial = report.document.get("serialNumber")
    if isinstance(serial, str):
        metadata["properties"] = [{"name": f"{P}sbom:serialNumber", "value": serial}]
    statements = [f for f in report.result.findings if f.analysis is not None]
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "",
        "version": 1,
        "metadata": metadata,
        "components": _identities(
            report.document, {f.ref for f in statements} - {str(component.get("bom-ref"))}
        ),
        "vulnerabilities": [vulnerability_json(f) for f in statements],
    }


# what identifies a component to a consumer of the VEX (Dependency-Track matches a statement's
# component by these; nothing else of the SBOM is repeated)
_IDENTITY = ("type", "bom-ref", "group", "name", "version", "purl", "cpe", "hashes")


def _identities(document: dict[str, Any], refs: set[str]) -> list[dict[str, Any]]:
    """The SBOM's components with these bom-refs, identity fields only, in the SBOM's order: every
    ``affects.ref`` of the VEX then names a component of the VEX itself."""
    out = []
    for c in document.get("components") or ():
        if isinstance(c, dict) and c.get("bom-ref") in refs:
            out.append({k: c[k] for k in _IDENTITY if k in c})
    return out


def render_vdr(report: ScanReport) -> str:
    doc = vdr_document(report)
    serial = doc.get("serialNumber")
    text = render(doc, serial=serial if isinstance(serial, str) and serial else None)
    _check(doc, str(doc["specVersion"]), "vulnerability report (VDR)")
    return text


def render_vex(report: ScanReport) -> str:
    doc = vex_document(report)
    text = render(doc)
    _check(doc, "1.6", "VEX document")
    return text


class CycloneDxFormat:
    name = "cyclonedx"

    def render(self, report: ScanReport) -> str:
        return render_vdr(report)
