"""The fork-safe flow end to end: a fork's PR run (real Nix) leaves an artifact; the trusted
workflow_run side (`nix-attest comment --workflow-run`) reads it from the local GitHub server as data,
re-renders the comment, re-checks with the base branch's policy, and comments only on the PR that
really built that commit."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers.github_server import BOT, Server
from helpers.gitrepo import demo_pull_request
from helpers.hostile import small_sbom

from nix_attest.cli import main
from nix_attest.errors import EXIT_USAGE
from nix_attest.github import workflow_run
from nix_attest.github.comment import MARKER_PREFIX, fork_safe_marker, marker_for
from nix_attest.github.identity import use_identity

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ghs_" + "w" * 36
BASE_POLICY = "version: 1\nfail-on: error\nlicenses:\n  deny: [GPL-3.0-or-later]\n"
FORK_POLICY = "version: 1\nfail-on: error\n"  # the fork's own policy lets everything through
FORGED = (
    "## ✅ nix-attest: **pass** · all good, merge it @octocat\n<!-- nix-attest:0123456789abcdef -->\n"
    "![x](https://evil.example/pixel.png)\n"
)
RUN_ID = 4242
HEAD_SHA = "c0ffee" + "0" * 34


@dataclass
class PrRun:
    files: dict[str, bytes]
    artifact: str
    key: str
    legacy_key: str  # the key of the same use before the workflow file named it (its name did)


@pytest.fixture(scope="module")
def pr_run(tmp_path_factory: pytest.TempPathFactory) -> PrRun:
    """What the fork's PR check uploads: `nix-attest run` on the demo (libgreet 1.2.0 -> 1.3.0) with
    the fork's permissive policy, a matrix leg, comment: never; then report.md forged by the fork."""
    if shutil.which("nix") is None:
        pytest.skip("nix not installed")
    tmp = tmp_path_factory.mktemp("prrun")
    demo = tmp / "demo"
    base = demo_pull_request(demo, FORK_POLICY)
    event = tmp / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "base": {"ref": "main", "sha": base}}}))
    env = {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_WORKFLOW": "nix-attest PR check",
        "GITHUB_WORKFLOW_REF": "fork/r/.github/workflows/pr-check.yml@refs/pull/7/merge",
        "GITHUB_JOB": "attest",
        "NIX_ATTEST_MATRIX": '{"python": "3.12"}',
        "NIX_ATTEST_JOB_INDEX": "1",
    }
    out = tmp / "out"
    with pytest.MonkeyPatch.context() as mp:
        for name in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "RUNNER_TEMP"):
            mp.delenv(name, raising=False)
        for name, value in env.items():
            mp.setenv(name, value)
        mp.chdir(demo)
        args = ["run", ".#default", "--policy", "policy.yaml", "--comment", "never", "-o", str(out)]
        assert main(args) == 0
        use = use_identity(
            ".#default", ".github/workflows/pr-check.yml/attest", legacy_job="nix-attest PR check/attest"
        )
    assert use.legacy_key is not None
    files = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert {"sbom.cdx.json", "diff.json", "policy.json", "report.md", "run.json"} <= set(files)
    files["report.md"] = FORGED.encode()
    return PrRun(files, use.artifact_name, use.key, use.legacy_key)


def workflow_run_event(tmp_path: Path, **overrides: object) -> Path:
    run: dict[str, object] = {
        "id": RUN_ID,
        "event": "pull_request",
        "conclusion": "success",
        "head_sha": HEAD_SHA,
        "head_branch": "patch",
        "head_repository": {"full_name": "fork/r"},
        "repository": {"full_name": "o/r"},
        "pull_requests": [],  # GitHub leaves it empty for pull requests from forks
        "html_url": f"https://github.example/o/r/actions/runs/{RUN_ID}",
    }
    run.update(overrides)
    path = tmp_path / "workflow_run.json"
    event = {"action": "completed", "workflow_run": run, "repository": {"full_name": "o/r"}}
    path.write_text(json.dumps(event))
    return path


