"""Waivers become VEX: the policy's vulnerability waivers as CycloneDX analysis in the VDR and a separate
VEX document (round trip), expiry turning a finding active again, and `check` over the VDR."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.nvd_data import DATA
from helpers.vuln_servers import FakeNvd, FakeOsv, fake_nvd, fake_osv  # noqa: F401  (fixtures)

from nix_attest.cli import main
from nix_attest.policy.config import VulnerabilityRules
from nix_attest.policy.vulnerabilities import vulnerability_violations
from nix_attest.sbom.cyclonedx import write_sbom
from nix_attest.sbom.model import Sbom
from nix_attest.sbom.read import from_document
from nix_attest.sbom.validate import reference_errors, schema_errors
from nix_attest.vuln.model import Advisory, Analysis, Finding, Rating
from nix_attest.vuln.read import findings_from_document

POLICY = """\
vulnerabilities:
  fail-on: high
waivers:
  - id: xz-backdoor-not-reachable
    vulnerability: CVE-2024-3094
    component: xz
    state: not_affected
    justification: code_not_reachable
    reason: the sshd integration is not built
    expires: "2099-01-01"
  - vulnerability: cve-2010-0748
    reason: reviewed in 2019
    expires: "2020-01-01"
  - vulnerability: CVE-2099-0001
    reason: nothing has it
