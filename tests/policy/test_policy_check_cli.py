"""`nix-attest check` end to end: SBOM file written by the CycloneDX writer, policy file, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nix_attest.cli import main
from nix_attest.sbom.cyclonedx import dumps_sbom

from .conftest import comp, fod, make_sbom

POLICY = """
licenses: {deny: [GPL-3.0-only]}
sources: {allowed-schemes: [https]}
waivers:
  - {rule: sources.scheme, component: legacy-src, reason: vendor mirror, expires: 2026-03-31}
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sbom = make_sbom(
        [comp("gpl", license="GPL-3.0-only"), fod("legacy", "http://vendor/x.tar.gz"), comp("ok")]
    )
    (tmp_path / "sbom.cdx.json").write_text(dumps_sbom(sbom, "1.6"))
    (tmp_path / "nix-attest.policy.yaml").write_text(POLICY)
    (tmp_path / "lenient.yaml").write_text(POLICY.replace("licenses: {deny: [GPL-3.0-only]}", ""))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_failing_check_exits_1_with_text_report(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "sbom.cdx.json", "--date", "2026-01-01"]) == 1
    out, err = capsys.readouterr()
    assert "licenses.deny" in out and "[waived: vendor mirror]" in out
    assert "nix-attest: error: policy nix-attest.policy.yaml failed: 1 error(s)" in err


def test_passing_check_exits_0(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "sbom.cdx.json", "--policy", "lenient.yaml", "--date", "2026-01-01"]) == 0
    assert "policy pass" in capsys.readouterr().out


def test_expired_waiver_fails_later(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "sbom.cdx.json", "--policy", "lenient.yaml", "--date", "2026-04-01"]) == 1
    out = capsys.readouterr().out
    assert "waiver.expired" in out and "sources.scheme" in out


@pytest.mark.parametrize("fmt", ["json", "sarif", "markdown", "text"])
def test_output_file_formats(workdir: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = workdir / f"report.{fmt}"
    code = main(["check", "sbom.cdx.json", "--format", fmt, "-o", str(out), "--date", "2026-01-01"])
    assert code == 1
    text = out.read_text()
    if fmt == "json":
        assert json.loads(text)["verdict"] == "fail"
    elif fmt == "sarif":
        assert json.loads(text)["runs"][0]["results"][0]["locations"][0]["physicalLocation"] == {
            "artifactLocation": {"uri": "sbom.cdx.json"},
            "region": {"startLine": 1},
        }
    elif fmt == "markdown":
        assert text.startswith("### ❌ Policy fail")
    else:
        assert "licenses.deny" in text
    assert f"wrote {out}" in capsys.readouterr().err


def test_malformed_policy_exits_2_before_reading_the_sbom(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "bad.yaml").write_text("rules:\n  - id: x\n    expr: 'component.name =='\n    message: m\n")
    assert main(["check", "missing-sbom.json", "--policy", "bad.yaml"]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:3: rules[0].expr: CEL compile error" in err


def test_missing_default_policy_and_bad_date(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "nix-attest.policy.yaml").unlink()
    assert main(["check", "sbom.cdx.json"]) == 2
    assert "nix-attest.policy.yaml not found" in capsys.readouterr().err
    assert main(["check", "sbom.cdx.json", "--policy", "lenient.yaml", "--date", "soon"]) == 2


def test_nickel_policy_via_cli(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = Path(__file__).parents[2] / "examples/policies/contracts.ncl"
    # the copyleft validator reports a warning; the example fails only on errors
    assert main(["check", "sbom.cdx.json", "--policy", str(example), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    found = {(v["rule"], v["severity"], v["component"]["name"]) for v in doc["violations"]}
    assert found == {("runtime_copyleft", "warning", "gpl")}
