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
from action_runner import ActionRun, Job, prepare_action, run_action
from helpers.github_server import BOT, Server
from helpers.gitrepo import demo_pull_request

from nix_attest.github.comment import marker_for

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
    base = demo_pull_request(ws / "demo", POLICY)
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
        "GITHUB_WORKFLOW_REF": "o/r/.github/workflows/pr.yml@refs/pull/7/merge",
        "GITHUB_JOB": "attest",
    }


def run(
    action_dir: Path, ws: Path, tmp_path: Path, env: dict[str, str], name: str, **extra: str
) -> ActionRun:
    runner_temp = tmp_path / name
    runner_temp.mkdir()
    inputs = {
        "installable": ".#default",
        "policy": "policy.yaml",
        "working-directory": "demo",
        "artifact-name": "nix-attest-demo",
        **extra,
    }
    return run_action(action_dir, inputs, env=env, workspace=ws, runner_temp=runner_temp, token=TOKEN)


def test_action_end_to_end(
    action_dir: Path, workspace: tuple[Path, str], github: Server, tmp_path: Path
) -> None:
    ws, base = workspace
    # a nix on PATH that logs its environment: the job's secrets, those the scrub-env input names and
    # those a job-level NIX_ATTEST_SCRUB_ENV names, never reach it
    seen = tmp_path / "nix-env.log"
    wrapper = tmp_path / "wrap" / "nix"
    wrapper.parent.mkdir()
    # ... and its address-space limit: the eval-memory input, or the job's NIX_ATTEST_EVAL_MEMORY
    wrapper.write_text(
        f'#!/bin/sh\nenv >> {seen}\necho "ulimit-v=$(ulimit -v)" >> {seen}\nexec {shutil.which("nix")} "$@"\n'
    )
    wrapper.chmod(0o755)
    env = env_for(tmp_path, github, base, path=f"{wrapper.parent}:{os.environ['PATH']}")
    secrets = {"MY_DEPLOY_KEY": "deploy-key-value", "JOB_LEVEL_THING": "job-level-value"}
    env.update(secrets, NIX_ATTEST_SCRUB_ENV="JOB_LEVEL_*", NIX_ATTEST_EVAL_MEMORY="3 GiB")
    inputs = {"scrub-env": "MY_DEPLOY_*, OTHER", "eval-seconds": "300"}
    result = run(action_dir, ws, tmp_path, env, "run1", **inputs)
    logged = seen.read_text()
    assert "NIX_ATTEST_EVAL_SECONDS=300\n" in logged and "ulimit-v=3145728\n" in logged  # 3 GiB in KiB
    assert "ulimit-v=unlimited\n" in logged  # the build is not bounded
    assert "GITHUB_REPOSITORY=o/r" in logged
    for value in (*secrets.values(), TOKEN):
        assert value not in logged
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
    assert sbom_path.parent.parent == tmp_path / "run1" / "nix-attest-out" and sbom_path.is_file()
    assert sbom_path.name == "sbom.cdx.json" and out["artifact-name"] == "nix-attest-demo"
    assert out["store-paths"].startswith("/nix/store/") and out["store-paths"].endswith("-hello-app-1.0.0")
    assert Path(out["store-paths"]).exists()
    assert out["reproducible"] == "" and out["bundle-paths"] == "" and out["attestation-urls"] == ""
    assert out["comment-url"].startswith("https://github.example/o/r/pull/7#issuecomment-")
    # upload runs although the policy failed, with the whole output directory
    assert upload.ran and upload.uses is not None and upload.uses.startswith("actions/upload-artifact@")
    assert upload.with_["name"] == "nix-attest-demo"
    produced = sorted(p.name for p in Path(upload.with_["path"]).iterdir())
    assert produced == ["diff.json", "policy.json", "report.md", "run.json", "sbom.cdx.json"]
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
    assert not upload.ran  # nothing was produced: no upload (and no upload under an empty name)
    assert ("o", "r", 7) not in github.state.comments


