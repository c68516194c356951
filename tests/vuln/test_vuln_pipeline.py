"""`nix-attest run` with vulnerabilities: two commits of the fixture flake (xz upgraded out of
CVE-2024-3094, libwebp downgraded into CVE-2023-4863), the comment's Vulnerabilities section (new, fixed,
still present, waived), the policy over the findings and the VDR/VEX in the artifact directory."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from helpers.gitrepo import git
from helpers.nvd_data import DATA
from helpers.vuln_servers import FakeNvd, FakeOsv, fake_nvd, fake_osv  # noqa: F401  (fixtures)

from nix_attest.cli import main
from nix_attest.sbom.validate import schema_errors

from .conftest import copy_flake

pytestmark = pytest.mark.nix

POLICY = """\
vulnerabilities:
  fail-on: critical
  known-exploited: warn
waivers:
  - vulnerability: GHSA-m5pq-gvj9-9vr8
    component: crate-regex
    state: not_affected
    justification: code_not_reachable
    reason: no untrusted regexes are compiled
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    for key in list(os.environ):
        if key.startswith(("INPUT_", "GITHUB_")):
            monkeypatch.delenv(key)
    d = copy_flake(tmp_path / "repo")
    git(d, "init", "-q")
    git(d, "add", "-A")
    git(d, "commit", "-q", "-m", "base: xz 5.6.1, libwebp 1.3.2")
    base = git(d, "rev-parse", "HEAD")
    flake = d / "flake.nix"
    text = flake.read_text()
    flake.write_text(
        text.replace('xzVersion = "5.6.1"', 'xzVersion = "5.6.2"').replace(
            'webpVersion = "1.3.2"', 'webpVersion = "1.3.1"'
        )
    )
    (d / "nix-attest.policy.yaml").write_text(POLICY)
    git(d, "add", "-A")
    git(d, "commit", "-q", "-m", "head: xz 5.6.2, libwebp 1.3.1")
    monkeypatch.chdir(d)
    for name, file in (("GITHUB_OUTPUT", "github_output"), ("GITHUB_STEP_SUMMARY", "summary.md")):
        (tmp_path / file).touch()
        monkeypatch.setenv(name, str(tmp_path / file))
    return d, base


def outputs(path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        name, _, delim = lines[i].partition("<<")
        j = lines.index(delim, i + 1)
        found[name] = "\n".join(lines[i + 1 : j])
        i = j + 1
    return found


def test_run_reports_new_fixed_still_and_waived(
    repo: tuple[Path, str],
    fake_nvd: FakeNvd,  # noqa: F811
    fake_osv: FakeOsv,  # noqa: F811
    tmp_path: Path,
) -> None:
    _, base = repo
    cache = tmp_path / "nvd-cache"
    cache.mkdir()
    shutil.copy(DATA / "kev/known_exploited_vulnerabilities.json", cache / "kev.json")
    out = tmp_path / "out"
    code = main(
        [
            "run",
            ".#default",
            "--diff-base",
            base,
            "--comment",
            "never",
            "-o",
            str(out),
            "--vulnerabilities",
            "true",
            "--nvd-cache",
            str(cache),
            "--nvd-url",
            fake_nvd.url,
            "--osv-url",
            fake_osv.url,
        ]
    )
    report = (out / "report.md").read_text()
    assert code == 0, report  # nothing critical is active; the known-exploited libwebp is a warning
    section = report[report.index("### Vulnerabilities") :]
    section = section[: section.index("\n### ", 4)] if "\n### " in section[4:] else section
    new = section[section.index("**New in this PR (1)**") : section.index("**Fixed in this PR")]
    assert "CVE-2023-4863" in new and "`libwebp 1.3.1`" in new and "known exploited" in new
    fixed = section[section.index("**Fixed in this PR (1)**") : section.index("**Still present")]
    assert "CVE-2024-3094" in fixed and "`xz 5.6.1`" in fixed
    still = section[section.index("**Still present") :]
    assert "CVE-2010-0748" in still and "PYSEC-2023-74" in still
    assert "GHSA-m5pq-gvj9-9vr8" not in new + fixed + still.split("waived")[0]
    assert "1 waived" in section and "waived (not\\_affected): no untrusted regexes are compiled" in section
    assert "1 resolved by patches of the derivation" in section and "CVE-2022-32746" in section

    policy = json.loads((out / "policy.json").read_text())
    rules = {(v["rule"], v["component"]["name"]) for v in policy["violations"] if v["component"]}
    assert ("vulnerabilities.known-exploited", "libwebp") in rules
    vdr = json.loads((out / "vulnerabilities.cdx.json").read_text())
    assert schema_errors(vdr, "1.6") == []
    names = {c["bom-ref"]: c["name"] for c in vdr["components"]}
    affected = {names[v["affects"][0]["ref"]] for v in vdr["vulnerabilities"]}
    assert {"libwebp", "crate-regex", "requests", "transmission", "samba"} <= affected  # both closures
    vex = json.loads((out / "vex.cdx.json").read_text())
    assert {v["id"] for v in vex["vulnerabilities"]} == {"GHSA-m5pq-gvj9-9vr8", "CVE-2022-32746"}
    active = json.loads((out / "vulnerabilities.json").read_text())["findings"]
    assert outputs(tmp_path / "github_output")["vulnerabilities"] == str(
        sum(1 for f in active if f["active"])
    )
    assert "### Vulnerabilities" in (tmp_path / "summary.md").read_text()


def test_auto_without_a_database_says_not_scanned(
    repo: tuple[Path, str],
    fake_osv: FakeOsv,  # noqa: F811
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    args = ["run", ".#default", "--comment", "never", "-o", str(out), "--nvd-cache", str(tmp_path / "none")]
    code = main([*args, "--osv-url", fake_osv.url])
    assert code == 0
    report = (out / "report.md").read_text()
    assert "### Vulnerabilities\n\nnot scanned: no NVD database in" in report
    assert fake_osv.requests == [] and not (out / "vulnerabilities.cdx.json").exists()
    assert outputs(tmp_path / "github_output")["vulnerabilities"] == ""
