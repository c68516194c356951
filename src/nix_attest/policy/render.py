"""Rendering a PolicyReport as text, JSON or Markdown (SARIF lives in ``sarif.py``)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from ..report import md
from ..untrusted import one_line
from .model import SEVERITIES, ComponentRef, PolicyReport, Violation


def counts(report: PolicyReport) -> dict[str, int]:
    """Active (unwaived) violations per severity, plus ``waived``."""
    c: Counter[str] = Counter(v.severity for v in report.active)
    out: dict[str, int] = {s: c[s] for s in SEVERITIES}
    out["waived"] = sum(1 for v in report.violations if v.waived)
    return out


def _component_text(c: ComponentRef | None) -> str:
    if c is None:
        return "(sbom)"
    return c.purl or (f"{c.name}@{c.version}" if c.version else c.name)


def summary_line(report: PolicyReport) -> str:
    n = counts(report)
    return (
        f"policy {report.verdict}: {n['error']} error(s), {n['warning']} warning(s), {n['note']} note(s), "
        f"{n['waived']} waived; {report.checked_components} components checked (fail-on: {report.fail_on})"
    )


def render_text(report: PolicyReport) -> str:
    """One line per violation: a name or message with a line break (from the SBOM or the policy)
    cannot start a line of its own that reads like another result."""
    lines = []
    for v in report.violations:
        waived = f" [waived: {v.waived_by}]" if v.waived else ""
        line = f"{v.severity.upper():7} {v.rule:28} {_component_text(v.component)}: {v.message}{waived}"
        lines.append(one_line(line, 100_000) or "")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def violation_dict(v: Violation) -> dict[str, Any]:
    c = v.component
    return {
        "rule": v.rule,
        "severity": v.severity,
        "message": v.message,
        "component": None
        if c is None
        else {"bomRef": c.bom_ref, "name": c.name, "version": c.version, "purl": c.purl},
        "waivedBy": v.waived_by,
        **({"advisories": list(v.advisories)} if v.advisories else {}),
    }


def report_dict(report: PolicyReport) -> dict[str, Any]:
    return {
        "policy": report.policy_path,
        "verdict": report.verdict,
        "failOn": report.fail_on,
        "checkedComponents": report.checked_components,
        "summary": counts(report),
        "violations": [violation_dict(v) for v in report.violations],
    }


def render_json(report: PolicyReport) -> str:
    return json.dumps(report_dict(report), indent=2, sort_keys=False) + "\n"


def render_markdown(report: PolicyReport, *, max_rows: int = 200) -> str:
    """A heading, a summary and a table of violations (active first), cut at ``max_rows`` rows."""
    n = counts(report)
    icon = "✅" if report.verdict == "pass" else "❌"
    out = [
        f"### {icon} Policy {report.verdict}",
        "",
        f"{n['error']} error(s), {n['warning']} warning(s), {n['note']} note(s), {n['waived']} waived; "
        f"{report.checked_components} components checked (fail-on: `{report.fail_on}`).",
    ]
    rows = sorted(report.violations, key=lambda v: v.waived)
    if rows:
        out += [
            "",
            "| Severity | Rule | Component | Message | Waived by |",
            "| --- | --- | --- | --- | --- |",
        ]
        for v in rows[:max_rows]:
            out.append(
                f"| {v.severity} | {md.code(v.rule)} | {md.text(_component_text(v.component))} "
                f"| {md.text(v.message, 1000)} | {md.text(v.waived_by)} |"
            )
        if len(rows) > max_rows:
            out += ["", f"… and {len(rows) - max_rows} more (see the JSON or SARIF report)."]
    return "\n".join(out) + "\n"
