"""Custom CEL rules: per component and per SBOM, helpers, runtime errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from nix_attest.policy import Policy, evaluate

from .conftest import NOW, comp, make_sbom

Write = Callable[[str], Policy]


def test_component_rule_with_message_placeholders(write_policy: Write) -> None:
    policy = write_policy(
        "rules:\n"
        "  - id: no-pre\n"
        "    expr: '!component.version.contains(\"rc\")'\n"
        "    message: '{name} {version} is a release candidate'\n"
        "    severity: warning\n"
    )
    report = evaluate(policy, make_sbom([comp("a", "1.0"), comp("b", "2.0rc1")]), NOW)
    assert [(v.rule, v.severity, v.message) for v in report.active] == [
        ("no-pre", "warning", "b 2.0rc1 is a release candidate")
    ]


def test_helpers(write_policy: Write) -> None:
    policy = write_policy(
        "rules:\n"
        "  - id: lic\n"
        "    expr: component.license == null || spdx_allows(component.license, ['MIT', 'Apache-2.0'])\n"
        "    message: licence\n"
        "  - id: ssl\n"
        "    expr: >-\n"
        "      !(purl_matches(component.purl, 'pkg:nix/openssl')\n"
        "      && version_in(component.version, '< 3'))\n"
        "    message: old ssl\n"
        "  - id: cmp\n"
        "    expr: component.version == null || version_compare(component.version, '100') < 0\n"
        "    message: huge version\n"
    )
    sbom = make_sbom(
        [
            comp("ok", license="MIT OR GPL-3.0-only"),
            comp("gpl", license="GPL-3.0-only"),
            comp("openssl", "1.1.1w"),
            comp("big", "100.1"),
            comp("nover", None, license=None),
        ]
    )
    report = evaluate(policy, sbom, NOW)
    assert sorted((v.rule, v.component.name if v.component else "") for v in report.active) == [
        ("cmp", "big"),
        ("lic", "gpl"),
        ("ssl", "openssl"),
    ]


def test_sbom_rule_and_summary_variables(write_policy: Write) -> None:
    policy = write_policy(
        "rules:\n"
        "  - id: few\n"
        "    per: sbom\n"
        "    expr: size(sbom.components) <= 2 && sbom.components.all(c, c.name != 'evil')\n"
        "    message: too many or evil\n"
        "  - id: summary\n"
        "    expr: sbom.component_count < 3 || component.name != 'evil'\n"
        "    message: evil in a big sbom\n"
    )
    report = evaluate(policy, make_sbom([comp("a"), comp("b"), comp("evil")]), NOW)
    assert sorted(v.rule for v in report.active) == ["few", "summary"]
    few = next(v for v in report.active if v.rule == "few")
    assert few.component is None


def test_now_is_a_timestamp(write_policy: Write) -> None:
    policy = write_policy(
        "rules:\n"
        "  - id: deadline\n"
        "    per: sbom\n"
        "    expr: now < timestamp('2026-03-01T00:00:00Z')\n"
        "    message: migration deadline passed\n"
    )
    sbom = make_sbom([comp("a")])
    assert evaluate(policy, sbom, dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc)).active == ()
    assert [v.rule for v in evaluate(policy, sbom, NOW).active] == ["deadline"]


def test_scope_filters_components(write_policy: Write) -> None:
    policy = write_policy(
        "rules:\n  - {id: named, scope: buildtime, expr: 'component.name != \"cc\"', message: m}\n"
    )
    sbom = make_sbom([comp("cc", closures=("buildtime",)), comp("cc2", closures=("runtime",))])
    runtime_cc = make_sbom([comp("cc", closures=("runtime",))])
    assert [v.component.name for v in evaluate(policy, sbom, NOW).active if v.component] == ["cc"]
    assert evaluate(policy, runtime_cc, NOW).active == ()


def test_runtime_error_is_reported_not_raised(write_policy: Write) -> None:
    policy = write_policy(
        "rules:\n"
        "  - {id: missing-field, expr: 'component.no_such_field == 1', message: m, severity: warning}\n"
        "  - {id: not-bool, expr: 'component.name', message: m2}\n"
    )
    report = evaluate(policy, make_sbom([comp("a")]), NOW)
    by_rule = {(v.rule, v.component.name if v.component else None): v for v in report.active}
    assert len(report.active) == 4  # two rules x (root + a)
    err = by_rule[("missing-field", "a")]
    assert err.severity == "error"  # fail closed: a rule that cannot run is an error
    assert "could not be evaluated" in err.message and "no_such_field" in err.message
    assert "expected a bool, got str" in by_rule[("not-bool", "a")].message


def test_null_fields_are_null(write_policy: Write) -> None:
    policy = write_policy(
        "rules:\n  - {id: has-purl, expr: 'component.purl != null', message: '{name} has no purl'}\n"
    )
    report = evaluate(policy, make_sbom([comp("bare", purl=False)]), NOW)
    assert [v.message for v in report.active] == ["bare has no purl"]


def test_stdlib_functions_available(write_policy: Write) -> None:
    policy = write_policy(
        "rules:\n  - {id: low, expr: 'component.name.lowerAscii() == component.name', message: m}\n"
    )
    report = evaluate(policy, make_sbom([comp("Upper"), comp("lower")]), NOW)
    assert [v.component.name for v in report.active if v.component] == ["Upper"]


def test_whole_component_and_field_rules_together(write_policy: Write) -> None:
    # one rule reads the component whole (all fields must be present), the other one field
    policy = write_policy(
        "rules:\n"
        "  - {id: whole, expr: \"'homepage' in component && size(component) > 10\", message: m}\n"
        "  - {id: field, expr: 'component.name != \"x\"', message: m}\n"
        "  - {id: has, expr: 'has(component.cpe) && component.cpe == null', message: m}\n"
    )
    report = evaluate(policy, make_sbom([comp("x"), comp("y")]), NOW)
    assert [(v.rule, v.component.name if v.component else "") for v in report.active] == [("field", "x")]


def test_fields_read_by_an_expression() -> None:
    from nix_attest.policy.cel_rules import _fields

    assert _fields("component.name == 'a' && component . version != null") == frozenset({"name", "version"})
    assert _fields("size(component) > 1 && component.name == 'a'") is None
    assert _fields("sbom.component_count > 1") == frozenset()
