"""Report formats: text, JSON, Markdown and SARIF 2.1.0 (validated against the OASIS schema)."""

from __future__ import annotations

import json
from collections.abc import Callable

import jsonschema
import pytest
from helpers.sarif import sarif_validator

from nix_attest.policy import (
    Policy,
    PolicyReport,
    evaluate,
    render_json,
    render_markdown,
    render_sarif,
    render_text,
    sarif_log,
)

from .conftest import NOW, comp, make_sbom

POLICY = """
licenses: {deny: [GPL-3.0-only], unknown: warn}
closure: {max-components: 1}
waivers:
  - {id: W1, rule: licenses.deny, component: waived-lib, reason: legal approved}
"""


@pytest.fixture
def report(write_policy: Callable[[str], Policy]) -> PolicyReport:
    sbom = make_sbom(
        [
            comp("gpl|pipe", license="GPL-3.0-only"),
            comp("waived-lib", license="GPL-3.0-only"),
            comp("odd", license="Weird", purl=False),
        ]
    )
    return evaluate(write_policy(POLICY), sbom, NOW)


def test_text(report: PolicyReport) -> None:
    text = render_text(report)
    lines = text.splitlines()
    assert lines[-1].startswith("policy fail: 2 error(s), 1 warning(s), 0 note(s), 1 waived; 4 components")
    assert any("licenses.deny" in line and "[waived: W1]" in line for line in lines)
    assert any(
        line.startswith("WARNING") and "licenses.unknown" in line and "odd@1.0" in line for line in lines
    )


def test_json(report: PolicyReport) -> None:
    doc = json.loads(render_json(report))
    assert doc["verdict"] == "fail" and doc["failOn"] == "error" and doc["checkedComponents"] == 4
    assert doc["summary"] == {"error": 2, "warning": 1, "note": 0, "waived": 1}
    first = doc["violations"][0]
    assert set(first) == {"rule", "severity", "message", "component", "waivedBy"}
    waived = [v for v in doc["violations"] if v["waivedBy"]]
    assert waived[0]["component"]["name"] == "waived-lib"
    assert set(waived[0]["component"]) == {"bomRef", "name", "version", "purl"}
    sbom_wide = [v for v in doc["violations"] if v["rule"] == "closure.max-components"]
    assert sbom_wide[0]["component"] is None


def test_markdown_escapes_and_orders(report: PolicyReport) -> None:
    md = render_markdown(report)
    assert md.startswith("### ❌ Policy fail\n")
    assert "gpl\\|pipe" in md  # a pipe in a name does not break the table
    rows = [line for line in md.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert "W1" in rows[-1]  # waived rows come last
    cut = render_markdown(report, max_rows=1)
    assert "and 3 more" in cut


def test_sarif_is_valid_sarif_2_1_0(report: PolicyReport) -> None:
    log = json.loads(render_sarif(report, "out/sbom.cdx.json"))
    sarif_validator().validate(log)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rules == sorted(set(rules))
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "out/sbom.cdx.json"  # code scanning needs one
        assert physical["region"]["startLine"] == 1
        assert result["level"] in {"error", "warning", "note"}
        assert len(result["partialFingerprints"]["nixAttestViolation/v1"]) == 64
    waived = [r for r in run["results"] if "suppressions" in r]
    assert len(waived) == 1 and waived[0]["suppressions"][0]["justification"] == "W1"
    comp_result = next(r for r in run["results"] if r["ruleId"] == "licenses.unknown")
    assert comp_result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].endswith("-odd-1.0")


def test_sarif_schema_rejects_a_broken_log(report: PolicyReport) -> None:
    log = sarif_log(report)
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        sarif_validator().validate(log)


def test_sarif_for_a_clean_report(write_policy: Callable[[str], Policy]) -> None:
    clean = evaluate(write_policy("licenses: {deny: [GPL-3.0-only]}\n"), make_sbom([comp("a")]), NOW)
    log = sarif_log(clean)
    sarif_validator().validate(log)
    assert log["runs"][0]["results"] == [] and log["runs"][0]["properties"]["verdict"] == "pass"


def test_markdown_neutralises_sbom_controlled_markdown(write_policy: Callable[[str], Policy]) -> None:
    """Names and messages come from the SBOM: no images, links, HTML or emphasis in the job summary."""
    bad = "GPL-3.0-only"
    sbom = make_sbom([comp("![x](https://evil/pixel)", license=bad), comp("<img src=x>*em*", license=bad)])
    md = render_markdown(evaluate(write_policy("licenses: {deny: [GPL-3.0-only], unknown: warn}"), sbom, NOW))
    assert "![x](" not in md and "](https://evil" not in md
    # shown literally, the bare URL not autolinked either (a zero-width joiner after the scheme)
    assert "\\!\\[x\\]\\(https\u200d://evil/pixel\\)" in md
    assert "<img" not in md and "&lt;img src=x&gt;\\*em\\*" in md
