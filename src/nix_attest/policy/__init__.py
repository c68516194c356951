"""Policy contracts over the SBOM: built-in rules, CEL rules, Nickel contracts, waivers, reports.

Public API::

    policy = load_policy("nix-attest.policy.yaml")   # or a .ncl file; PolicyFileError (exit 2) if malformed
    report = evaluate(policy, sbom, now=None)         # -> PolicyReport
    render_text(report) / render_json(report) / render_sarif(report, artifact_uri) / render_markdown(report)
"""

from __future__ import annotations

from .config import Policy, policy_schema
from .engine import evaluate
from .load import DEFAULT_POLICY, load_policy
from .model import ComponentRef, FailOn, PolicyReport, Severity, Violation
from .render import render_json, render_markdown, render_text, report_dict
from .sarif import render_sarif, sarif_log

__all__ = [
    "DEFAULT_POLICY",
    "ComponentRef",
    "FailOn",
    "Policy",
    "PolicyReport",
    "Severity",
    "Violation",
    "evaluate",
    "load_policy",
    "policy_schema",
    "render_json",
    "render_markdown",
    "render_sarif",
    "render_text",
    "report_dict",
    "sarif_log",
]
