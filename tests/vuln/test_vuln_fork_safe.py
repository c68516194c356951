"""The fork-safe comment's Vulnerabilities section: the trusted workflow_run side scans the components
the fork's artifact lists with its own NVD database and OSV, and never uses the fork's vulnerability
results (its VDR's `vulnerabilities`, its vulnerabilities.json, its report.md); without a database it
says why the section is empty."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers.github_server import BOT, Server, github  # noqa: F401  (fixture)
from helpers.report_fixtures import comp, sbom
from helpers.vuln_servers import FakeNvd, FakeOsv, fake_nvd, fake_osv  # noqa: F401  (fixtures)

from nix_attest.cli import main
from nix_attest.github.identity import use_identity
from nix_attest.github.run_record import RunRecord, dumps_run_record
from nix_attest.sbom.cyclonedx import render, to_document
from nix_attest.sbom.model import FixedOutput, Sbom
from nix_attest.vuln.targets import targets

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


Scan = Callable[..., str]


@pytest.fixture
def scan(
    trusted: Path,
    github: Server,  # noqa: F811
    fake_nvd: FakeNvd,  # noqa: F811
    fake_osv: FakeOsv,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Scan:
    """The trusted side's scan with its own NVD database (updated once, here) and OSV: `scan()` runs the
    comment on the artifact as uploaded, `scan(edited)` first puts the fork's edited artifact in its
    place. Either way the comment must exit 0; the posted body is returned."""
    cache = tmp_path / "trusted-cache"
    assert main(["vulndb", "update", "--cache-dir", str(cache), "--nvd-url", fake_nvd.url]) == 0
    args = ("--nvd-cache", str(cache), "--nvd-url", fake_nvd.url, "--osv-url", fake_osv.url)

    def run(edited: dict[str, bytes] | None = None) -> str:
        if edited is not None:
            github.state.artifacts.clear()  # the fork's edited artifact instead of the honest one
            github.state.add_artifact("o/r", RUN_ID, "nix-attest-attest", edited)
        assert comment(trusted, *args) == 0, capsys.readouterr().err
        return posted(github)

    return run


def test_the_trusted_side_scans_the_artifacts_components_and_ignores_the_forks_results(
    scan: Scan,
    fake_osv: FakeOsv,  # noqa: F811
) -> None:
    body = scan()
    section = body[body.index("### Vulnerabilities") :]
    # found here, with this side's database: xz's backdoor is active whatever the fork's VDR says
    assert "CVE-2024-3094" in section and "trust me" not in body
    assert "GHSA-m5pq-gvj9-9vr8" in section  # the vendored crate, from the VDR's buildtime components
    assert "FORGED-0001" not in body and "evil.example" not in body and "@octocat" not in body
    # the base branch's policy: its waiver is the VEX statement, its fail-on the verdict
    assert "transmission is only a build tool here" in section
    assert "vulnerabilities.severity" in body and "**fail**" in body
    assert "scanned by this repository's workflow" in section
    # samba's CVE-named patch is the artifact's word here: said, and the finding not hidden by it
    assert "fixes its SBOM claims through patches named after CVEs: 1, not taken as fixes" in section
    assert "CVE-2022-32746" in section and "fixed by the patch" not in section
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


def _edit_docs(artifact: dict[str, bytes], change: Callable[[dict[str, Any]], None]) -> None:
    """The fork edits its sbom.cdx.json and the VDR's SBOM alike (`change` edits one document)."""
    for name in ("sbom.cdx.json", "vulnerabilities.cdx.json"):
        doc = json.loads(artifact[name])
        change(doc)
        artifact[name] = json.dumps(doc).encode()


def _rewrite(artifact: dict[str, bytes], change: Callable[[dict[str, Any]], None]) -> None:
    """The fork edits the components of its sbom.cdx.json and of the VDR's SBOM alike."""

    def each_component(doc: dict[str, Any]) -> None:
        for c in doc["components"]:
            change(c)

    _edit_docs(artifact, each_component)


def _only(which: Callable[[dict[str, Any]], bool], change: Callable[[dict[str, Any]], None]) -> Any:
    def apply(c: dict[str, Any]) -> None:
        if which(c):
            change(c)

    return apply


def _xz(c: dict[str, Any]) -> bool:
    return bool(c["name"] == "xz")


def _crate(c: dict[str, Any]) -> bool:
    return str(c.get("purl", "")).startswith("pkg:cargo")


def _claim_a_fix(c: dict[str, Any]) -> None:
    """A patch that 'resolves' the backdoor, written into the artifact only (not in the flake)."""
    c.setdefault("pedigree", {})["patches"] = [
        {
            "type": "unofficial",
            "diff": {"url": "CVE-2024-3094.patch"},
            "resolves": [{"type": "security", "id": "CVE-2024-3094", "name": "CVE-2024-3094"}],
        }
    ]


