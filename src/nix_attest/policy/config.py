"""The policy as typed records, built from a schema-valid document (YAML or exported from Nickel)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal, cast

import jsonschema_rs

from ..errors import PolicyFileError
from ..sizes import parse_size
from .budgets import DEFAULT_BUDGETS, Budgets, read_budgets
from .cel_rules import CelCompileError, CelRule, Per, Scope, compile_rule
from .model import FailOn, Severity
from .nickel_rules import NickelPolicy
from .source import PathItem
from .versions import VersionRange, parse_range

UnknownMode = Literal["fail", "warn", "allow"]
ReproMode = Literal["required", "warn", "ignore"]

# (path in the document, problem) -> the error to raise; lets YAML name lines and Nickel name keys.
ErrorAt = Callable[[Sequence[PathItem], str], PolicyFileError]


@dataclass(frozen=True, slots=True)
class LicenseRules:
    allow: tuple[str, ...] | None = None
    deny: tuple[str, ...] = ()
    unknown: UnknownMode = "warn"
    scope: Scope = "all"


_ANY_VERSION = VersionRange()


@dataclass(frozen=True, slots=True)
class PackageDeny:
    pattern: str  # a name glob, or a purl glob when it starts with "pkg:"
    versions: VersionRange = _ANY_VERSION
    reason: str | None = None
    severity: Severity = "error"

    def describe(self) -> str:
        return f"{self.pattern} {self.versions}".strip()


@dataclass(frozen=True, slots=True)
class RequiredField:
    field: str
    scope: Scope


@dataclass(frozen=True, slots=True)
class SourceRules:
    require_hash: bool = True
    weak_hashes: frozenset[str] = frozenset({"md5", "sha1"})
    allowed_schemes: tuple[str, ...] | None = None
    allowed_hosts: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class ClosureRules:
    max_components: int | None = None
    max_runtime_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class Waiver:
    rule: str
    reason: str
    component: str | None = None
    expires: dt.date | None = None
    id: str | None = None
    vulnerability: str | None = None  # an advisory id: the waiver is a VEX statement about it
    state: str | None = None  # VEX analysis state (vulnerability waivers)
    justification: str | None = None  # VEX justification (vulnerability waivers)

    @property
    def label(self) -> str:
        return self.id or self.reason


VULNERABILITY_RULES = "vulnerabilities.*"
KnownExploitedMode = Literal["fail", "warn", "ignore"]


@dataclass(frozen=True, slots=True)
class VulnerabilityRules:
    fail_on: str = "high"  # critical | high | medium | low | never
    known_exploited: KnownExploitedMode = "fail"
    scope: Scope = "all"
    ignore_low_confidence: bool = False


@dataclass(frozen=True)
class Policy:
    path: str | None
    fail_on: FailOn = "error"
    licenses: LicenseRules | None = None
    package_deny: tuple[PackageDeny, ...] = ()
    required: tuple[RequiredField, ...] = ()
    sources: SourceRules | None = None
    reproducible: ReproMode = "ignore"
    closure: ClosureRules | None = None
    rules: tuple[CelRule, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    vulnerabilities: VulnerabilityRules | None = None
    nickel: NickelPolicy | None = None  # for .ncl policies
    budgets: Budgets = DEFAULT_BUDGETS


@lru_cache(maxsize=1)
def policy_schema() -> dict[str, Any]:
    """The published JSON Schema (``policy.schema.json`` in this package)."""
    text = resources.files("nix_attest.policy").joinpath("policy.schema.json").read_text(encoding="utf-8")
    return cast(dict[str, Any], json.loads(text))


@lru_cache(maxsize=1)
def _validator() -> Any:
    return jsonschema_rs.validator_for(policy_schema())


def validate_document(data: Any, error_at: ErrorAt) -> None:
    """Validate against the published JSON Schema; the deepest first error names its key."""
    errors = list(_validator().iter_errors(data))
    if not errors:
        return
    best = max(errors, key=lambda e: len(e.instance_path))
    path: list[PathItem] = list(best.instance_path)
    kind = type(best.kind).__name__
    if kind == "AdditionalProperties":
        extra = sorted(best.kind.unexpected)
        raise error_at([*path, extra[0]], f"unknown key {extra[0]!r}")
    message = str(best.message)
    if kind == "OneOfNotValid" and path[:2] == ["packages", "deny"]:
        message = "expected 'PATTERN [CONSTRAINTS]' or a mapping with name or purl (one), version, reason"
    elif kind == "OneOfNotValid" and (path == ["closure", "max-runtime-bytes"] or path[:1] == ["budgets"]):
        message = "expected a byte count or a size such as '2 GiB'"
    elif kind in ("OneOfNotValid", "OneOfMultipleValid") and path[:1] == ["waivers"] and len(path) == 2:
        message = "a waiver names either a rule or a vulnerability (exactly one of them)"
    raise error_at(path, message if len(message) <= 200 else message[:197] + "...")


def _package_deny(item: str | Mapping[str, Any]) -> PackageDeny:
    if isinstance(item, str):
        pattern, _, constraints = item.strip().partition(" ")
        return PackageDeny(pattern, parse_range(constraints.strip()))
    pattern = str(item.get("purl") or item.get("name"))
    return PackageDeny(
        pattern,
        parse_range(str(item.get("version", ""))),
        item.get("reason"),
        item.get("severity", "error"),
    )


def _vulnerability_rules(section: Mapping[str, Any] | None) -> VulnerabilityRules | None:
    if section is None:
        return None
    return VulnerabilityRules(
        fail_on=section.get("fail-on", "high"),
        known_exploited=section.get("known-exploited", "fail"),
        scope=section.get("scope", "all"),
        ignore_low_confidence=bool(section.get("ignore-low-confidence", False)),
    )


def build_policy(data: Mapping[str, Any], path: str | None, error_at: ErrorAt) -> Policy:
    """Records from a schema-valid mapping; CEL rules are compiled here, before anything is evaluated."""
    validate_document(data, error_at)
    lic = data.get("licenses")
    licenses = None
    if lic is not None:
        allow = lic.get("allow")
        licenses = LicenseRules(
            tuple(allow) if allow is not None else None,
            tuple(lic.get("deny", ())),
            lic.get("unknown", "warn"),
            lic.get("scope", "all"),
        )
    denies = []
    for i, item in enumerate(data.get("packages", {}).get("deny", ())):
        try:
            denies.append(_package_deny(item))
        except ValueError as exc:
            where: list[PathItem] = ["packages", "deny", i]
            if isinstance(item, dict):
                where.append("version")
            raise error_at(where, str(exc)) from exc
    required = tuple(
        RequiredField(name, cast(Scope, scope))
        for scope, names in data.get("required", {}).items()
        for name in names
    )
    src = data.get("sources")
    sources = None
    if src is not None:
        schemes = src.get("allowed-schemes")
        hosts = src.get("allowed-hosts")
        sources = SourceRules(
            src.get("require-hash", True),
            frozenset(src.get("weak-hashes", ("md5", "sha1"))),
            tuple(schemes) if schemes is not None else None,
            tuple(h.lower() for h in hosts) if hosts is not None else None,
        )
    clo = data.get("closure")
    closure = None
    if clo is not None:
        size = clo.get("max-runtime-bytes")
        closure = ClosureRules(clo.get("max-components"), parse_size(size) if size is not None else None)
    rules = []
    seen: set[str] = set()
    for i, r in enumerate(data.get("rules", ())):
        if r["id"] in seen:
            raise error_at(["rules", i, "id"], f"duplicate rule id {r['id']!r}")
        seen.add(r["id"])
        try:
            rules.append(
                compile_rule(
                    r["id"],
                    r["expr"],
                    r["message"],
                    r.get("severity", "error"),
                    cast(Per, r.get("per", "component")),
                    cast(Scope, r.get("scope", "all")),
                )
            )
        except CelCompileError as exc:
            raise error_at(["rules", i, "expr"], f"CEL compile error in rule {r['id']!r}: {exc}") from exc
    waivers = []
    for i, w in enumerate(data.get("waivers", ())):
        expires = None
        if "expires" in w:
            try:
                expires = dt.date.fromisoformat(w["expires"])
            except ValueError as exc:
                raise error_at(["waivers", i, "expires"], f"not a date: {w['expires']!r}") from exc
        vuln = w.get("vulnerability")
        waivers.append(
            Waiver(
                w.get("rule") or VULNERABILITY_RULES,
                w["reason"],
                w.get("component"),
                expires,
                w.get("id"),
                vulnerability=vuln.upper() if vuln and vuln[:4].upper() == "CVE-" else vuln,
                state=w.get("state"),
                justification=w.get("justification"),
            )
        )
    return Policy(
        path=path,
        fail_on=data.get("fail-on", "error"),
        licenses=licenses,
        package_deny=tuple(denies),
        required=required,
        sources=sources,
        reproducible=data.get("reproducible", "ignore"),
        closure=closure,
        rules=tuple(rules),
        waivers=tuple(waivers),
        vulnerabilities=_vulnerability_rules(data.get("vulnerabilities")),
        budgets=read_budgets(data.get("budgets"), parse_size, error_at),
    )