def use(
    action_dir: Path, ws: Path, runner_temp: Path, env: dict[str, str], job: Job, **inputs: str
) -> ActionRun:
    """One use of the root action in a job (its runner_temp is the job's: shared by its uses)."""
    runner_temp.mkdir(exist_ok=True)
    given = {"working-directory": "demo", **inputs}
    return run_action(action_dir, given, env=env, workspace=ws, runner_temp=runner_temp, token=TOKEN, job=job)


def no_diff_env(tmp_path: Path, github: Server, **extra: str) -> dict[str, str]:
    """A pull_request event without a base: no supply-chain diff, so each use is one evaluation."""
    event = tmp_path / "event-nobase.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    return {**env_for(tmp_path, github, ""), "GITHUB_EVENT_PATH": str(event), **extra}


def uploaded(result: ActionRun) -> str:
    step = result.step("upload")
    assert step.ran and step.returncode == 0, step.stderr
    assert Path(step.with_["path"]).is_dir() and (Path(step.with_["path"]) / "sbom.cdx.json").is_file()
    return step.with_["name"]


def test_several_uses_in_one_job_upload_and_comment_separately(
    workspace: tuple[Path, str], github: Server, tmp_path: Path
) -> None:
    ws, _ = workspace
    action_dir, job = prepare_action(tmp_path)
    env = no_diff_env(tmp_path, github)
    temp = tmp_path / "job"
    first = use(action_dir, ws, temp, env, job, installable=".#default")
    second = use(action_dir, ws, temp, env, job, installable=".#greet-cli")
    # the same installable again (another closure): its own artifact; the same comment unless grouped
    again = use(action_dir, ws, temp, env, job, installable=".#default", closure="buildtime")
    grouped = use(action_dir, ws, temp, env, job, installable=".#default", **{"comment-group": "buildtime"})
    runs = (first, second, again, grouped)
    assert not any(r.failed for r in runs), [r.step("run").stderr for r in runs]
    names = [uploaded(r) for r in runs]
    assert job.artifacts == names and len(set(names)) == 4
    assert names[2] == f"{names[0]}-2"  # the same default twice in one job: made unique, with a warning
    assert f"artifact name {names[0]!r} was already used in this job" in again.step("run").stdout
    assert [r.outputs["artifact-name"] for r in runs] == names
    # their files stay apart: each artifact holds its own SBOM
    sboms = [json.loads((Path(r.step("upload").with_["path"]) / "sbom.cdx.json").read_text()) for r in runs]
    assert [s["metadata"]["component"]["name"] for s in sboms[:2]] == ["hello-app", "greet-cli"]
    # three comments: default (written, then updated by the buildtime use), greet-cli, the group
    comments = github.state.comments[("o", "r", 7)]
    assert len(comments) == 3
    urls = [r.outputs["comment-url"] for r in runs]
    assert urls[0] == urls[2] and len({urls[0], urls[1], urls[3]}) == 3
    assert "`buildtime`" in comments[2]["body"].splitlines()[1]  # the group names the comment
    # the environment was installed once: the second use found it and skipped the cache steps
    assert not second.step("Restore the nix-attest environment").ran
    assert second.step("nix-attest-env").outputs["ready"] == "true"


