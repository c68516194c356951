"""Every built-in rule type, through load_policy + evaluate."""

from __future__ import annotations

from collections.abc import Callable

from nix_attest.policy import Policy, PolicyReport, evaluate
from nix_attest.sbom.model import Hash, OutputCheck

from .conftest import NOW, comp, fod, make_sbom

Write = Callable[[str], Policy]


def rules_of(report: PolicyReport) -> list[tuple[str, str | None]]:
    return [(v.rule, v.component.name if v.component else None) for v in report.active]


def test_licenses_deny_allow_unknown(write_policy: Write) -> None:
    policy = write_policy(
        "licenses:\n  allow: [MIT, Apache-2.0, GPL-3.0-only]\n  deny: [GPL-3.0-only]\n  unknown: fail\n"
    )
    sbom = make_sbom(
        [
            comp("dual", license="MIT OR GPL-3.0-only"),
            comp("gpl", license="GPL-3.0-only"),
            comp("bsd", license="BSD-3-Clause"),
            comp("odd", license="Weird-License"),
            comp("none", license=None),
        ]
    )
    report = evaluate(policy, sbom, NOW)
    assert sorted(rules_of(report)) == [
        ("licenses.deny", "gpl"),
        ("licenses.not-allowed", "bsd"),
        ("licenses.unknown", "none"),
        ("licenses.unknown", "odd"),
    ]
    assert all(v.severity == "error" for v in report.active)
    assert report.failed


def test_licenses_unknown_warn_and_allow(write_policy: Write) -> None:
    sbom = make_sbom([comp("odd", license="Weird-License")])
    warn = evaluate(write_policy("licenses: {deny: [GPL-3.0-only], unknown: warn}\n"), sbom, NOW)
    assert [(v.rule, v.severity) for v in warn.active] == [("licenses.unknown", "warning")]
    assert not warn.failed
    allow = evaluate(write_policy("licenses: {deny: [GPL-3.0-only], unknown: allow}\n"), sbom, NOW)
    assert allow.active == ()


def test_licenses_scope_runtime_skips_build_tools(write_policy: Write) -> None:
    policy = write_policy("licenses: {deny: [GPL-3.0-only], scope: runtime}\n")
    sbom = make_sbom([comp("gcc", license="GPL-3.0-only", closures=("buildtime",))])
    assert evaluate(policy, sbom, NOW).active == ()


def test_packages_deny_by_name_purl_and_range(write_policy: Write) -> None:
    policy = write_policy(
        "packages:\n"
        "  deny:\n"
        "    - openssl < 3.0.13\n"
        "    - {purl: 'pkg:nix/xz*', version: '>= 5.6.0, < 5.6.2', reason: backdoor, severity: warning}\n"
        "    - leftpad\n"
    )
    sbom = make_sbom(
        [
            comp("openssl", "3.0.12"),
            comp("openssl", "3.0.13", store_path="/nix/store/" + "b" * 32 + "-openssl-3.0.13"),
            comp("xz", "5.6.1"),
            comp("xz", "5.4.6", store_path="/nix/store/" + "c" * 32 + "-xz-5.4.6"),
            comp("leftpad", None),
        ]
    )
    report = evaluate(policy, sbom, NOW)
    found = {(v.rule, v.component.version if v.component else None, v.severity) for v in report.active}
    assert found == {
        ("packages.deny", "3.0.12", "error"),
        ("packages.deny", "5.6.1", "warning"),
        ("packages.deny", None, "error"),
    }
    xz = next(v for v in report.active if v.component and v.component.name == "xz")
    assert "backdoor" in xz.message and xz.component is not None and xz.component.purl == "pkg:nix/xz@5.6.1"


def test_required_fields_by_scope(write_policy: Write) -> None:
    policy = write_policy("required:\n  runtime: [purl, license, hashes]\n  buildtime: [version]\n")
    sbom = make_sbom(
        [
            comp("good"),
            comp("bare", license=None, purl=False, hashes=()),
            comp("tool", None, closures=("buildtime",), purl=False),  # no purl needed at build time
        ]
    )
    report = evaluate(policy, sbom, NOW)
    assert sorted(rules_of(report)) == [
        ("required.hashes", "bare"),
        ("required.license", "bare"),
        ("required.purl", "bare"),
        ("required.version", "tool"),
    ]