def _drop_identifiers(c: dict[str, Any]) -> None:
    """No CPE, no purl, no nix-attest:cpe properties: nothing for the scanner to match on."""
    c.pop("cpe", None)
    c.pop("purl", None)
    c["properties"] = [p for p in c.get("properties", []) if not p["name"].startswith("nix-attest:cpe")]


def _as_a_source(c: dict[str, Any]) -> None:
    """Identifiers removed and the package passed off as a fixed-output source (which the SBOM
    identifies by its download URL, not by a CPE), from a URL no registry has."""
    _drop_identifiers(c)
    c["properties"] += [
        {"name": "nix:fod:method", "value": "flat"},
        {"name": "nix:fod:sha256", "value": "0" * 64},
        {"name": "nix:fod:url", "value": "https://example.org/xz-5.6.1.tar.gz"},
    ]


def _other_vendor(c: dict[str, Any]) -> None:
    """A CPE naming a vendor no advisory names, claimed to come from the package's meta."""
    c["cpe"] = "cpe:2.3:a:nobody:xz:5.6.1:*:*:*:*:*:*:*"
    c["properties"] = [p for p in c.get("properties", []) if not p["name"].startswith("nix-attest:cpe")]
    c["properties"].append({"name": "nix-attest:cpe:source", "value": "meta"})


@pytest.mark.parametrize(
    ("which", "hide", "hidden"),
    [
        pytest.param(_xz, _claim_a_fix, "CVE-2024-3094", id="a patch claiming to resolve it"),
        pytest.param(_xz, _drop_identifiers, "CVE-2024-3094", id="identifiers removed"),
        pytest.param(_xz, _other_vendor, "CVE-2024-3094", id="a CPE of another vendor"),
        pytest.param(_xz, _as_a_source, "CVE-2024-3094", id="passed off as a source"),
        pytest.param(_crate, _drop_identifiers, "GHSA-m5pq-gvj9-9vr8", id="a vendored crate's purl removed"),
    ],
)
def test_identifiers_the_fork_wrote_cannot_hide_a_finding(
    scan: Scan,
    artifact: dict[str, bytes],
    which: Callable[[dict[str, Any]], bool],
    hide: Callable[[dict[str, Any]], None],
    hidden: str,
) -> None:
    """The artifact's SBOMs are the fork's account of its components: a fork can edit them without
    touching its flake (the diff a reviewer reads). The trusted side identifies each component itself
    (the curated map and the name, besides any CPE the SBOM gives) and takes no patch in them as a
    fix, so the backdoored xz stays an active, critical finding and the base policy fails."""
    _rewrite(artifact, _only(which, hide))
    body = scan(artifact)
    section = body[body.index("### Vulnerabilities") :]
    assert hidden in section
    assert "fixed by the patch CVE-2024-3094" not in section
    assert "**fail**" in body  # the backdoor is active and critical: the base policy fails


def test_run_json_carries_no_vulnerability_data_and_none_is_taken_from_it(
    scan: Scan, artifact: dict[str, bytes]
) -> None:
    """run.json is the run's name for its comment and its PR claim, nothing more: what `run` writes has
    no vulnerability field, and one a fork adds (a clean summary, a verdict) changes nothing."""
    record = json.loads(artifact["run.json"])
    assert set(record) == {
        "format",
        "installable",
        "comment_key",
        "label",
        "pull_request",
        "legacy_comment_key",
    }
    record |= {"vulnerabilities": {"active": 0, "findings": []}, "verdict": "pass", "summary": "all clear"}
    artifact["run.json"] = json.dumps(record).encode()
    body = scan(artifact)
    assert "CVE-2024-3094" in body[body.index("### Vulnerabilities") :]
    assert "**fail**" in body and "all clear" not in body


def test_a_forged_system_cannot_hide_a_finding_that_needs_linux(
    scan: Scan, artifact: dict[str, bytes]
) -> None:
    """CVE-2010-0748 is transmission < 1.92 AND the Linux kernel: it holds for a Linux build. The SBOM
    says which system it was built for, and a fork can say Darwin (or nothing) there; the trusted side
    takes every operating system as possible, so the finding stays (here waived by the base policy)."""

    def darwin(doc: dict[str, Any]) -> None:
        props = doc["metadata"]["properties"]
        assert any(p["name"] == "nix-attest:system" and p["value"].endswith("-linux") for p in props)
        for p in props:
            if p["name"] == "nix-attest:system":
                p["value"] = "aarch64-darwin"

    _edit_docs(artifact, darwin)
    body = scan(artifact)
    section = body[body.index("### Vulnerabilities") :]
    assert "CVE-2010-0748" in section and "transmission is only a build tool here" in section
    assert "waiver.unused" not in body


