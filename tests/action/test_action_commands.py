"""The diff, comment and run commands through the real CLI entry point (real Nix, local GitHub server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.github_server import Server
from helpers.gitrepo import git
from helpers.report_fixtures import two_commit_flake

from nix_attest.cli import main

TOKEN = "ghs_" + "c" * 36
pytestmark = pytest.mark.nix


@pytest.fixture
def sboms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Buildtime SBOMs of the fixture flake at its two commits, written by `nix-attest sbom --no-build`."""
    monkeypatch.setenv("NIX_CONFIG", "substituters =")
    repo = tmp_path / "repo"
    two_commit_flake(repo)
    monkeypatch.chdir(repo)
    head = tmp_path / "head.cdx.json"
    assert main(["sbom", ".#default", "--no-build", "--quiet", "-o", str(head)]) == 0
    git(repo, "checkout", "-q", "HEAD~1")
    base = tmp_path / "base.cdx.json"
    assert main(["sbom", ".#default", "--no-build", "--quiet", "-o", str(base)]) == 0
    git(repo, "checkout", "-q", "main")
    return base, head


def test_diff_command_json_and_markdown(sboms: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    base, head = sboms
    assert main(["diff", str(base), str(head), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [a["name"] for a in doc["added"]] == ["colorize"]
    assert doc["changed"] == [{"name": "libgreet", "old": ["1.2.0"], "new": ["1.3.0"]}]
    assert [(c["name"], c["old"], c["new"]) for c in doc["license_changes"]] == [
        ("build-tool", ["BSD-3-Clause"], ["MIT"])
    ]
    assert doc["removed"] == []
    assert main(["diff", str(base), str(head)]) == 0
    text = capsys.readouterr().out
    assert "| `libgreet` | 1.2.0 | 1.3.0 |" in text and "| `colorize` | 2.0 | ISC |" in text


def test_comment_command(
    sboms: tuple[Path, Path],
    github: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, head = sboms
    summary = tmp_path / "summary.md"
    for key in ("GITHUB_EVENT_PATH", "GITHUB_REPOSITORY", "GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("INPUT_GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    args = ["comment", "--sbom", str(head), "--base-sbom", str(base), "--repository", "o/r", "--pr", "3"]
    assert main(args) == 0
    assert main(args) == 0  # a re-run: unchanged
    comments = github.state.comments[("o", "r", 3)]
    assert len(comments) == 1 and "| `libgreet` | 1.2.0 | 1.3.0 |" in comments[0]["body"]
    assert [r.method for r in github.state.writes()] == ["POST"]
    assert summary.read_text().count("nix-attest: **pass**") == 2
    out = capsys.readouterr()
    assert "comment created: https://github.example/o/r/pull/3#issuecomment-" in out.out
    assert TOKEN not in out.out + out.err

    github.state.read_only.add(TOKEN)
    assert main([*args[:-1], "4", "--no-summary"]) == 0  # fork PR: a warning, not a failure
    assert "workflow_run" in capsys.readouterr().err
    assert ("o", "r", 4) not in github.state.comments


def test_run_keeps_going_and_reports_a_failed_stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIX_CONFIG", "substituters =")
    repo = tmp_path / "repo"
    two_commit_flake(repo)
    monkeypatch.chdir(repo)
    for key in ("GITHUB_EVENT_PATH", "GITHUB_REPOSITORY", "GITHUB_ACTIONS"):
        monkeypatch.delenv(key, raising=False)
    outputs, summary = tmp_path / "out", tmp_path / "summary.md"
    outputs.touch()
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code = main(["run", ".#does-not-exist", "--comment", "never", "-o", str(tmp_path / "o")])
    assert code == 2
    text = summary.read_text()
    assert "## ⚠️ nix-attest: **error** · `.#does-not-exist`" in text
    assert (tmp_path / "o" / "report.md").is_file()
    assert "verdict<<" in outputs.read_text() and "\nfail\n" in outputs.read_text()


@pytest.mark.parametrize("closure", ["runtime", "buildtime"])
def test_run_store_paths_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, closure: str) -> None:
    monkeypatch.setenv("NIX_CONFIG", "substituters =")
    repo = tmp_path / "repo"
    two_commit_flake(repo)
    monkeypatch.chdir(repo)
    for key in ("GITHUB_EVENT_PATH", "GITHUB_REPOSITORY", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(key, raising=False)
    outputs = tmp_path / "outputs"
    outputs.touch()
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    args = ["run", ".#default", "--closure", closure, "--comment", "never", "-o", str(tmp_path / "o")]
    assert main(args) == 0
    text = outputs.read_text()
    value = text.split("store-paths<<", 1)[1].split("\n", 1)[1].split("\n")[0]
    assert value.startswith("/nix/store/") and value.endswith("-app-1.0.0") and Path(value).exists()
