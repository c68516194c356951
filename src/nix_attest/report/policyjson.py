"""Read a policy report written by ``nix-attest check --format json`` back into a :class:`PolicyReport`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from ..errors import InputError
from ..policy.model import FAIL_ON_LEVELS, SEVERITIES, ComponentRef, FailOn, PolicyReport, Severity, Violation
from ..untrusted import MAX_SBOM_BYTES, json_problem, loads_json, read_input_text


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def load_policy_report(path: str | Path) -> PolicyReport:
    try:
        doc = loads_json(read_input_text(path, MAX_SBOM_BYTES))
    except OSError as exc:
        raise InputError(f"cannot read policy report {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise InputError(f"policy report {path} is {json_problem(exc)}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("violations"), list):
        raise InputError(
            f"policy report {path} has no violations list (expected `nix-attest check --format json`)"
        )
    violations = []
    for i, item in enumerate(doc["violations"]):
        if not isinstance(item, dict) or item.get("severity") not in SEVERITIES or not _str(item.get("rule")):
            raise InputError(f"policy report {path}: violation {i} is malformed")
        comp = item.get("component")
        ref = None
        if isinstance(comp, dict) and _str(comp.get("name")):
            ref = ComponentRef(
                bom_ref=_str(comp.get("bomRef")) or "",
                name=str(comp["name"]),
                version=_str(comp.get("version")),
                purl=_str(comp.get("purl")),
            )
        violations.append(
            Violation(
                rule=str(item["rule"]),
                severity=cast(Severity, item["severity"]),
                message=_str(item.get("message")) or "",
                component=ref,
                waived_by=_str(item.get("waivedBy")),
            )
        )
    fail_on = doc.get("failOn") if doc.get("failOn") in FAIL_ON_LEVELS else "error"
    checked = doc.get("checkedComponents")
    return PolicyReport(
        policy_path=_str(doc.get("policy")),
        violations=tuple(violations),
        fail_on=cast(FailOn, fail_on),
        checked_components=checked if isinstance(checked, int) else 0,
    )
