"""Policy violations that are new relative to the base (matched by rule, component name and severity)."""

from __future__ import annotations

from ..policy.model import PolicyReport, Violation


def _key(v: Violation) -> tuple[str, str, str]:
    return (v.rule, v.severity, v.component.name if v.component else "")


def new_violations(base: PolicyReport, head: PolicyReport) -> tuple[Violation, ...]:
    """Active head violations with no active counterpart in the base."""
    known = {_key(v) for v in base.active}
    return tuple(v for v in head.active if _key(v) not in known)