def test_a_source_is_identified_by_name_only_when_no_built_package_carries_it() -> None:
    """Untrusted targets: the xz tarball beside the xz package it builds gets no CPE of its own (the
    package carries the finding, no duplicate row); a 'source' with no such package does, since a fork
    can pass a package off as a source. The trusted scan of the same SBOM adds nothing."""
    fod = FixedOutput("flat", "sha256", "0" * 64, ("https://example.org/xz-5.6.1.tar.gz",))
    package = comp("xz", "5.6.1")
    tarball = replace(
        comp("xz", "5.6.1", ref="/nix/store/" + "1" * 32 + "-xz-5.6.1.tar.gz"), fixed_output=fod
    )
    lone = replace(comp("zlib", "1.2.11"), fixed_output=fod)
    by_name = {t.ref: t for t in targets(sbom(comp("app", "1"), package, tarball, lone), untrusted=True)}
    assert [c.cpe for c in by_name[package.ref].cpes] == ["cpe:2.3:a:tukaani:xz:5.6.1:*:*:*:*:*:*:*"]
    assert by_name[tarball.ref].cpes == ()
    assert [c.cpe for c in by_name[lone.ref].cpes] == ["cpe:2.3:a:zlib:zlib:1.2.11:*:*:*:*:*:*:*"]
    assert all(t.cpes == () for t in targets(sbom(comp("app", "1"), tarball, lone)))


def test_a_cpe_the_fork_calls_a_guess_is_not_taken_as_low_confidence() -> None:
    """`ignore-low-confidence` drops heuristic matches: a fork labelling the CPE its package's meta
    gives as 'heuristic' (nix-attest:cpe:source) would have that finding dropped by the base policy.
    Only a CPE this side's own ladder makes is low confidence; the fork's label cannot lower one."""
    claimed = replace(
        comp("libfoo", "1.0"), cpe="cpe:2.3:a:foo_project:libfoo:1.0:*:*:*:*:*:*:*", cpe_source="heuristic"
    )
    (target,) = [t for t in targets(sbom(comp("app", "1"), claimed), untrusted=True) if t.name == "libfoo"]
    sources = {c.cpe: c.source for c in target.cpes}
    assert sources["cpe:2.3:a:foo_project:libfoo:1.0:*:*:*:*:*:*:*"] != "heuristic"
    assert sources["cpe:2.3:a:*:libfoo:1.0:*:*:*:*:*:*:*"] == "heuristic"  # this side's own guess
    # the same CPE the ladder would guess keeps the label: it is a guess whoever wrote it
    guessed = replace(
        comp("libbar", "2.0"), cpe="cpe:2.3:a:*:libbar:2.0:*:*:*:*:*:*:*", cpe_source="heuristic"
    )
    (bar,) = [t for t in targets(sbom(comp("app", "1"), guessed), untrusted=True) if t.name == "libbar"]
    assert [(c.cpe, c.source) for c in bar.cpes] == [("cpe:2.3:a:*:libbar:2.0:*:*:*:*:*:*:*", "heuristic")]


def _add_vulnerable_purls(artifact: dict[str, bytes]) -> None:
    """The fork lists more components whose purls have OSV advisories (here: requests, gin, gradio)."""
    extra = [
        ("requests", "2.10.0", "pkg:pypi/requests@2.10.0"),
        ("gin", "1.5.0", "pkg:golang/github.com/gin-gonic/gin@1.5.0"),
        ("gradio", "4.36.1", "pkg:pypi/gradio@4.36.1"),
    ]

    def add(doc: dict[str, Any]) -> None:
        for n, v, purl in extra:
            doc["components"].append(
                {"type": "library", "bom-ref": f"extra-{n}", "name": n, "version": v, "purl": purl}
            )

    _edit_docs(artifact, add)


def test_a_scan_the_artifact_makes_fail_is_no_pass(
    scan: Scan, artifact: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fork can make the trusted side's scan fail: listing purls with enough OSV advisories (over
    OSV's MAX_ADVISORIES: old tensorflow, django, jenkins... alone pass thousands) makes OSV's answer
    'not trusted'. The backdoored xz the NVD database found must not become a ✅: a policy with a
    vulnerabilities section could not be checked, and the verdict says so."""
    from nix_attest.vuln.sources import osv

    monkeypatch.setattr(osv, "MAX_ADVISORIES", 2)  # the honest artifact's scan stays under it
    honest = scan()
    assert "**fail**" in honest and "CVE-2024-3094" in honest
    _add_vulnerable_purls(artifact)
    body = scan(artifact)
    assert "more than 2 advisories" in body
    assert "✅" not in body and "**pass**" not in body
    assert "## ⚠️ nix-attest: **error**" in body and "vulnerability rules could not be checked" in body
