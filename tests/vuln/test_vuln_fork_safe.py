"""The fork-safe comment's Vulnerabilities section: the trusted workflow_run side scans the components
the fork's artifact lists with its own NVD database and OSV, and never uses the fork's vulnerability
results (its VDR's `vulnerabilities`, its vulnerabilities.json, its report.md); without a database it
says why the section is empty."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.github_server import BOT, Server, github  # noqa: F401  (fixture)
from helpers.vuln_servers import FakeNvd, FakeOsv, fake_nvd, fake_osv  # noqa: F401  (fixtures)

from nix_attest.cli import main
from nix_attest.github.identity import use_identity
from nix_attest.github.run_record import RunRecord, dumps_run_record
from nix_attest.sbom.cyclonedx import render, to_document
from nix_attest.sbom.model import Sbom

pytestmark = pytest.mark.nix

TOKEN = "ghs_" + "v" * 36
RUN_ID = 5151
HEAD_SHA = "feed" + "0" * 36
POLICY = """\
vulnerabilities:
  fail-on: critical
waivers:
  - vulnerability: CVE-2010-0748
    reason: transmission is only a build tool here
    state: not_affected
    justification: code_not_present
"""


def forged_vdr(sbom_doc: dict[str, object]) -> dict[str, object]:
    """The fork's own VDR: the SBOM with vulnerabilities saying the backdoored xz is not affected, and
    a made-up advisory with a link and a mention."""
    doc = copy.deepcopy(sbom_doc)
    xz = next(c["bom-ref"] for c in doc["components"] if c["name"] == "xz")  # type: ignore[attr-defined,index]
    doc["vulnerabilities"] = [
        {
            "id": "CVE-2024-3094",
            "source": {"name": "NVD"},
            "affects": [{"ref": xz}],
            "analysis": {"state": "not_affected", "justification": "code_not_present", "detail": "trust me"},
        },
        {
            "id": "FORGED-0001",
            "source": {"name": "fork", "url": "https://evil.example/x"},
            "description": "all clear @octocat",
            "affects": [{"ref": xz}],
        },
    ]
    return doc


@pytest.fixture
def artifact(vuln_sbom: Sbom) -> dict[str, bytes]:
    """What the fork's run uploads: its SBOM, a VDR and vulnerabilities.json it forged, its run.json."""
    both = json.loads(render(to_document(vuln_sbom)))
    # sbom.cdx.json describes the runtime closure: the vendored sources are only in the VDR's SBOM
    runtime = copy.deepcopy(both)
    sources = {c["bom-ref"] for c in runtime["components"] if c["purl"].startswith(("pkg:cargo", "pkg:pypi"))}
    assert sources
    runtime["components"] = [c for c in runtime["components"] if c["bom-ref"] not in sources]
    runtime["dependencies"] = [
        {**d, "dependsOn": [r for r in d.get("dependsOn", []) if r not in sources]}
        for d in runtime["dependencies"]
        if d["ref"] not in sources
    ]
    use = use_identity(".#default", "nix-attest PR check/attest")
    return {
        "sbom.cdx.json": json.dumps(runtime).encode(),
        "vulnerabilities.cdx.json": json.dumps(forged_vdr(both)).encode(),
        "vulnerabilities.json": b'{"findings": [], "summary": "0 active findings"}',
        "report.md": b"## nix-attest: pass, no vulnerabilities @octocat\n",
        "run.json": dumps_run_record(RunRecord(".#default", use.key, None, 7)).encode(),
    }


@pytest.fixture
def trusted(
    tmp_path: Path,
    github: Server,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    artifact: dict[str, bytes],
) -> Iterator[Path]:
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_TOKEN", "GH_TOKEN", "RUNNER_TEMP"):
        monkeypatch.delenv(name, raising=False)
    run = {
        "id": RUN_ID,
        "event": "pull_request",
        "conclusion": "success",
        "head_sha": HEAD_SHA,
        "head_repository": {"full_name": "fork/r"},
        "repository": {"full_name": "o/r"},
        "pull_requests": [],
        "html_url": f"https://github.example/o/r/actions/runs/{RUN_ID}",
    }
    event = tmp_path / "workflow_run.json"
    event.write_text(
        json.dumps({"action": "completed", "workflow_run": run, "repository": {"full_name": "o/r"}})
    )
    monkeypatch.setenv("GITHUB_EVENT_NAME", "workflow_run")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("GITHUB_REPOSITORY", "o/r")
    monkeypatch.setenv("INPUT_GITHUB_TOKEN", TOKEN)
    github.state.add_artifact("o/r", RUN_ID, "nix-attest-attest", artifact)
    github.state.add_pull("o/r", 7, HEAD_SHA, "fork/r")
    policy = tmp_path / "base-policy.yaml"
    policy.write_text(POLICY)
    yield policy


def comment(policy: Path, *extra: str) -> int:
    return main(["comment", "--workflow-run", "--policy", str(policy), *extra])


def posted(github: Server) -> str:  # noqa: F811
    (one,) = github.state.comments[("o", "r", 7)]
    assert one["user"]["login"] == BOT
    return str(one["body"])


def test_the_trusted_side_scans_the_artifacts_components_and_ignores_the_forks_results(
    trusted: Path,
    github: Server,  # noqa: F811
    fake_nvd: FakeNvd,  # noqa: F811
    fake_osv: FakeOsv,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cache = tmp_path / "trusted-cache"
    assert main(["vulndb", "update", "--cache-dir", str(cache), "--nvd-url", fake_nvd.url]) == 0
    code = comment(trusted, "--nvd-cache", str(cache), "--nvd-url", fake_nvd.url, "--osv-url", fake_osv.url)
    assert code == 0, capsys.readouterr().err
    body = posted(github)
    section = body[body.index("### Vulnerabilities") :]
    # found here, with this side's database: xz's backdoor is active whatever the fork's VDR says
    assert "CVE-2024-3094" in section and "trust me" not in body
    assert "GHSA-m5pq-gvj9-9vr8" in section  # the vendored crate, from the VDR's buildtime components
    assert "FORGED-0001" not in body and "evil.example" not in body and "@octocat" not in body
    # the base branch's policy: its waiver is the VEX statement, its fail-on the verdict
    assert "transmission is only a build tool here" in section
    assert "vulnerabilities.severity" in body and "**fail**" in body
    assert "scanned by this repository's workflow" in section
    assert fake_osv.requests  # OSV was asked by the trusted side


def test_without_a_database_the_section_says_why(
    trusted: Path,
    github: Server,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert comment(trusted, "--nvd-cache", str(tmp_path / "empty")) == 0, capsys.readouterr().err
    body = posted(github)
    section = body[body.index("### Vulnerabilities") :]
    assert section.startswith("### Vulnerabilities\n\nnot scanned: no NVD database in")
    assert "waiver.unused" not in body
    assert "CVE-2024-3094" not in body and "trust me" not in body and "FORGED" not in body
    # the policy has a vulnerabilities section and nothing was scanned: a note, not the fork's word
    assert "vulnerabilities.unscanned" in body


def test_vulnerabilities_false_is_said(
    trusted: Path,
    github: Server,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert comment(trusted, "--vulnerabilities", "false") == 0, capsys.readouterr().err
    body = posted(github)
    assert "### Vulnerabilities\n\nnot scanned \\(vulnerabilities: false\\)" in body
    assert "waiver.unused" not in body  # its waiver cannot be judged without a scan
