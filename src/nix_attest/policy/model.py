"""Records produced by the policy engine and consumed by reports (text, JSON, SARIF, Markdown)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Severity = Literal["error", "warning", "note"]
FailOn = Literal["error", "warning", "never"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)  # most severe first
FAIL_ON_LEVELS: tuple[FailOn, ...] = get_args(FailOn)


@dataclass(frozen=True, slots=True)
class ComponentRef:
    """The component a violation is about (absent for SBOM-wide rules)."""

    bom_ref: str
    name: str
    version: str | None = None
    purl: str | None = None


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str  # rule id, e.g. "licenses.deny", "packages.deny", or a custom rule id
    severity: Severity
    message: str
    component: ComponentRef | None = None
    waived_by: str | None = None  # the waiver's reason/id when waived
    advisories: tuple[str, ...] = ()  # vulnerability violations: the advisory id and its aliases

    @property
    def waived(self) -> bool:
        return self.waived_by is not None


@dataclass(frozen=True, slots=True)
class PolicyReport:
    policy_path: str | None
    violations: tuple[Violation, ...]  # sorted: severity, rule, component ref
    fail_on: FailOn = "error"
    checked_components: int = 0

    @property
    def active(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if not v.waived)

    @property
    def failed(self) -> bool:
        if self.fail_on == "never":
            return False
        levels = ("error",) if self.fail_on == "error" else ("error", "warning")
        return any(v.severity in levels for v in self.active)

    @property
    def verdict(self) -> Literal["pass", "fail"]:
        return "fail" if self.failed else "pass"
