"""A comment is ours only when it STARTS with our marker AND our identity wrote it: another job's report
quoting our marker (a component named like it), or a user pasting it, never gets PATCHed."""

from __future__ import annotations

from helpers.github_server import BOT, Server

from nix_attest.github.comment import is_ours, marker, upsert_comment
from nix_attest.github.http import GitHubClient

TOKEN = "ghs_" + "x" * 36
MARK = marker(".#app", "pr/sbom")
OTHER = marker(".#app", "pr/other")


def test_a_marker_inside_another_comment_does_not_make_it_ours(github: Server, sleeps: list[float]) -> None:
    others = github.state.add_comment("o", "r", 5, BOT, f"{OTHER}\ncomponent named `{MARK}`")
    gh = GitHubClient(github.url, TOKEN, sleep=sleeps.append, timeout=5)
    result = upsert_comment(gh, "o/r", 5, "our report", MARK)
    assert result.action == "created" and result.comment_id != others["id"]
    assert others["body"] == f"{OTHER}\ncomponent named `{MARK}`"  # the other job's comment untouched
    again = upsert_comment(gh, "o/r", 5, f"report naming `{OTHER}`", MARK)
    assert again.action == "updated" and again.comment_id == result.comment_id
    stored = {c["id"]: c["body"] for c in github.state.comments[("o", "r", 5)]}
    assert stored[result.comment_id].startswith(f"{MARK}\n") and OTHER not in stored[result.comment_id]
    third = upsert_comment(gh, "o/r", 5, "other job again", OTHER)  # the other job still finds its own
    assert third.action == "updated" and third.comment_id == others["id"]


def test_is_ours() -> None:
    mine = {"user": {"login": BOT}, "body": f"{MARK}\nx"}
    assert is_ours(mine, MARK, BOT)
    assert not is_ours({**mine, "user": {"login": "mallory"}}, MARK, BOT)
    assert not is_ours({**mine, "body": f"x\n{MARK}"}, MARK, BOT)
    assert not is_ours({**mine, "body": f" {MARK}"}, MARK, BOT)
    assert not is_ours({**mine, "body": None}, MARK, BOT)
    assert not is_ours({"body": f"{MARK}\nx"}, MARK, BOT)


def test_results_carry_the_comment_id_and_url(github: Server, sleeps: list[float]) -> None:
    """What the action outputs as comment-url, for each of created, unchanged and updated."""
    gh = GitHubClient(github.url, TOKEN, sleep=sleeps.append, timeout=5)
    created = upsert_comment(gh, "o/r", 5, "report", MARK)
    stored = github.state.comments[("o", "r", 5)][0]
    assert (created.comment_id, created.url) == (stored["id"], stored["html_url"])
    unchanged = upsert_comment(gh, "o/r", 5, "report", MARK)
    assert (unchanged.action, unchanged.comment_id, unchanged.url) == (
        "unchanged",
        stored["id"],
        stored["html_url"],
    )
    updated = upsert_comment(gh, "o/r", 5, "report v2", MARK)
    assert (updated.action, updated.comment_id, updated.url) == ("updated", stored["id"], stored["html_url"])
    assert [r.method for r in github.state.writes()] == ["POST", "PATCH"]


def test_an_oversized_report_ends_with_the_truncation_note(github: Server, sleeps: list[float]) -> None:
    gh = GitHubClient(github.url, TOKEN, sleep=sleeps.append, timeout=5)
    upsert_comment(gh, "o/r", 5, "x" * 70_000, MARK)
    body = github.state.comments[("o", "r", 5)][0]["body"]
    assert len(body) == 65_536
    assert body.startswith(f"{MARK}\nxxx") and body.endswith("xxx\n\n_(truncated: see the job summary)_\n")
