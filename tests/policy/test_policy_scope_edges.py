"""Edges that deliberate mutations of waivers.py and builtin.py showed untested: a waiver for a component
never waives a finding that has no component, and the root is in scope for every closure scope."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from nix_attest.policy import Policy, evaluate

from .conftest import NOW, comp, make_sbom

Write = Callable[[str], Policy]


def test_a_component_waiver_does_not_waive_an_sbom_wide_finding(write_policy: Write) -> None:
    policy = write_policy(
        "closure: {max-components: 0}\n"
        "waivers:\n  - {rule: 'closure.*', component: zlib, reason: only zlib}\n"
    )
    report = evaluate(policy, make_sbom([comp("zlib"), comp("openssl")]), NOW)
    assert [(v.rule, v.waived_by) for v in report.violations if v.rule.startswith("closure.")] == [
        ("closure.max-components", None)
    ]
    assert report.failed
    assert [v.rule for v in report.active if v.rule.startswith("waiver.")] == ["waiver.unused"]


@pytest.mark.parametrize("scope", ["runtime", "buildtime"])
def test_the_root_is_in_every_scope(scope: str, write_policy: Write) -> None:
    root = comp("app", "2.0", license="GPL-3.0-only", closures=())  # the root lists no closure of its own
    policy = write_policy(f"licenses: {{deny: [GPL-3.0-only], scope: {scope}}}\n")
    report = evaluate(policy, make_sbom([comp("dep", closures=("runtime",))], root=root), NOW)
    assert [(v.rule, v.component.name if v.component else None) for v in report.active] == [
        ("licenses.deny", "app")
    ]


def test_scope_still_excludes_other_closures(write_policy: Write) -> None:
    policy = write_policy("licenses: {deny: [GPL-3.0-only], scope: runtime}\n")
    sbom = make_sbom([comp("tool", license="GPL-3.0-only", closures=("buildtime",))])
    assert evaluate(policy, sbom, NOW).active == ()


def test_a_rule_named_like_a_waiver_finding_is_not_waived(write_policy: Write) -> None:
    policy = write_policy(
        "rules:\n  - {id: waiver.custom, expr: 'component.name != \"a\"', message: 'no {name}'}\n"
        "waivers:\n  - {rule: '*', reason: everything}\n"
    )
    report = evaluate(policy, make_sbom([comp("a")]), NOW)
    assert [(v.rule, v.waived_by) for v in report.violations if v.rule == "waiver.custom"] == [
        ("waiver.custom", None)
    ]


def test_waiver_findings_name_the_waiver(write_policy: Write) -> None:
    policy = write_policy(
        "waivers:\n"
        "  - {id: W1, rule: licenses.deny, component: zlib, reason: r, expires: 2026-01-01}\n"
        "  - {rule: 'closure.*', reason: r}\n"
    )
    report = evaluate(policy, make_sbom([comp("a")]), NOW)
    assert sorted(v.message for v in report.active) == [
        "waiver (closure.*) matched no violation",
        "waiver W1 (licenses.deny for zlib) expired on 2026-01-01 and no longer waives anything",
    ]


def _findings(policy: Policy, sbom: object) -> list[tuple[str, str, str]]:
    return [(v.rule, v.severity, v.message) for v in evaluate(policy, sbom, NOW).violations]  # type: ignore[arg-type]


def test_runtime_size_limit_is_inclusive(write_policy: Write) -> None:
    sbom = make_sbom(
        [comp("a", nar_size=600), comp("b", nar_size=400)], root=comp("app", "2.0", closures=(), nar_size=0)
    )
    size = sbom.runtime_closure_size()
    assert size is not None
    assert _findings(write_policy(f"closure: {{max-runtime-bytes: {size}}}\n"), sbom) == []
    assert _findings(write_policy(f"closure: {{max-runtime-bytes: {size - 1}}}\n"), sbom) == [
        (
            "closure.max-runtime-bytes",
            "error",
            f"runtime closure is {size} bytes, over the maximum of {size - 1}",
        )
    ]


@pytest.mark.parametrize(("mode", "severity"), [("required", "error"), ("warn", "note")])
def test_an_sbom_without_a_rebuild_check(mode: str, severity: str, write_policy: Write) -> None:
    assert _findings(write_policy(f"reproducible: {mode}\n"), make_sbom([comp("a")])) == [
        (
            "reproducible.unchecked",
            severity,
            "the SBOM has no rebuild check result (build with the reproducibility check enabled)",
        )
    ]
