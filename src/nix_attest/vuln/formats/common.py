"""What several formats say the same way: a finding's state and counts by severity."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import SEVERITY_LEVELS, Finding


def state(f: Finding) -> str:
    """``affected``, ``resolved_with_pedigree`` (a patch) or ``waived (<VEX state>)``."""
    if f.analysis is None:
        return "affected"
    if f.waived:
        return f"waived ({f.analysis.state})"
    return f.analysis.state


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    out: dict[str, int] = dict.fromkeys(SEVERITY_LEVELS, 0)
    for f in findings:
        out[f.severity] += 1
    return out


def summary(findings: tuple[Finding, ...]) -> str:
    active = [f for f in findings if f.active]
    by = counts(active)
    parts = [f"{n} {s}" for s, n in by.items() if n]
    resolved = sum(1 for f in findings if f.resolved)
    waived = sum(1 for f in findings if f.waived)
    text = f"{len(active)} active finding(s)" + (f": {', '.join(parts)}" if parts else "")
    extra = [f"{resolved} fixed by patches"] if resolved else []
    extra += [f"{waived} waived"] if waived else []
    return text + (f" ({', '.join(extra)})" if extra else "")
