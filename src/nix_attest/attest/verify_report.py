"""How verification results read: text for a person (one target in detail, or one line per target) and
JSON for machines (per target: the verified attestation or the reason it failed)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from .by_digest import TargetResult
from .closure import ClosureCheck
from .model import VerifiedAttestation

MAX_REJECTIONS_SHOWN = 5


def _time(ts: int | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_detail(result: TargetResult) -> str:
    """One target in full: what verified and every check, or why each candidate was rejected."""
    lines: list[str] = []
    a = result.attestation
    if a is not None:
        # an attestation that verified but whose closure does not match is not "verified"
        lines.append(
            f"{'verified' if result.status == 'verified' else 'attestation verified:'} {a.bundle_path}"
        )
        lines.append(f"  predicate type: {a.predicate_type}")
        lines.append(f"  signer: {a.identity} (issuer {a.issuer})")
        lines.extend(f"  subject: {s.name} sha256:{s.sha256}" for s in a.subjects)
        lines.extend(f"  ok: {c}" for c in a.checks)
    if result.closure is not None and result.closure.ok:
        lines.append(f"  ok: {result.closure.summary()}")
    lines.extend(f"  rejected {r.source}: {r.reason}" for r in result.rejected)
    if result.status != "verified":
        lines.append(
            f"{'FAILED' if result.status == 'failed' else 'unattested'} {result.target}: {result.reason}"
        )
    return "\n".join(lines) + "\n"


def render_lines(results: Sequence[TargetResult]) -> str:
    """One line per target; the rejections of a failed target follow it, indented."""
    lines: list[str] = []
    for r in results:
        a = r.attestation
        if r.status == "verified" and a is not None:
            where = f"{a.bundle_path}" + (f", log index {a.log_index}" if a.log_index is not None else "")
            closure = f"; closure of {r.closure.closure_size} paths matches" if r.closure else ""
            lines.append(f"verified {r.target}: {a.predicate_type} signed by {a.identity} ({where}){closure}")
            continue
        lines.append(f"{'FAILED' if r.status == 'failed' else 'unattested'} {r.target}: {r.reason}")
        if r.status == "failed":
            shown = r.rejected[:MAX_REJECTIONS_SHOWN]
            lines.extend(f"  rejected {x.source}: {x.reason}" for x in shown)
            if len(r.rejected) > len(shown):
                lines.append(f"  … and {len(r.rejected) - len(shown)} more rejected")
    return "\n".join(lines) + "\n"


def attestation_json(a: VerifiedAttestation) -> dict[str, Any]:
    return {
        "source": a.bundle_path,
        "predicateType": a.predicate_type,
        "signer": {
            "identity": a.identity,
            "issuer": a.issuer,
            "repository": a.repository,
            "workflow": a.workflow,
            "ref": a.ref,
        },
        "logIndex": a.log_index,
        "integratedTime": _time(a.integrated_time),
        "subjects": [{"name": s.name, "sha256": s.sha256} for s in a.subjects],
    }


def _closure_json(c: ClosureCheck) -> dict[str, Any]:
    return {
        "ok": c.ok,
        "closureSize": c.closure_size,
        "sbomSize": c.sbom_size,
        "notInSbom": list(c.not_in_sbom),
        "notInClosure": list(c.not_in_closure),
        "problem": c.problem,
    }


def result_json(r: TargetResult) -> dict[str, Any]:
    return {
        "target": r.target,
        "digest": f"sha256:{r.digest}",
        "status": r.status,
        "attestation": attestation_json(r.attestation) if r.attestation else None,
        "reason": r.reason,
        "rejected": [{"source": x.source, "reason": x.reason} for x in r.rejected],
        "closure": _closure_json(r.closure) if r.closure else None,
    }


def render_json(results: Sequence[TargetResult], *, require: str) -> str:
    counts = {s: sum(1 for r in results if r.status == s) for s in ("verified", "failed", "unattested")}
    doc = {"require": require, **counts, "results": [result_json(r) for r in results]}
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"
