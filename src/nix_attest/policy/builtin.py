"""The built-in rules: licences, denied packages, required fields, sources, reproducibility, closure size.

Each check takes its section of the policy and the components, and yields unwaived violations.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

from ..sbom.model import Component, Sbom
from .cel_rules import Scope
from .config import ClosureRules, LicenseRules, PackageDeny, Policy, ReproMode, RequiredField, SourceRules
from .licenses import LicenseJudge
from .model import ComponentRef, Severity, Violation
from .patterns import glob_match, purl_matches
from .view import license_expression


def component_ref(c: Component) -> ComponentRef:
    return ComponentRef(bom_ref=c.ref, name=c.name, version=c.version, purl=c.purl)


def in_scope(c: Component, scope: Scope, root: Component) -> bool:
    if scope == "all" or c is root:
        return True
    return scope in c.closures


def _label(c: Component) -> str:
    return f"{c.name}-{c.version}" if c.version else c.name


def check_licenses(
    rules: LicenseRules, components: Sequence[Component], root: Component
) -> Iterator[Violation]:
    judge = LicenseJudge(rules.allow, rules.deny)
    for c in components:
        if not in_scope(c, rules.scope, root):
            continue
        text = license_expression(c)
        verdict = judge.judge((text,) if text else ())
        if verdict.ok:
            continue
        shown = text or "none"
        culprits = ", ".join(verdict.culprits)
        if verdict.status == "unknown":
            if rules.unknown == "allow":
                continue
            severity: Severity = "error" if rules.unknown == "fail" else "warning"
            yield Violation(
                "licenses.unknown",
                severity,
                f"{_label(c)}: licence {shown!r} is not a known SPDX licence ({culprits})",
                component_ref(c),
            )
        elif verdict.status == "denied":
            yield Violation(
                "licenses.deny",
                "error",
                f"{_label(c)}: licence {shown!r} is denied ({culprits})",
                component_ref(c),
            )
        else:
            yield Violation(
                "licenses.not-allowed",
                "error",
                f"{_label(c)}: licence {shown!r} is not on the allow list ({culprits})",
                component_ref(c),
            )


def _denied(entry: PackageDeny, c: Component) -> bool:
    if entry.pattern.startswith("pkg:"):
        hit = purl_matches(c.purl, entry.pattern)
    else:
        hit = glob_match(c.name, entry.pattern)
    return hit and entry.versions.contains(c.version)


def check_packages(denies: Sequence[PackageDeny], components: Sequence[Component]) -> Iterator[Violation]:
    for c in components:
        for entry in denies:
            if _denied(entry, c):
                why = f": {entry.reason}" if entry.reason else ""
                yield Violation(
                    "packages.deny",
                    entry.severity,
                    f"{_label(c)} is denied by '{entry.describe()}'{why}",
                    component_ref(c),
                )
                break


def _has(c: Component, name: str) -> bool:
    if name == "purl":
        return bool(c.purl)
    if name == "version":
        return bool(c.version)
    if name == "license":
        return license_expression(c) is not None
    if name == "hashes":
        return bool(c.hashes)
    if name == "nar-hash":
        return bool(c.nar_hash)
    if name == "nar-size":
        return c.nar_size is not None
    if name == "metadata":
        return c.metadata_found
    return bool(getattr(c, name))  # description, homepage, cpe


def check_required(
    fields: Sequence[RequiredField], components: Sequence[Component], root: Component
) -> Iterator[Violation]:
    for c in components:
        for f in fields:
            if in_scope(c, f.scope, root) and not _has(c, f.field):
                yield Violation(
                    f"required.{f.field}",
                    "error",
                    f"{_label(c)} has no {f.field} (required for {f.scope} components)",
                    component_ref(c),
                )


def check_sources(rules: SourceRules, components: Sequence[Component]) -> Iterator[Violation]:
    for c in components:
        fo = c.fixed_output
        if fo is None:
            continue
        ref = component_ref(c)
        if rules.require_hash and not fo.hash_hex:
            yield Violation("sources.hash", "error", f"fixed-output source {_label(c)} declares no hash", ref)
        elif fo.algo.lower() in rules.weak_hashes:
            yield Violation(
                "sources.weak-hash", "error", f"fixed-output source {_label(c)} uses weak hash {fo.algo}", ref
            )
        for url in fo.urls:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if rules.allowed_schemes is not None and scheme not in rules.allowed_schemes:
                yield Violation(
                    "sources.scheme",
                    "error",
                    f"{_label(c)} is fetched over {scheme or 'no scheme'}: {url}",
                    ref,
                )
            host = (parts.hostname or "").lower()
            if rules.allowed_hosts is not None and not any(glob_match(host, h) for h in rules.allowed_hosts):
                yield Violation(
                    "sources.host", "error", f"{_label(c)} is fetched from a host not allowed: {url}", ref
                )


def check_reproducible(mode: ReproMode, sbom: Sbom, components: Sequence[Component]) -> Iterator[Violation]:
    if mode == "ignore":
        return
    severity: Severity = "error" if mode == "required" else "warning"
    by_path = {c.store_path: c for c in components}
    reported: set[str] = set()
    checked = sbom.meta.reproducibility is not None
    for check in sbom.meta.reproducibility or ():
        if check.reproducible:
            continue
        c = by_path.get(check.path)
        detail = f": {check.detail}" if check.detail else ""
        ref = component_ref(c) if c else None
        reported.add(check.path)
        yield Violation("reproducible", severity, f"{check.path} did not rebuild bit for bit{detail}", ref)
    for c in components:
        if c.reproducible is not None:
            checked = True
        if c.reproducible is False and c.store_path not in reported:
            yield Violation(
                "reproducible", severity, f"{_label(c)} did not rebuild bit for bit", component_ref(c)
            )
    if not checked:
        yield Violation(
            "reproducible.unchecked",
            "error" if mode == "required" else "note",
            "the SBOM has no rebuild check result (build with the reproducibility check enabled)",
        )


def check_closure(rules: ClosureRules, sbom: Sbom) -> Iterator[Violation]:
    count = len(sbom.components)
    if rules.max_components is not None and count > rules.max_components:
        yield Violation(
            "closure.max-components",
            "error",
            f"{count} components exceed the maximum of {rules.max_components}",
        )
    if rules.max_runtime_bytes is not None:
        size = sbom.runtime_closure_size()
        if size is None:
            yield Violation(
                "closure.size-unknown",
                "warning",
                "runtime closure size unknown: some components lack a NAR size",
            )
        elif size > rules.max_runtime_bytes:
            yield Violation(
                "closure.max-runtime-bytes",
                "error",
                f"runtime closure is {size} bytes, over the maximum of {rules.max_runtime_bytes}",
            )


def builtin_violations(policy: Policy, sbom: Sbom, components: Sequence[Component]) -> Iterator[Violation]:
    if policy.licenses is not None:
        yield from check_licenses(policy.licenses, components, sbom.root)
    if policy.package_deny:
        yield from check_packages(policy.package_deny, components)
    if policy.required:
        yield from check_required(policy.required, components, sbom.root)
    if policy.sources is not None:
        yield from check_sources(policy.sources, components)
    yield from check_reproducible(policy.reproducible, sbom, components)
    if policy.closure is not None:
        yield from check_closure(policy.closure, sbom)