def test_sources_hash_scheme_host(write_policy: Write) -> None:
    policy = write_policy(
        "sources:\n  allowed-schemes: [https, mirror]\n  allowed-hosts: ['*.gnu.org', github.com, gnu]\n"
    )
    sbom = make_sbom(
        [
            fod("ok", "https://ftp.gnu.org/gnu/hello/hello-2.12.tar.gz"),
            fod("mirror", "mirror://gnu/hello/hello-2.12.tar.gz"),
            fod("plain", "http://ftp.gnu.org/x.tar.gz"),
            fod("elsewhere", "https://evil.example/x.tar.gz"),
            fod("nohash", "https://github.com/a/b.tar.gz", hash_hex=""),
            fod("md5", "https://github.com/a/c.tar.gz", algo="md5"),
            comp("not-a-source"),
        ]
    )
    report = evaluate(policy, sbom, NOW)
    assert sorted(rules_of(report)) == [
        ("sources.hash", "nohash-src"),
        ("sources.host", "elsewhere-src"),
        ("sources.scheme", "plain-src"),
        ("sources.weak-hash", "md5-src"),
    ]


def test_sources_hash_check_can_be_relaxed(write_policy: Write) -> None:
    policy = write_policy("sources: {require-hash: false, weak-hashes: []}\n")
    sbom = make_sbom([fod("nohash", "https://x/y", hash_hex=""), fod("md5", "https://x/z", algo="md5")])
    assert evaluate(policy, sbom, NOW).active == ()


def test_reproducible_required_and_warn(write_policy: Write) -> None:
    bad = comp("flaky")
    checks = (OutputCheck(bad.store_path, False, "differs in /bin/flaky"),)
    sbom = make_sbom([bad, comp("solid", reproducible=True)], reproducibility=checks)
    required = evaluate(write_policy("reproducible: required\n"), sbom, NOW)
    assert [(v.rule, v.severity) for v in required.active] == [("reproducible", "error")]
    assert "differs in /bin/flaky" in required.active[0].message
    assert required.active[0].component is not None and required.active[0].component.name == "flaky"
    warn = evaluate(write_policy("reproducible: warn\n"), sbom, NOW)
    assert [(v.rule, v.severity) for v in warn.active] == [("reproducible", "warning")]
    assert not warn.failed


def test_reproducible_component_flag_and_unchecked(write_policy: Write) -> None:
    policy = write_policy("reproducible: required\n")
    flagged = evaluate(policy, make_sbom([comp("flaky", reproducible=False)]), NOW)
    assert rules_of(flagged) == [("reproducible", "flaky")]
    unchecked = evaluate(policy, make_sbom([comp("a")]), NOW)
    assert [(v.rule, v.severity) for v in unchecked.active] == [("reproducible.unchecked", "error")]
    ignored = evaluate(
        write_policy("reproducible: ignore\n"), make_sbom([comp("a", reproducible=False)]), NOW
    )
    assert ignored.active == ()


def test_closure_limits(write_policy: Write) -> None:
    sbom = make_sbom([comp(f"c{i}", nar_size=1024 * 1024) for i in range(3)])
    over = evaluate(write_policy("closure: {max-components: 2, max-runtime-bytes: 2 MiB}\n"), sbom, NOW)
    assert sorted(rules_of(over)) == [("closure.max-components", None), ("closure.max-runtime-bytes", None)]
    ok = evaluate(write_policy("closure: {max-components: 3, max-runtime-bytes: 10000000}\n"), sbom, NOW)
    assert ok.active == ()
    unknown = make_sbom([comp("nosize", nar_size=None)])
    report = evaluate(write_policy("closure: {max-runtime-bytes: 1 GB}\n"), unknown, NOW)
    assert [(v.rule, v.severity) for v in report.active] == [("closure.size-unknown", "warning")]


def test_fail_on_thresholds(write_policy: Write) -> None:
    sbom = make_sbom([comp("odd", license="Weird")])
    base = "licenses: {unknown: warn}\n"
    assert not evaluate(write_policy(base + "fail-on: error\n"), sbom, NOW).failed
    assert evaluate(write_policy(base + "fail-on: warning\n"), sbom, NOW).failed
    never = evaluate(write_policy("licenses: {unknown: fail}\nfail-on: never\n"), sbom, NOW)
    assert never.active and not never.failed and never.verdict == "pass"


def test_violations_are_sorted_and_root_is_checked(write_policy: Write) -> None:
    policy = write_policy("licenses: {deny: [GPL-3.0-only], unknown: warn}\n")
    root = comp("app", "2.0", license="GPL-3.0-only", closures=())
    sbom = make_sbom([comp("z", license="Weird"), comp("a", license="GPL-3.0-only")], root=root)
    report = evaluate(policy, sbom, NOW)
    assert [(v.severity, v.rule, v.component.name if v.component else "") for v in report.violations] == [
        ("error", "licenses.deny", "a"),
        ("error", "licenses.deny", "app"),
        ("warning", "licenses.unknown", "z"),
    ]
    assert report.checked_components == 3


def test_empty_policy_passes(write_policy: Write) -> None:
    report = evaluate(write_policy(""), make_sbom([comp("a", hashes=(Hash("SHA-256", "00"),))]), NOW)
    assert report.violations == () and report.verdict == "pass"
