"""The sticky comment is keyed by the workflow *file* (GITHUB_WORKFLOW_REF's path), not the workflow's
``name:``: two workflow files with the same name each keep their own comment, on every branch and pull
request. Comments written under the old key (the name) are adopted once, not duplicated, on upgrade."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.github_server import BOT, Server

from nix_attest.cli import main
from nix_attest.github.comment import marker, upsert_comment
from nix_attest.github.context import PullRequestContext, pull_request_context
from nix_attest.github.http import GitHubClient
from nix_attest.github.identity import use_identity

TOKEN = "ghs_" + "k" * 36
INSTALLABLE = ".#hello"
OLD_MARK = marker(INSTALLABLE, "PR check/sbom")  # what earlier versions wrote: workflow name / job


def _env(workflow_file: str | None, ref: str = "refs/pull/5/merge") -> dict[str, str]:
    env = {"GITHUB_WORKFLOW": "PR check", "GITHUB_JOB": "sbom", "GITHUB_REPOSITORY": "octo/widgets"}
    if workflow_file is not None:
        env["GITHUB_WORKFLOW_REF"] = f"octo/widgets/.github/workflows/{workflow_file}@{ref}"
    return env


def _post(github: Server, env: dict[str, str], body: str) -> tuple[str, int | None]:
    ctx = pull_request_context(env)
    use = use_identity(INSTALLABLE, ctx.job, env=env, legacy_job=ctx.legacy_job)
    with GitHubClient(github.url, TOKEN, timeout=5) as client:
        legacy = (use.legacy_marker,) if use.legacy_marker else ()
        result = upsert_comment(client, "octo/widgets", 5, body, use.marker, legacy_marks=legacy)
    return result.action, result.comment_id


def _bodies(github: Server) -> list[str]:
    return [c["body"] for c in github.state.comments.get(("octo", "widgets", 5), [])]


def test_the_workflow_file_names_the_comment_on_every_ref() -> None:
    a = pull_request_context(_env("a.yml"))
    assert a.job == ".github/workflows/a.yml/sbom" and a.legacy_job == "PR check/sbom"
    assert pull_request_context(_env("a.yml", "refs/heads/main")).job == a.job
    assert pull_request_context(_env("b.yml")).job != a.job
    # a runner without GITHUB_WORKFLOW_REF (older GHES): the name, as before
    assert pull_request_context(_env(None)).job == "PR check/sbom"
    assert pull_request_context({}).job == PullRequestContext().job == "local"


def test_two_workflows_with_the_same_name_get_two_comments(github: Server) -> None:
    assert _post(github, _env("a.yml"), "from a")[0] == "created"
    assert _post(github, _env("b.yml"), "from b")[0] == "created"
    assert _post(github, _env("a.yml", "refs/heads/main"), "from a again")[0] == "updated"
    bodies = _bodies(github)
    assert len(bodies) == 2
    assert bodies[0].endswith("\nfrom a again") and bodies[1].endswith("\nfrom b")


def test_an_old_format_comment_is_adopted_once(github: Server) -> None:
    old = github.state.add_comment("octo", "widgets", 5, BOT, f"{OLD_MARK}\nreport of the old version")
    action, cid = _post(github, _env("a.yml"), "from a")
    assert (action, cid) == ("updated", old["id"])
    (body,) = _bodies(github)
    new_mark = body.split("\n", 1)[0]
    assert new_mark != OLD_MARK and body == f"{new_mark}\nfrom a"
    # adopted: the comment now carries the new marker, so the other workflow of that name gets its own
    assert _post(github, _env("b.yml"), "from b")[0] == "created"
    assert _post(github, _env("a.yml"), "from a, run 2") == ("updated", old["id"])
    assert len(_bodies(github)) == 2


def test_an_old_format_comment_by_someone_else_is_not_adopted(github: Server) -> None:
    github.state.add_comment("octo", "widgets", 5, "mallory", f"{OLD_MARK}\npasted marker")
    assert _post(github, _env("a.yml"), "from a")[0] == "created"
    assert _bodies(github)[0] == f"{OLD_MARK}\npasted marker"  # untouched
    assert len(_bodies(github)) == 2


def test_a_comment_under_the_new_key_wins_over_an_old_one(github: Server) -> None:
    """Both exist (e.g. a run of the new version before an old one wrote again): the new one is kept
    up to date and the old one is left alone."""
    _post(github, _env("a.yml"), "new")
    github.state.add_comment("octo", "widgets", 5, BOT, f"{OLD_MARK}\nold")
    first = _bodies(github)[0]
    _post(github, _env("a.yml"), "newer")
    assert _bodies(github) == [first.replace("\nnew", "\nnewer"), f"{OLD_MARK}\nold"]


def test_the_comment_command_adopts_an_old_format_comment(
    github: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in (
        "GITHUB_EVENT_PATH",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_OUTPUT",
        "GH_TOKEN",
        "INPUT_GITHUB_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**_env("a.yml"), "GITHUB_API_URL": github.url, "GITHUB_TOKEN": TOKEN}.items():
        monkeypatch.setenv(name, value)
    report = tmp_path / "report.md"
    report.write_text("## report\n")
    old = github.state.add_comment("octo", "widgets", 5, BOT, f"{marker('report', 'PR check/sbom')}\nold")
    args = ["comment", "--body-file", str(report), "--pr", "5", "--no-summary"]
    assert main(args) == 0
    assert main(args) == 0
    (body,) = _bodies(github)
    assert github.state.comments[("octo", "widgets", 5)][0]["id"] == old["id"]
    assert body == f"{marker('report', '.github/workflows/a.yml/sbom')}\n## report\n"
    assert capsys.readouterr().out.splitlines()[0].startswith("comment updated: ")
