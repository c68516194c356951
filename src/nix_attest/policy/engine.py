"""Evaluating a policy over an SBOM: built-in rules, CEL rules, Nickel rules, then waivers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from ..sandbox import Limits
from ..sbom.model import Component, Sbom
from ..vuln.model import Finding
from ..vuln.waivers import waiver_matches_finding
from .builtin import builtin_violations, component_ref, in_scope
from .cel_rules import CelEvaluator, Scope, render_message
from .config import Policy
from .model import PolicyReport, Violation
from .nickel_rules import NickelChecker, NickelPolicy
from .view import component_view, sbom_view
from .vulnerabilities import vulnerability_violations
from .waivers import apply_waivers

_SEVERITY_ORDER = {"error": 0, "warning": 1, "note": 2}


def all_components(sbom: Sbom) -> list[Component]:
    """The root and every component, once each."""
    seen = {sbom.root.ref}
    out = [sbom.root]
    for c in sbom.components:
        if c.ref not in seen:
            seen.add(c.ref)
            out.append(c)
    return out


def _sort_key(v: Violation) -> tuple[int, str, str, str]:
    ref = v.component.bom_ref if v.component else ""
    return (_SEVERITY_ORDER[v.severity], v.rule, ref, v.message)


def _cel_violations(
    policy: Policy, sbom: Sbom, components: list[Component], views: list[dict[str, Any]], now: dt.datetime
) -> Iterator[Violation]:
    evaluator = CelEvaluator(policy.rules)
    root = sbom.root

    def scoped(i: int, scope: Scope) -> bool:
        return in_scope(components[i], scope, root)

    outcomes = evaluator.evaluate(
        views, scoped, sbom_view(sbom), lambda: sbom_view(sbom, views), now, policy.budgets.cel, policy.path
    )
    for out in outcomes:
        rule = out.rule
        if out.index >= 0:
            c = components[out.index]
            message = render_message(rule.message, views[out.index])
            if out.error is None:
                yield Violation(rule.id, rule.severity, message, component_ref(c))
            else:
                yield Violation(
                    rule.id,
                    "error",
                    f"{message} (rule could not be evaluated: {out.error})",
                    component_ref(c),
                )
        elif out.error is None:
            yield Violation(rule.id, rule.severity, rule.message)
        else:
            yield Violation(rule.id, "error", f"{rule.message} (rule could not be evaluated: {out.error})")


def _nickel_violations(
    nickel: NickelPolicy, components: list[Component], views: list[dict[str, Any]], limits: Limits
) -> Iterator[Violation]:
    checker = NickelChecker(nickel, limits=limits)
    severities = nickel.severities
    for finding in checker.check(views):
        c = components[finding.index]
        notes = f" ({'; '.join(finding.notes)})" if finding.notes else ""
        yield Violation(
            finding.rule,
            severities.get(finding.rule, "error"),
            f"{c.name}: {finding.message}{notes}",
            component_ref(c),
        )


def evaluate(
    policy: Policy,
    sbom: Sbom,
    now: dt.datetime | None = None,
    *,
    vulnerabilities: Sequence[Finding] | None = None,
) -> PolicyReport:
    """Check ``sbom`` against ``policy``; ``now`` (UTC) decides waiver expiry and is CEL's ``now``.
    ``vulnerabilities``: the findings the SBOM carries (None: it was not scanned)."""
    moment = now or dt.datetime.now(dt.timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    components = all_components(sbom)
    found = list(builtin_violations(policy, sbom, components))
    if policy.rules or policy.nickel is not None:
        views = [component_view(c) for c in components]
        found.extend(_cel_violations(policy, sbom, components, views, moment))
        if policy.nickel is not None:
            found.extend(_nickel_violations(policy.nickel, components, views, policy.budgets.nickel))
    if policy.vulnerabilities is not None:
        found.extend(vulnerability_violations(policy.vulnerabilities, vulnerabilities))
    if vulnerabilities is None:  # not scanned: a vulnerability waiver can be neither used nor unused
        vex_used = [w for w in policy.waivers if w.vulnerability is not None]
    else:
        vex_used = [w for w in policy.waivers if any(waiver_matches_finding(w, f) for f in vulnerabilities)]
    final = apply_waivers(
        found, policy.waivers, moment.astimezone(dt.timezone.utc).date(), used_elsewhere=vex_used
    )
    final.sort(key=_sort_key)
    return PolicyReport(policy.path, tuple(final), policy.fail_on, len(components))