"""


@pytest.fixture
def setup(
    vuln_sbom: Sbom,
    fake_nvd: FakeNvd,  # noqa: F811
    fake_osv: FakeOsv,  # noqa: F811
    tmp_path: Path,
) -> dict[str, Path | str]:
    sbom = tmp_path / "sbom.cdx.json"
    write_sbom(vuln_sbom, str(sbom))
    cache = tmp_path / "cache"
    assert main(["vulndb", "update", "--cache-dir", str(cache), "--nvd-url", fake_nvd.url]) == 0
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    return {"sbom": sbom, "cache": cache, "osv": fake_osv.url, "policy": policy, "dir": tmp_path}


def scan(s: dict[str, Path | str], *extra: str) -> int:
    return main(
        [
            "scan",
            str(s["sbom"]),
            "--cache-dir",
            str(s["cache"]),
            "--osv-url",
            str(s["osv"]),
            "--policy",
            str(s["policy"]),
            *extra,
        ]
    )


def test_waivers_become_vex_and_round_trip(
    setup: dict[str, Path | str], capsys: pytest.CaptureFixture[str]
) -> None:
    d = Path(setup["dir"])
    code = scan(setup, "--format", "cyclonedx", "-o", str(d / "vdr.json"), "--vex", str(d / "vex.json"))
    err = capsys.readouterr().err
    assert code == 1  # the regex crate (high) is still active; xz is waived
    assert "GHSA-m5pq-gvj9-9vr8" in err and "CVE-2024-3094" not in err.splitlines()[-1]
    assert "the waiver for CVE-2010-0748 expired on 2020-01-01: 1 finding(s) are active again" in err
    assert "the waiver for CVE-2099-0001 matched no finding" in err

    vex = json.loads((d / "vex.json").read_text())
    assert schema_errors(vex, "1.6") == []
    statements = {v["id"]: v for v in vex["vulnerabilities"]}
    assert set(statements) == {
        "CVE-2024-3094",
        "CVE-2022-32746",
    }  # the waiver and the patch; not the expired one
    xz = statements["CVE-2024-3094"]
    assert xz["analysis"] == {
        "state": "not_affected",
        "justification": "code_not_reachable",
        "detail": "the sshd integration is not built",
    }
    sbom_doc = json.loads(Path(setup["sbom"]).read_text())
    xz_ref = next(c["bom-ref"] for c in sbom_doc["components"] if c["name"] == "xz")
    assert xz["affects"] == [{"ref": xz_ref, "versions": [{"version": "5.6.1", "status": "affected"}]}]
    assert statements["CVE-2022-32746"]["analysis"]["state"] == "resolved_with_pedigree"
    assert {"name": "nix-attest:sbom:serialNumber", "value": sbom_doc["serialNumber"]} in vex["metadata"][
        "properties"
    ]

    # round trip: the VEX read back gives the same statements about the same components
    back = {f.id: f for f in findings_from_document(vex, from_document(sbom_doc)) or ()}
    assert back["CVE-2024-3094"].name == "xz" and back["CVE-2024-3094"].analysis is not None
    a = back["CVE-2024-3094"].analysis
    assert (a.state, a.justification, a.waiver, a.expires) == (
        "not_affected",
        "code_not_reachable",
        "xz-backdoor-not-reachable",
        "2099-01-01",
    )
    vdr = json.loads((d / "vdr.json").read_text())
    assert schema_errors(vdr, "1.6") == []
    in_vdr = {v["id"]: v for v in vdr["vulnerabilities"]}
    assert in_vdr["CVE-2024-3094"]["analysis"]["state"] == "not_affected"
    assert "analysis" not in in_vdr["CVE-2010-0748"]  # expired: active again


def test_the_vex_stands_alone_and_is_the_same_on_every_run(setup: dict[str, Path | str]) -> None:
    """Dependency-Track applies a component-level VEX statement when its affects.ref names a component
    of the same VEX document, which then identifies the project's component (purl, CPE, hashes): the
    VEX carries those identities, every ref resolves inside it, and two runs write the same bytes (the
    import key, bom-ref + id, is stable)."""
    d = Path(setup["dir"])
    scan(setup, "-o", "/dev/null", "--vex", str(d / "vex1.json"))
    scan(setup, "-o", "/dev/null", "--vex", str(d / "vex2.json"))
    assert (d / "vex1.json").read_bytes() == (d / "vex2.json").read_bytes()
    vex = json.loads((d / "vex1.json").read_text())
    assert schema_errors(vex, "1.6") == [] and reference_errors(vex) == []
    sbom = {c["bom-ref"]: c for c in json.loads(Path(setup["sbom"]).read_text())["components"]}
    inside = {c["bom-ref"]: c for c in vex["components"]}
    refs = {a["ref"] for v in vex["vulnerabilities"] for a in v["affects"]}
    assert refs and refs == set(inside)  # the affected components, nothing else
    for ref, c in inside.items():  # identity only: what a consumer matches on
        assert set(c) <= {"type", "bom-ref", "group", "name", "version", "purl", "cpe", "hashes"}
        assert all(c[k] == sbom[ref][k] for k in c)
        assert c["purl"] == sbom[ref]["purl"] and c.get("cpe") == sbom[ref].get("cpe")


def test_reference_errors_name_a_dangling_affects_ref() -> None:
    doc = {
        "metadata": {"component": {"bom-ref": "root"}},
        "components": [{"bom-ref": "a"}],
        "vulnerabilities": [
            {"bom-ref": "v1", "id": "CVE-1", "affects": [{"ref": "a"}, {"ref": "urn:cdx:x/1#a"}]},
            {"bom-ref": "v2", "id": "CVE-2", "affects": [{"ref": "gone"}]},
            {"bom-ref": "a", "id": "CVE-3", "affects": [{"ref": "root"}]},
        ],
    }
    assert reference_errors(doc) == [
        "vulnerability CVE-2 affects unknown bom-ref gone",
        "duplicate bom-ref a",
    ]


def test_before_expiry_the_default_state_is_in_triage(setup: dict[str, Path | str]) -> None:
    d = Path(setup["dir"])
    scan(setup, "--date", "2019-12-01", "-o", "/dev/null", "--vex", str(d / "vex.json"))
    statements = {v["id"]: v for v in json.loads((d / "vex.json").read_text())["vulnerabilities"]}
    assert statements["CVE-2010-0748"]["analysis"] == {"state": "in_triage", "detail": "reviewed in 2019"}


@pytest.mark.parametrize(("day", "waived"), [("2020-01-01", True), ("2020-01-02", False)])
def test_a_waiver_holds_through_its_expiry_day(
    setup: dict[str, Path | str], capsys: pytest.CaptureFixture[str], day: str, waived: bool
) -> None:
    """``expires: 2020-01-01`` covers that whole (UTC) day, as the policy's other waivers do; the
    next day the finding is active again and the scan says so."""
    d = Path(setup["dir"])
    scan(setup, "--date", day, "-o", "/dev/null", "--vex", str(d / "vex.json"))
    statements = {v["id"] for v in json.loads((d / "vex.json").read_text())["vulnerabilities"]}
    assert ("CVE-2010-0748" in statements) is waived
    expired = "the waiver for CVE-2010-0748 expired on 2020-01-01" in capsys.readouterr().err
    assert expired is not waived


def test_check_judges_the_vdr_by_the_policy(
    setup: dict[str, Path | str], capsys: pytest.CaptureFixture[str]
) -> None:
    d = Path(setup["dir"])
    scan(setup, "--format", "cyclonedx", "-o", str(d / "vdr.json"))
    capsys.readouterr()
    code = main(["check", str(d / "vdr.json"), "--policy", str(setup["policy"]), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    by_rule: dict[str, list[dict[str, object]]] = {}
    for v in report["violations"]:
        by_rule.setdefault(v["rule"], []).append(v)
    severity = {v["component"]["name"]: v for v in by_rule["vulnerabilities.severity"]}  # type: ignore[index]
    assert set(severity) == {"xz", "crate-regex"}  # samba is patched; unknown severities are below high
    assert severity["xz"]["waivedBy"] == "xz-backdoor-not-reachable"
    assert severity["crate-regex"]["waivedBy"] is None
    assert next(v["message"] for v in by_rule["waiver.expired"]).startswith("waiver (CVE-2010-0748)")
    assert any("CVE-2099-0001" in str(v["message"]) for v in by_rule["waiver.unused"])


def test_policy_section_options(setup: dict[str, Path | str], capsys: pytest.CaptureFixture[str]) -> None:
    d = Path(setup["dir"])
    scan(setup, "--format", "cyclonedx", "-o", str(d / "vdr.json"))
    strict = d / "strict.yaml"
    strict.write_text("vulnerabilities:\n  fail-on: low\n  scope: runtime\n")
    capsys.readouterr()
    # a buildtime SBOM: no component is in the runtime closure
    assert main(["check", str(d / "vdr.json"), "--policy", str(strict)]) == 0
    capsys.readouterr()
    lenient = d / "lenient.yaml"
    lenient.write_text("vulnerabilities:\n  fail-on: medium\n  ignore-low-confidence: true\n")
    assert main(["check", str(d / "vdr.json"), "--policy", str(lenient), "--format", "json"]) == 1
    names = {v["component"]["name"] for v in json.loads(capsys.readouterr().out)["violations"]}
    assert names == {"xz", "crate-regex"}


def test_vulnerability_rules() -> None:
    adv = Advisory("CVE-2016-1585", "NVD", ratings=(Rating("CVSSv31", "critical", 9.8),))
    guess = Finding(adv, "/nix/store/a", "apparmor", "2.11", "cpe:heuristic", "cpe", closures=("buildtime",))
    rules = VulnerabilityRules(fail_on="high")
    assert [v.rule for v in vulnerability_violations(rules, [guess])] == ["vulnerabilities.severity"]
    assert list(vulnerability_violations(replace(rules, fail_on="never"), [guess])) == []
    assert list(vulnerability_violations(replace(rules, ignore_low_confidence=True), [guess])) == []
    assert list(vulnerability_violations(replace(rules, scope="runtime"), [guess])) == []
    exploited = replace(guess, advisory=replace(adv, known_exploited=True, ratings=()))
    assert [(v.rule, v.severity) for v in vulnerability_violations(rules, [exploited])] == [
        ("vulnerabilities.known-exploited", "error")
    ]
    warn = replace(rules, known_exploited="warn")
    assert [v.severity for v in vulnerability_violations(warn, [exploited])] == ["warning"]
    assert list(vulnerability_violations(replace(rules, known_exploited="ignore"), [exploited])) == []
    patched = replace(guess, analysis=Analysis("resolved_with_pedigree"))
    assert list(vulnerability_violations(rules, [patched])) == []


def test_a_policy_section_without_a_scan_is_a_note(
    setup: dict[str, Path | str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(setup["sbom"]), "--policy", str(setup["policy"]), "--format", "json"]) == 0
    rules = [v["rule"] for v in json.loads(capsys.readouterr().out)["violations"]]
    # nothing was scanned: the vulnerability waivers cannot be judged, so none is called unused (an
    # expired one is still expired)
    assert rules == ["waiver.expired", "vulnerabilities.unscanned"]


@pytest.mark.parametrize(
    ("waiver", "problem"),
    [
        (
            "  - {rule: licenses.deny, vulnerability: CVE-2024-3094, reason: x}",
            "either a rule or a vulnerability",
        ),
        ("  - {vulnerability: CVE-2024-3094, state: fixed, reason: x}", "state"),
        ("  - {vulnerability: 'not an id', reason: x}", "vulnerability"),
    ],
)
def test_bad_vulnerability_waivers_are_one_line_exit_2(
    setup: dict[str, Path | str], waiver: str, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = Path(setup["dir"]) / "bad.yaml"
    bad.write_text(f"waivers:\n{waiver}\n")
    assert (
        main(
            [
                "scan",
                str(setup["sbom"]),
                "--offline",
                "--cache-dir",
                str(setup["cache"]),
                "--policy",
                str(bad),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and problem in err[0] and "bad.yaml" in err[0]


def test_another_tools_vex_reads_back() -> None:
    doc = json.loads((DATA / "cyclonedx/valid-vulnerability-1.6.json").read_text())
    [f] = findings_from_document(doc, None) or ()
    assert f.id == "SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111" and f.method == "reported"
    assert (f.severity, f.advisory.score, f.advisory.ratings[0].method) == ("critical", 9.8, "CVSSv3")
    assert f.advisory.aliases == ("CVE-2018-7489",)
    assert f.ref == "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4"
    assert f.analysis is not None and (f.analysis.state, f.analysis.justification) == (
        "not_affected",
        "code_not_reachable",
    )
