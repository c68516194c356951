"""Run the root composite action.yml step by step like the runner, against the demo flake with real Nix
and a local GitHub REST server. The install step runs for real, but finds the environment already in
place (``prepare_action``: the test venv where install.sh looks for it); the real install needs PyPI
and is exercised by tests/action/test_install.py."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from action_runner import ActionRun, prepare_action, run_action
from helpers.github_server import BOT, Server
from helpers.gitrepo import git

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ghs_" + "k" * 36
POLICY = "version: 1\nfail-on: error\nlicenses:\n  deny: [GPL-3.0-or-later]\n"

CHECK_NIX = "Check that Nix is installed"

pytestmark = pytest.mark.nix


@pytest.fixture
def action_dir(tmp_path: Path) -> Path:
    return prepare_action(tmp_path)[0]


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, str]:
    """The demo flake at two commits: base (libgreet 1.2.0), head (libgreet 1.3.0 + a policy)."""
    if shutil.which("nix") is None:
        pytest.skip("nix not installed")
    ws = tmp_path / "ws"
    demo = ws / "demo"
    demo.mkdir(parents=True)
    flake = (REPO_ROOT / "examples" / "demo" / "flake.nix").read_text()
    assert 'version = "1.2.0";' in flake
    (demo / "flake.nix").write_text(flake)
    git(demo, "init", "-q", "-b", "main")
    git(demo, "add", "flake.nix")
    git(demo, "commit", "-q", "-m", "base")
    base = git(demo, "rev-parse", "HEAD")
    (demo / "flake.nix").write_text(flake.replace('version = "1.2.0";', 'version = "1.3.0";'))
    (demo / "policy.yaml").write_text(POLICY)
    git(demo, "add", "flake.nix", "policy.yaml")
    git(demo, "commit", "-q", "-m", "head")
    return ws, base


def env_for(tmp_path: Path, github: Server, base: str, *, path: str | None = None) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "base": {"ref": "main", "sha": base}}}))
    return {
        "PATH": path if path is not None else os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "NIX_CONFIG": "substituters =",
        "GITHUB_API_URL": github.url,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_RUN_ID": "42",
        "GITHUB_WORKFLOW": "PR",
        "GITHUB_JOB": "attest",
    }


def run(action_dir: Path, ws: Path, tmp_path: Path, env: dict[str, str], name: str) -> ActionRun:
    runner_temp = tmp_path / name
    runner_temp.mkdir()
    inputs = {
        "installable": ".#default",
        "policy": "policy.yaml",
        "working-directory": "demo",
        "artifact-name": "nix-attest-demo",
    }
    return run_action(action_dir, inputs, env=env, workspace=ws, runner_temp=runner_temp, token=TOKEN)


def test_action_end_to_end(
    action_dir: Path, workspace: tuple[Path, str], github: Server, tmp_path: Path
) -> None:
    ws, base = workspace
    env = env_for(tmp_path, github, base)
    result = run(action_dir, ws, tmp_path, env, "run1")
    check, install, main, upload = (result.step(s) for s in (CHECK_NIX, "install", "run", "upload"))
    assert check.ran and check.returncode == 0
    assert install.returncode == 0
    assert install.outputs == {"bin": f"{action_dir}/.nix-attest-bin/nix-attest"}
    # the policy denies GPL-3.0-or-later (hello-app): the step fails with exit 1, outputs are still set
    assert main.returncode == 1, main.stderr
    assert result.failed
    out = result.outputs
    assert out["verdict"] == "fail"
    assert out["violations"] == "1"
    sbom_path = Path(out["sbom-path"])
    assert sbom_path == tmp_path / "run1" / "nix-attest-out" / "sbom.cdx.json" and sbom_path.is_file()
    assert out["store-paths"].startswith("/nix/store/") and out["store-paths"].endswith("-hello-app-1.0.0")
    assert Path(out["store-paths"]).exists()
    assert out["reproducible"] == "" and out["bundle-paths"] == "" and out["attestation-urls"] == ""
    assert out["comment-url"].startswith("https://github.example/o/r/pull/7#issuecomment-")
    # upload runs although the policy failed, with the whole output directory
    assert upload.ran and upload.uses is not None and upload.uses.startswith("actions/upload-artifact@")
    assert upload.with_["name"] == "nix-attest-demo"
    produced = sorted(p.name for p in Path(upload.with_["path"]).iterdir())
    assert produced == ["diff.json", "policy.json", "report.md", "sbom.cdx.json"]
    # job summary: verdict, counts, the violation and the diff against the PR base
    summary = result.summary
    assert "## ❌ nix-attest: **fail** · `.#default`" in summary
    assert "runtime components: **3**" in summary
    assert "`hello-app 1.0.0`" in summary and "licenses.deny" in summary
    assert "| `libgreet` | 1.2.0 | 1.3.0 |" in summary
    assert "::error::nix-attest: policy failed" in main.stdout
    # the sticky comment, by the bot, with the marker
    comments = github.state.comments[("o", "r", 7)]
    assert len(comments) == 1 and comments[0]["user"]["login"] == BOT
    assert comments[0]["body"].startswith("<!-- nix-attest:")
    assert "| `libgreet` | 1.2.0 | 1.3.0 |" in comments[0]["body"]
    # the token is masked, never printed otherwise
    for step in result.steps:
        text = step.stdout.replace(f"::add-mask::{TOKEN}", "") + step.stderr
        assert TOKEN not in text

    # a re-run updates nothing new: still exactly one comment
    again = run(action_dir, ws, tmp_path, env, "run2")
    assert again.outputs["comment-url"] == out["comment-url"]
    assert len(github.state.comments[("o", "r", 7)]) == 1
    assert [r.method for r in github.state.writes()] == ["POST"]


def test_action_fails_clearly_without_nix(
    workspace: tuple[Path, str], github: Server, tmp_path: Path
) -> None:
    ws, base = workspace
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "python3").symlink_to(Path(sys.executable).resolve())
    for tool in ("bash", "git", "realpath", "dirname", "od", "tr", "mktemp", "cat", "chmod", "mv"):
        found = shutil.which(tool)
        if found:
            (bare / tool).symlink_to(found)
    action_dir = prepare_action(tmp_path, env_path=str(bare))[0]
    result = run(action_dir, ws, tmp_path, env_for(tmp_path, github, base, path=str(bare)), "nonix")
    check, install, main, upload = (result.step(s) for s in (CHECK_NIX, "install", "run", "upload"))
    assert check.returncode == 1
    lines = check.stdout.strip().splitlines()
    assert lines == [
        "::error::nix-attest needs Nix: add DeterminateSystems/nix-installer-action or "
        "cachix/install-nix-action before this step"
    ]
    assert not install.ran and not main.ran
    assert upload.ran  # if: always()
    assert ("o", "r", 7) not in github.state.comments
