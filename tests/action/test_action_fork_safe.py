"""The fork-safe example workflows, and actions/comment with workflow-run: true run like the runner
(the flow itself, with a real PR run, is tests/github/test_github_fork_comment.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml
from action_runner import prepare_action, run_action
from helpers.github_server import BOT, Server
from helpers.report_fixtures import comp, sbom

from nix_attest.github.comment import fork_safe_marker
from nix_attest.github.run_record import RunRecord, dumps_run_record
from nix_attest.sbom.cyclonedx import dumps_sbom

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "workflows-examples"
TOKEN = "ghs_" + "a" * 36
HEAD = "d" * 40


def test_pr_check_does_not_comment_on_fork_pull_requests() -> None:
    doc = yaml.safe_load((EXAMPLES / "pr-check.yml").read_text())
    (step,) = [s for s in doc["jobs"]["attest"]["steps"] if str(s.get("uses", "")).startswith("nix-attest/")]
    assert step["with"]["comment"] == (
        "${{ github.event.pull_request.head.repo.full_name == github.repository && 'always' || 'never' }}"
    )


def test_the_examples_scan_for_vulnerabilities_with_one_shared_nvd_cache() -> None:
    """pr-check.yml scans with the NVD database kept in nvd-cache, and the fork-safe workflow restores
    the same entry on the trusted side: actions/cache matches an entry by key and path, so both
    must name the same directory, and neither may turn the cache off (cache: auto, the default)."""
    check = yaml.safe_load((EXAMPLES / "pr-check.yml").read_text())
    (scan,) = [
        s for s in check["jobs"]["attest"]["steps"] if str(s.get("uses", "")).startswith("nix-attest/")
    ]
    fork = yaml.safe_load((EXAMPLES / "fork-safe-comment.yml").read_text())
    comment = fork["jobs"]["comment"]["steps"][-1]
    assert scan["with"]["vulnerabilities"] is True and comment["with"]["vulnerabilities"] is True
    assert (
        scan["with"]["nvd-cache"]
        == comment["with"]["nvd-cache"]
        == "${{ runner.tool_cache }}/nix-attest-vulndb"
    )
    assert "cache" not in scan["with"] and "cache" not in comment["with"]
    # and that path is the actions' default, so uses that leave nvd-cache out share the entry too
    for action in (REPO_ROOT / "action.yml", REPO_ROOT / "actions" / "comment" / "action.yml"):
        text = action.read_text()
        assert (
            "${NVD_CACHE:-$TOOL_CACHE/nix-attest-vulndb}" in text
            and "TOOL_CACHE: ${{ runner.tool_cache }}" in text
        )


def test_the_fork_safe_workflow_only_reads_data_for_fork_pull_requests() -> None:
    doc = yaml.safe_load((EXAMPLES / "fork-safe-comment.yml").read_text())
    assert doc[True]["workflow_run"]["types"] == ["completed"]  # YAML reads the key `on` as True
    assert doc["permissions"] == {}
    job = doc["jobs"]["comment"]
    assert "github.event.workflow_run.head_repository.full_name != github.repository" in job["if"]
    assert job["permissions"] == {"actions": "read", "contents": "read", "pull-requests": "write"}
    assert 0 < job["timeout-minutes"] <= 60  # what a fork's artifacts make it do ends within the hour
    checkout, comment = job["steps"]
    # the base branch (the workflow_run default), never the pull request's head, and no token left behind
    assert "ref" not in checkout["with"] and checkout["with"]["persist-credentials"] is False
    assert comment["uses"].startswith("nix-attest/nix-attest/actions/comment@")
    assert comment["with"] == {
        "workflow-run": True,
        "policy": "nix-attest.policy.yaml",
        "vulnerabilities": True,
        "nvd-cache": "${{ runner.tool_cache }}/nix-attest-vulndb",
    }
    text = (EXAMPLES / "fork-safe-comment.yml").read_text()
    assert "report.md" not in "".join(line for line in text.splitlines() if not line.startswith("#"))


def test_comment_action_in_workflow_run_mode(tmp_path: Path, github: Server) -> None:
    root, job = prepare_action(tmp_path)
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "nix-attest.policy.yaml").write_text("version: 1\nlicenses:\n  deny: [GPL-3.0-only]\n")
    key = ".#default|nix-attest PR check/attest"
    files = {
        "sbom.cdx.json": dumps_sbom(sbom(comp("app", "1", lic=("GPL-3.0-only",)))).encode(),
        "run.json": dumps_run_record(RunRecord(".#default", key, None, 7)).encode(),
        "report.md": b"## forged verdict @octocat",
    }
    github.state.add_artifact("o/r", 99, "nix-attest-attest-default-12345678", files)
    github.state.add_pull("o/r", 7, HEAD, "fork/r")
    event = tmp_path / "event.json"
    run = {
        "id": 99, "event": "pull_request", "conclusion": "failure", "head_sha": HEAD,
        "head_repository": {"full_name": "fork/r"}, "repository": {"full_name": "o/r"}, "pull_requests": [],
    }  # fmt: skip
    event.write_text(json.dumps({"workflow_run": run}))
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_EVENT_NAME": "workflow_run",
        "GITHUB_EVENT_PATH": str(event),
    }
    temp = tmp_path / "rt"
    temp.mkdir()
    inputs = {"workflow-run": "true", "policy": "nix-attest.policy.yaml"}
    result = run_action(
        root / "actions" / "comment", inputs, env=env, workspace=ws, runner_temp=temp, token=TOKEN, job=job
    )
    assert not result.failed, result.step("comment").stderr
    (posted,) = github.state.comments[("o", "r", 7)]
    assert posted["user"]["login"] == BOT and posted["body"].startswith(fork_safe_marker(key))
    assert "forged" not in posted["body"] and "@octocat" not in posted["body"]
    assert "**fail**" in posted["body"]  # the base policy denies GPL-3.0-only
    assert result.outputs["comment-url"] == posted["html_url"]
    # the NVD database is looked for under the root action's cache key and default path (restore is
    # recorded, not run here): none, so the section says why it is empty; nothing to save
    restore = result.step("nvd-restore")
    assert restore.uses and restore.uses.startswith("actions/cache/restore@")
    assert restore.with_["restore-keys"] == "nix-attest-nvd-v1-Linux-"
    assert restore.with_["path"].endswith("/nix-attest-vulndb")
    assert "### Vulnerabilities\n\nnot scanned: no NVD database in" in posted["body"]
    assert result.step("nvd-built").outputs.get("exists") is None