@pytest.fixture
def trusted(tmp_path: Path, github: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The trusted workflow's environment; yields the base branch's policy file."""
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_TOKEN", "GH_TOKEN", "RUNNER_TEMP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_EVENT_NAME", "workflow_run")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(workflow_run_event(tmp_path)))
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("GITHUB_REPOSITORY", "o/r")
    monkeypatch.setenv("INPUT_GITHUB_TOKEN", TOKEN)
    policy = tmp_path / "base-policy.yaml"
    policy.write_text(BASE_POLICY)
    yield policy


def comment(policy: Path | None = None) -> int:
    return main(["comment", "--workflow-run", *(["--policy", str(policy)] if policy else [])])


def refused(trusted: Path, github: Server, capsys: pytest.CaptureFixture[str], why: str) -> None:
    """The trusted side refuses the run (exit 2) with a line saying ``why`` and writes nothing."""
    assert comment(trusted) == EXIT_USAGE
    assert why in capsys.readouterr().err
    assert not github.state.writes()


@pytest.mark.nix
def test_the_comment_is_rendered_here_and_checked_with_the_base_policy(
    pr_run: PrRun, trusted: Path, github: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    github.state.add_artifact("o/r", RUN_ID, pr_run.artifact, pr_run.files)
    github.state.add_pull("o/r", 7, HEAD_SHA, "fork/r")
    assert comment(trusted) == 0, capsys.readouterr().err
    (posted,) = github.state.comments[("o", "r", 7)]
    body = posted["body"]
    assert posted["user"]["login"] == BOT
    # the marker of the PR run's comment key (installable, job, matrix leg), namespaced, first and once
    assert body.startswith(fork_safe_marker(pr_run.key) + "\n") and body.count(MARKER_PREFIX) == 1
    # nothing of the forged report.md reached the comment
    for forged in ("all good", "@octocat", "evil.example", "0123456789abcdef"):
        assert forged not in body
    # the verdict is the base policy's (GPL-3.0-or-later denied), not the fork's pass
    assert "## ❌ nix-attest: **fail** · `.#default` · `python=3.12`" in body
    assert "licenses.deny" in body and "hello-app" in body
    # the diff the run computed is shown, escaped by the renderer
    assert "| `libgreet` | 1.2.0 | 1.3.0 |" in body
    # the archive came from storage without the token
    (blob,) = github.state.artifact_blob_requests()
    assert "Authorization" not in blob.headers
    assert "comment created on #7" in capsys.readouterr().out
    # a re-run edits the same comment
    assert comment(trusted) == 0
    assert len(github.state.comments[("o", "r", 7)]) == 1


@pytest.mark.nix
def test_an_artifact_naming_a_pull_request_of_another_repository_is_refused(
    pr_run: PrRun, trusted: Path, github: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    record = json.loads(pr_run.files["run.json"])
    record["pull_request"] = 9  # a PR the fork does not own, at the same commit
    files = {**pr_run.files, "run.json": json.dumps(record).encode()}
    github.state.add_artifact("o/r", RUN_ID, pr_run.artifact, files)
    github.state.add_pull("o/r", 9, HEAD_SHA, "someone-else/r")
    refused(trusted, github, capsys, "its head is in someone-else/r")


def test_same_repository_pull_requests_and_other_events_are_left_alone(
    tmp_path: Path, trusted: Path, github: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    same = workflow_run_event(tmp_path, head_repository={"full_name": "o/r"}, pull_requests=[{"number": 7}])
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(same))
    assert comment(trusted) == 0
    push = workflow_run_event(tmp_path, event="push")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(push))
    assert comment(trusted) == 0
    assert github.state.requests == []  # not even a listing


def test_a_cancelled_run_without_artifacts_is_no_error(
    tmp_path: Path,
    trusted: Path,
    github: Server,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(workflow_run_event(tmp_path, conclusion="cancelled")))
    github.state.add_artifact("o/r", RUN_ID, "other-tool-report", {"x.txt": b"x"})
    github.state.add_artifact("o/r", RUN_ID, "nix-attest-old", {"sbom.cdx.json": b"{}"}, expired=True)
    assert comment(trusted) == 0
    assert "left no nix-attest* artifact" in "".join(capsys.readouterr())
    assert not github.state.writes()


def test_an_artifact_without_an_sbom_is_skipped(
    trusted: Path, github: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    github.state.add_artifact("o/r", RUN_ID, "nix-attest-attest-x", {"report.md": FORGED.encode()})
    assert comment(trusted) == 0
    assert "has no sbom.cdx.json" in "".join(capsys.readouterr())
    assert not github.state.writes()


def test_not_a_workflow_run_event_is_bad_usage(
    tmp_path: Path, trusted: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request_target")
    assert comment(trusted) == EXIT_USAGE
    assert "workflow_run" in capsys.readouterr().err


# -- the pull request's identity, without Nix: a small artifact ------------------------------------------


def small_artifact(pull_request: int | None = 7, **record: object) -> dict[str, bytes]:
    """What a fork's run could upload: a small SBOM and a run.json claiming ``pull_request``."""
    doc = {"format": 1, "installable": ".#default", "comment_key": "k", "label": None}
    doc.update(record, pull_request=pull_request)
    return {"sbom.cdx.json": json.dumps(small_sbom("libfoo")).encode(), "run.json": json.dumps(doc).encode()}


def test_a_pull_request_whose_head_repository_is_gone_is_refused(
    trusted: Path, github: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    github.state.add_artifact("o/r", RUN_ID, "nix-attest-a", small_artifact())
    github.state.add_pull("o/r", 7, HEAD_SHA, None)  # the fork was deleted: GitHub says repo: null
    refused(trusted, github, capsys, "its head is in a deleted repository")


def test_a_pull_request_number_that_does_not_exist_is_refused(
    trusted: Path, github: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    github.state.add_artifact("o/r", RUN_ID, "nix-attest-a", small_artifact(pull_request=99))
    assert comment(trusted) == EXIT_USAGE
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "#99" in line and "no such pull request" in line
    assert not github.state.writes()


def test_a_same_repository_pull_request_is_left_alone_whatever_the_letter_case(
    tmp_path: Path, trusted: Path, github: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    same = workflow_run_event(tmp_path, head_repository={"full_name": "O/R"}, pull_requests=[{"number": 7}])
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(same))
    github.state.add_artifact("o/r", RUN_ID, "nix-attest-a", small_artifact())
    github.state.add_pull("o/r", 7, HEAD_SHA, "O/R")
    assert comment(trusted) == 0
    assert github.state.requests == []  # its own run comments: no second comment from here


def test_an_event_pull_request_of_another_repository_does_not_hide_the_right_one(
    tmp_path: Path,
    trusted: Path,
    github: Server,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """workflow_run.pull_requests can list a pull request of another repository (the fork's own PR
    from the same branch): its number means nothing here. The artifact's claim, checked, still works."""
    other = {
        "number": 3,
        "head": {"sha": HEAD_SHA, "repo": {"url": "https://api.github.example/repos/fork/r"}},
        "base": {"repo": {"url": "https://api.github.example/repos/fork/r"}},
    }
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(workflow_run_event(tmp_path, pull_requests=[other])))
    github.state.add_artifact("o/r", RUN_ID, "nix-attest-a", small_artifact(pull_request=7))
    github.state.add_pull("o/r", 3, "d" * 40, "someone/else")  # o/r's own #3: unrelated
    github.state.add_pull("o/r", 7, HEAD_SHA, "fork/r")
    assert comment(trusted) == 0, capsys.readouterr().err
    assert ("o", "r", 7) in github.state.comments and ("o", "r", 3) not in github.state.comments


def test_a_run_of_an_older_push_is_a_notice_not_a_failure(
    trusted: Path, github: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    """The PR moved on (a newer push, whose own run will comment): nothing to do, and nothing red."""
    github.state.add_artifact("o/r", RUN_ID, "nix-attest-a", small_artifact())
    github.state.add_pull("o/r", 7, "f" * 40, "fork/r")
    assert comment(trusted) == 0
    out = "".join(capsys.readouterr())
    assert "#7 is now at ffffffffffff" in out and HEAD_SHA[:12] in out
    assert not github.state.writes()


def test_the_comment_says_whose_data_it_shows(
    trusted: Path, github: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    github.state.add_artifact("o/r", RUN_ID, "nix-attest-a", small_artifact())
    github.state.add_pull("o/r", 7, HEAD_SHA, "fork/r")
    assert comment(trusted) == 0, capsys.readouterr().err
    (posted,) = github.state.comments[("o", "r", 7)]
    assert f"reported by the pull request's own run, fork/r at {HEAD_SHA[:12]}:" in posted["body"]


def test_an_artifact_over_the_size_bound_is_never_downloaded(
    trusted: Path, github: Server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(workflow_run, "MAX_ARCHIVE_BYTES", 1000)
    big = small_artifact(label="x" * 150)
    big["padding"] = random.Random(0).randbytes(10_000)  # incompressible
    github.state.add_artifact("o/r", RUN_ID, "nix-attest-a", big)
    github.state.add_pull("o/r", 7, HEAD_SHA, "fork/r")
    assert comment(trusted) == EXIT_USAGE
    assert "more than 1000" in capsys.readouterr().err
    assert not github.state.artifact_blob_requests()  # the listing said so: not even fetched


def test_an_archive_larger_than_listed_is_cut_off_at_the_bound(
    trusted: Path, github: Server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(workflow_run, "MAX_ARCHIVE_BYTES", 1000)
    big = small_artifact()
    big["padding"] = random.Random(0).randbytes(10_000)
    record = github.state.add_artifact("o/r", RUN_ID, "nix-attest-a", big)
    record["size_in_bytes"] = 10  # the listing understates it
    github.state.add_pull("o/r", 7, HEAD_SHA, "fork/r")
    refused(trusted, github, capsys, "larger than 1000 bytes")


def test_without_a_claim_the_pull_request_is_found_by_the_run_s_head_branch(
    trusted: Path, github: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    """No run.json (an older nix-attest, `nix-attest run` outside the action) or a claim that does
    not check out: GitHub's own list of open PRs from the run's head repository and branch, each
    checked like any candidate."""
    files = small_artifact()
    del files["run.json"]
    github.state.add_artifact("o/r", RUN_ID, "nix-attest-a", files)
    github.state.add_pull("o/r", 5, HEAD_SHA, "someone/r", head_ref="patch")  # another owner's branch
    github.state.add_pull("o/r", 8, HEAD_SHA, "fork/r", head_ref="patch")
    assert comment(trusted) == 0, capsys.readouterr().err
    assert list(github.state.comments) == [("o", "r", 8)]
    listing = [r for r in github.state.requests if r.path == "/repos/o/r/pulls"]
    assert [r.query["head"] for r in listing] == [["fork:patch"]]


def test_a_claim_of_a_pull_request_that_does_not_check_out_falls_back_to_the_head_branch(
    trusted: Path, github: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    github.state.add_artifact("o/r", RUN_ID, "nix-attest-a", small_artifact(pull_request=9))
    github.state.add_pull("o/r", 9, HEAD_SHA, "someone/r")  # the claim: someone else's
    github.state.add_pull("o/r", 8, HEAD_SHA, "fork/r", head_ref="patch")
    assert comment(trusted) == 0, capsys.readouterr().err
    assert list(github.state.comments) == [("o", "r", 8)]


def test_run_json_cannot_name_the_sticky_comment_of_another_workflow(
    trusted: Path, github: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    """The comment key in run.json is the fork's word. Another workflow of the base repository (a
    maintainer-triggered trusted build, say) keeps its own sticky comment on the same pull request,
    under a key anyone can work out (installable|workflow/job); a fork writing that key into its
    run.json must not turn that comment into the fork's account: the fork-safe comment's markers are
    its own (namespaced), so the other comment stays as it was and this one is posted beside it."""
    trusted_key = ".#default|nix-attest trusted build/attest"
    honest = f"{marker_for(trusted_key)}\n## ❌ nix-attest: **fail** · built here from the pull request\n"
    theirs = github.state.add_comment("o", "r", 7, BOT, honest)
    github.state.add_artifact("o/r", RUN_ID, "nix-attest-a", small_artifact(comment_key=trusted_key))
    github.state.add_pull("o/r", 7, HEAD_SHA, "fork/r")
    assert comment(trusted) == 0, capsys.readouterr().err
    comments = github.state.comments[("o", "r", 7)]
    assert len(comments) == 2
    assert comments[0]["id"] == theirs["id"] and comments[0]["body"] == honest
    assert not any(r.method == "PATCH" for r in github.state.writes())
    ours = comments[1]["body"]
    assert ours.startswith(fork_safe_marker(trusted_key) + "\n") and marker_for(trusted_key) not in ours
    # a re-run edits its own comment, still not the other one
    assert comment(trusted) == 0
    assert len(github.state.comments[("o", "r", 7)]) == 2
    assert github.state.comments[("o", "r", 7)][0]["body"] == honest


def test_a_run_s_artifacts_together_are_bounded_too(
    trusted: Path, github: Server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each artifact is bounded, and so is their sum: a fork's run can upload up to MAX_ARTIFACTS
    of them, each just under the bound, and every one is downloaded, parsed and scanned by the
    trusted job (100 x 64 MiB: hours of the base repository's runner, per push). Over the total the
    run is refused before anything is downloaded."""
    monkeypatch.setattr(workflow_run, "MAX_ARCHIVE_BYTES", 20_000)
    monkeypatch.setattr(workflow_run, "MAX_TOTAL_BYTES", 25_000)
    for leg in range(3):
        files = small_artifact(comment_key=f"k{leg}")
        files["padding"] = random.Random(leg).randbytes(10_000)  # incompressible: ~10 kB each
        github.state.add_artifact("o/r", RUN_ID, f"nix-attest-{leg}", files)
    github.state.add_pull("o/r", 7, HEAD_SHA, "fork/r")
    assert comment(trusted) == EXIT_USAGE
    assert "more than 25000 bytes together" in capsys.readouterr().err
    assert not github.state.artifact_blob_requests() and not github.state.writes()


def test_artifacts_larger_than_listed_are_bounded_together(
    trusted: Path, github: Server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The listing understates them: what was downloaded counts, and the download that would pass the
    total is cut off at what is left of it."""
    monkeypatch.setattr(workflow_run, "MAX_ARCHIVE_BYTES", 20_000)
    monkeypatch.setattr(workflow_run, "MAX_TOTAL_BYTES", 25_000)
    for leg in range(3):
        files = small_artifact(comment_key=f"k{leg}")
        files["padding"] = random.Random(leg).randbytes(10_000)
        github.state.add_artifact("o/r", RUN_ID, f"nix-attest-{leg}", files)["size_in_bytes"] = 10
    github.state.add_pull("o/r", 7, HEAD_SHA, "fork/r")
    assert comment(trusted) == EXIT_USAGE
    assert "more than 25000 bytes together" in capsys.readouterr().err
    assert len(github.state.comments[("o", "r", 7)]) == 2  # the first two fit; the third is refused


@pytest.mark.nix
def test_a_fork_safe_comment_of_an_earlier_version_is_adopted_not_duplicated(
    pr_run: PrRun, trusted: Path, github: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    """Earlier versions keyed the comment by the workflow's name: run.json carries that key too, and the
    comment the trusted side wrote under it is rewritten under the new marker, once."""
    old = github.state.add_comment("o", "r", 7, BOT, fork_safe_marker(pr_run.legacy_key) + "\nold report")
    github.state.add_artifact("o/r", RUN_ID, pr_run.artifact, pr_run.files)
    github.state.add_pull("o/r", 7, HEAD_SHA, "fork/r")
    assert comment(trusted) == 0, capsys.readouterr().err
    (posted,) = github.state.comments[("o", "r", 7)]
    assert posted["id"] == old["id"]
    assert (
        posted["body"].startswith(fork_safe_marker(pr_run.key) + "\n") and "old report" not in posted["body"]
    )
    assert comment(trusted) == 0
    assert len(github.state.comments[("o", "r", 7)]) == 1
