"""JSON: every finding with its advisory, component, match and state (see docs/vulnerabilities.md)."""

from __future__ import annotations

import json
from typing import Any

from ..model import Finding
from . import ScanReport
from .common import counts, state

SCHEMA = "https://github.com/nix-attest/nix-attest/blob/main/docs/vulnerabilities.md#json"


def finding_dict(f: Finding) -> dict[str, Any]:
    adv = f.advisory
    best = adv.ratings[0] if adv.ratings else None
    out: dict[str, Any] = {
        "id": adv.id,
        "aliases": list(adv.aliases),
        "source": adv.source,
        "url": adv.url,
        "severity": f.severity,
        "score": best.score if best else None,
        "rating": {"method": best.method, "vector": best.vector, "source": best.source} if best else None,
        "known_exploited": adv.known_exploited,
        "summary": adv.summary,
        "component": {"bom_ref": f.ref, "name": f.name, "version": f.version, "purl": f.purl},
        "closures": list(f.closures),
        "match": {"method": f.method, "confidence": f.confidence, "evidence": f.evidence},
        "fixed_in": f.fixed_in,
        "state": state(f),
        "active": f.active,
    }
    if f.analysis is not None:
        a = f.analysis
        out["analysis"] = {
            "state": a.state,
            "justification": a.justification,
            "detail": a.detail,
            "waiver": a.waiver,
            "expires": a.expires,
        }
    return out


def result_dict(report: ScanReport) -> dict[str, Any]:
    r = report.result
    return {
        "schema": SCHEMA,
        "sbom": report.sbom_path,
        "sources": list(r.sources),
        "database": r.database,
        "notes": list(r.notes),
        "scanned": r.scanned,
        "fail_on": report.fail_on,
        "active": counts(r.active),
        "findings": [finding_dict(f) for f in r.findings],
    }


class JsonFormat:
    name = "json"

    def render(self, report: ScanReport) -> str:
        return json.dumps(result_dict(report), indent=2, ensure_ascii=False) + "\n"