def test_matrix_legs_get_an_artifact_and_a_comment_each(
    workspace: tuple[Path, str], github: Server, tmp_path: Path
) -> None:
    ws, _ = workspace
    action_dir, first_job = prepare_action(tmp_path)
    env = no_diff_env(tmp_path, github)
    # leg 0's comment as a version that keyed it by the workflow's name wrote it: adopted, not doubled
    old_key = '.#default|PR/attest|{"python":"3.11"}'
    old = github.state.add_comment("o", "r", 7, BOT, f"{marker_for(old_key)}\nold report")
    legs = []
    for index, python in enumerate(("3.11", "3.12")):
        # each leg is a job of its own: its own runner temp, the workflow run's artifacts
        job = Job(first_job.tool_cache, first_job.artifacts, first_job.caches, index, {"python": python})
        legs.append(use(action_dir, ws, tmp_path / f"leg{index}", env, job, installable=".#default"))
    assert not any(leg.failed for leg in legs), [leg.step("run").stderr for leg in legs]
    names = [uploaded(leg) for leg in legs]
    assert first_job.artifacts == names and names[0] != names[1]
    assert names[0].startswith("nix-attest-attest-0-default-") and names[1].startswith("nix-attest-attest-1-")
    comments = github.state.comments[("o", "r", 7)]
    assert len(comments) == 2
    markers = {c["body"].splitlines()[0] for c in comments}
    assert len(markers) == 2 and marker_for(old_key) not in markers
    assert comments[0]["id"] == old["id"] and "old report" not in comments[0]["body"]
    assert "`python=3.11`" in comments[0]["body"] and "`python=3.12`" in comments[1]["body"]
    # a re-run of leg 0 updates its own comment, not leg 1's
    job0 = Job(first_job.tool_cache, [], first_job.caches, 0, {"python": "3.11"})
    rerun = use(action_dir, ws, tmp_path / "leg0-rerun", env, job0, installable=".#default")
    assert rerun.outputs["comment-url"] == legs[0].outputs["comment-url"]
    assert len(github.state.comments[("o", "r", 7)]) == 2


def test_upload_artifact_refuses_a_name_twice_in_the_harness(tmp_path: Path) -> None:
    """The harness behaves like upload-artifact v4, so the tests above can fail."""
    action = tmp_path / "a"
    action.mkdir()
    (action / "action.yml").write_text(
        "runs:\n  using: composite\n  steps:\n"
        "    - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02\n"
        "      with: {name: same, path: x}\n"
    )
    job = Job(tmp_path / "tc")
    temp = tmp_path / "t"
    temp.mkdir()
    assert not run_action(action, {}, env={}, workspace=tmp_path, runner_temp=temp, token="", job=job).failed
    assert run_action(action, {}, env={}, workspace=tmp_path, runner_temp=temp, token="", job=job).failed


def test_action_submits_the_dependency_graph_and_names_the_author(
    action_dir: Path, workspace: tuple[Path, str], github: Server, tmp_path: Path
) -> None:
    """`dependency-graph: true` and `sbom-author` through the composite action's env mapping."""
    ws, base = workspace
    env = {**env_for(tmp_path, github, base), "GITHUB_SHA": "d" * 40, "GITHUB_REF": "refs/pull/7/merge"}
    inputs = {
        "installable": ".#default",
        "working-directory": "demo",
        "comment": "never",
        "dependency-graph": "true",
        "sbom-author": "ACME Corp <sbom@acme.example>",
    }
    runner_temp = tmp_path / "dg"
    runner_temp.mkdir()
    result = run_action(action_dir, inputs, env=env, workspace=ws, runner_temp=runner_temp, token=TOKEN)
    main = result.step("run")
    assert main.returncode == 0, main.stderr
    assert "dependency graph snapshot 1 success" in main.stdout
    ((repository, body),) = github.state.snapshots
    assert repository == "o/r" and body["sha"] == "d" * 40 and body["ref"] == "refs/pull/7/merge"
    manifest = body["manifests"][".#default"]
    assert manifest["file"] == {"source_location": "flake.nix"}
    scopes = {p: e["scope"] for p, e in manifest["resolved"].items()}
    # the buildtime closure: runtime members are `runtime`, the build tool and the source `development`
    assert (
        scopes["pkg:nix/greet-cli@0.3.1"] == "runtime" and scopes["pkg:nix/build-tool@0.9"] == "development"
    )
    assert scopes["pkg:nix/greeting@1.0"] == "development"
    sbom = json.loads(Path(result.outputs["sbom-path"]).read_text())
    assert sbom["metadata"]["authors"] == [{"name": "ACME Corp", "email": "sbom@acme.example"}]
