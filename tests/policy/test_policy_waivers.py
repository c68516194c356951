from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from nix_attest.policy import Policy, evaluate

from .conftest import NOW, comp, make_sbom

Write = Callable[[str], Policy]

POLICY = """
licenses: {deny: [GPL-3.0-only]}
waivers:
  - {id: W-active, rule: licenses.deny, component: gpl-tool, reason: internal use only, expires: 2026-12-31}
  - {rule: licenses.deny, component: 'pkg:nix/old*', reason: replaced soon, expires: 2026-05-31}
  - {rule: 'packages.*', component: nothing-like-this, reason: leftover}
  - {rule: licenses.deny, component: 'gpl-last@1.*', reason: expires today, expires: 2026-06-01}
"""


def test_active_expired_and_unused_waivers(write_policy: Write) -> None:
    policy = write_policy(POLICY)
    sbom = make_sbom(
        [
            comp("gpl-tool", license="GPL-3.0-only"),
            comp("oldlib", license="GPL-3.0-only"),
            comp("gpl-last", "1.2", license="GPL-3.0-only"),
        ]
    )
    report = evaluate(policy, sbom, NOW)  # NOW is 2026-06-01
    waived = {v.component.name: v.waived_by for v in report.violations if v.waived and v.component}
    assert waived == {"gpl-tool": "W-active", "gpl-last": "expires today"}
    active = [(v.rule, v.severity, v.component.name if v.component else None) for v in report.active]
    assert ("licenses.deny", "error", "oldlib") in active  # the expired waiver no longer waives
    expired = [v for v in report.active if v.rule == "waiver.expired"]
    unused = [v for v in report.active if v.rule == "waiver.unused"]
    assert len(expired) == 1 and "2026-05-31" in expired[0].message and expired[0].severity == "warning"
    assert len(unused) == 1 and "nothing-like-this" in unused[0].message and unused[0].severity == "warning"
    assert report.failed  # oldlib


def test_waiver_expiry_follows_now(write_policy: Write) -> None:
    policy = write_policy(POLICY)
    sbom = make_sbom([comp("oldlib", license="GPL-3.0-only")])
    earlier = evaluate(policy, sbom, dt.datetime(2026, 5, 1, tzinfo=dt.timezone.utc))
    assert [v.waived_by for v in earlier.violations if v.rule == "licenses.deny"] == ["replaced soon"]
    assert not earlier.failed


def test_waiver_without_component_covers_sbom_rules(write_policy: Write) -> None:
    policy = write_policy(
        "closure: {max-components: 0}\nwaivers:\n  - {rule: closure.max-components, reason: big app}\n"
    )
    report = evaluate(policy, make_sbom([comp("a")]), NOW)
    assert [(v.rule, v.waived_by) for v in report.violations] == [("closure.max-components", "big app")]
    assert report.active == () and not report.failed


def test_waivers_cannot_waive_waiver_findings(write_policy: Write) -> None:
    policy = write_policy(
        "waivers:\n  - {rule: '*', component: x, reason: all}\n  - {rule: '*', reason: all2}\n"
    )
    report = evaluate(policy, make_sbom([comp("a")]), NOW)
    assert sorted(v.rule for v in report.active) == ["waiver.unused", "waiver.unused"]


def test_waiver_matches_store_path(write_policy: Write) -> None:
    c = comp("gpl", license="GPL-3.0-only")
    policy = write_policy(
        "licenses: {deny: [GPL-3.0-only]}\n"
        f"waivers:\n  - {{rule: licenses.deny, component: '{c.ref}', reason: ok}}\n"
    )
    assert not evaluate(policy, make_sbom([c]), NOW).failed
