"""The policy's ``vulnerabilities:`` section over the findings an SBOM carries (a VDR from ``scan``/``run``).

Only what a derivation's patch resolves (``resolved_with_pedigree``, ``resolved``) is taken from the
document as settled; every other finding is judged by this policy, and its waivers (by advisory id)
decide what is accepted, with the usual expiry and unused-waiver reporting."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..vuln.model import Finding, at_or_above
from .config import VulnerabilityRules
from .model import ComponentRef, Severity, Violation

SETTLED = ("resolved_with_pedigree", "resolved")


def _message(f: Finding) -> str:
    score = f" {f.advisory.score:.1f}" if f.advisory.score is not None else ""
    version = f" {f.version}" if f.version else ""
    kev = ", known exploited" if f.advisory.known_exploited else ""
    return f"{f.id} ({f.severity}{score}{kev}) in {f.name}{version}, matched by {f.method} ({f.confidence})"


def vulnerability_violations(
    rules: VulnerabilityRules, findings: Sequence[Finding] | None
) -> Iterator[Violation]:
    if findings is None:
        yield Violation(
            "vulnerabilities.unscanned",
            "note",
            "the policy has a vulnerabilities section but the SBOM carries no scan result "
            "(check the VDR of 'nix-attest scan --format cyclonedx', or let 'run' scan)",
        )
        return
    for f in findings:
        if f.analysis is not None and f.analysis.state in SETTLED:
            continue
        if rules.ignore_low_confidence and f.confidence == "low":
            continue
        if rules.scope != "all" and rules.scope not in f.closures:
            continue
        who = ComponentRef(f.ref, f.name, f.version, f.purl)
        if at_or_above(f.severity, rules.fail_on):
            yield Violation("vulnerabilities.severity", "error", _message(f), who, advisories=f.advisory.ids)
        if f.advisory.known_exploited and rules.known_exploited != "ignore":
            level: Severity = "error" if rules.known_exploited == "fail" else "warning"
            yield Violation(
                "vulnerabilities.known-exploited", level, _message(f), who, advisories=f.advisory.ids
            )
