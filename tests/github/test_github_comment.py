from __future__ import annotations

import pytest
from helpers.github_server import BOT, Fault, Server

from nix_attest.errors import InputError
from nix_attest.github.comment import (
    FORK_WARNING,
    marker,
    split_repository,
    token_author,
    upsert_comment,
)
from nix_attest.github.http import GitHubClient, GitHubError
from nix_attest.github.limits import MAX_COMMENT_CHARS

ACTIONS_TOKEN = "ghs_" + "x" * 36
PAT = "ghp_" + "p" * 36
MARK = marker(".#hello", "pr-check/sbom")


def bot(server: Server, sleeps: list[float]) -> GitHubClient:
    return GitHubClient(server.url, ACTIONS_TOKEN, sleep=sleeps.append, timeout=5)


def test_marker_is_stable_and_distinct() -> None:
    assert marker(".#hello", "pr-check/sbom") == MARK
    assert MARK.startswith("<!-- nix-attest:") and MARK.endswith(" -->")
    assert len(MARK) == len("<!-- nix-attest: -->") + 16
    assert marker(".#hello", "other-job") != MARK
    assert marker(".#other", "pr-check/sbom") != MARK


def test_split_repository() -> None:
    assert split_repository("o/r") == ("o", "r")
    for bad in ("o", "o/", "/r", "o/r/x"):
        with pytest.raises(InputError):
            split_repository(bad)


def test_author_for_tokens(github: Server, sleeps: list[float]) -> None:
    github.state.users[PAT] = "alice"
    assert token_author(bot(github, sleeps)) == BOT
    assert not github.state.requests  # no GET /user needed for ghs_ tokens
    assert token_author(GitHubClient(github.url, PAT, sleep=sleeps.append)) == "alice"
    github.state.faults.append(Fault(403, body={"message": "Resource not accessible by integration"}))
    assert token_author(GitHubClient(github.url, PAT, sleep=sleeps.append)) == BOT


def test_create_then_update_then_unchanged(github: Server, sleeps: list[float]) -> None:
    gh = bot(github, sleeps)
    first = upsert_comment(gh, "o/r", 5, "report v1", MARK)
    assert first.action == "created" and first.comment_id is not None
    assert first.url and first.url.endswith(f"#issuecomment-{first.comment_id}")
    stored = github.state.comments[("o", "r", 5)]
    assert len(stored) == 1 and stored[0]["body"] == f"{MARK}\nreport v1"

    second = upsert_comment(gh, "o/r", 5, "report v2", MARK)
    assert second.action == "updated" and second.comment_id == first.comment_id
    assert len(stored) == 1 and stored[0]["body"] == f"{MARK}\nreport v2"

    third = upsert_comment(gh, "o/r", 5, "report v2", MARK)
    assert third.action == "unchanged"
    assert [r.method for r in github.state.writes()] == ["POST", "PATCH"]


def test_rerun_never_duplicates(github: Server, sleeps: list[float]) -> None:
    for i in range(3):
        upsert_comment(bot(github, sleeps), "o/r", 9, f"run {i}", MARK)
    assert len(github.state.comments[("o", "r", 9)]) == 1


def test_other_jobs_and_installables_get_their_own(github: Server, sleeps: list[float]) -> None:
    gh = bot(github, sleeps)
    upsert_comment(gh, "o/r", 5, "a", MARK)
    upsert_comment(gh, "o/r", 5, "b", marker(".#hello", "another-job"))
    assert len(github.state.comments[("o", "r", 5)]) == 2


def test_pagination_past_100_comments(github: Server, sleeps: list[float]) -> None:
    for i in range(130):
        github.state.add_comment("o", "r", 5, "someone", f"chatter {i}")
    ours = github.state.add_comment("o", "r", 5, BOT, f"{MARK}\nold")
    for i in range(40):
        github.state.add_comment("o", "r", 5, "someone", f"more {i}")
    result = upsert_comment(bot(github, sleeps), "o/r", 5, "new", MARK)
    assert result.action == "updated" and result.comment_id == ours["id"]
    assert ours["body"] == f"{MARK}\nnew"
    lists = [r for r in github.state.requests if r.method == "GET"]
    assert [r.query.get("page", ["1"])[0] for r in lists] == ["1", "2"]
    assert lists[0].query["per_page"] == ["100"]


def test_another_authors_comment_with_marker_is_ignored(github: Server, sleeps: list[float]) -> None:
    spoof = github.state.add_comment("o", "r", 5, "mallory", f"{MARK}\nfake")
    result = upsert_comment(bot(github, sleeps), "o/r", 5, "real", MARK)
    assert result.action == "created" and result.comment_id != spoof["id"]
    assert spoof["body"] == f"{MARK}\nfake"
    assert len(github.state.comments[("o", "r", 5)]) == 2


def test_personal_token_matches_its_login(github: Server, sleeps: list[float]) -> None:
    github.state.users[PAT] = "alice"
    github.state.add_comment("o", "r", 5, BOT, f"{MARK}\nbot's")
    mine = github.state.add_comment("o", "r", 5, "alice", f"{MARK}\nalice's")
    result = upsert_comment(GitHubClient(github.url, PAT, sleep=sleeps.append), "o/r", 5, "x", MARK)
    assert result.action == "updated" and result.comment_id == mine["id"]


def test_fork_403_is_a_warning(github: Server, sleeps: list[float]) -> None:
    github.state.read_only.add(ACTIONS_TOKEN)
    result = upsert_comment(bot(github, sleeps), "o/r", 5, "x", MARK)
    assert result.action == "skipped" and result.comment_id is None
    assert result.warning and result.warning.startswith(FORK_WARNING)
    assert "workflow_run" in result.warning and "Resource not accessible by integration" in result.warning
    assert "\n" not in result.warning
    assert ACTIONS_TOKEN not in result.warning
    assert ("o", "r", 5) not in github.state.comments


def test_other_errors_still_raise(github: Server, sleeps: list[float]) -> None:
    github.state.faults.append(Fault(422, body={"message": "Validation Failed"}, method="POST"))
    with pytest.raises(GitHubError, match="422 Validation Failed"):
        upsert_comment(bot(github, sleeps), "o/r", 5, "x", MARK)


def test_5xx_while_listing_then_success(github: Server, sleeps: list[float]) -> None:
    github.state.faults += [Fault(502, method="GET"), Fault(500, method="GET")]
    result = upsert_comment(bot(github, sleeps), "o/r", 5, "x", MARK)
    assert result.action == "created"
    assert len(github.state.comments[("o", "r", 5)]) == 1


def test_429_on_post_with_retry_after(github: Server, sleeps: list[float]) -> None:
    github.state.faults.append(Fault(429, {"Retry-After": "2"}, method="POST"))
    result = upsert_comment(bot(github, sleeps), "o/r", 5, "x", MARK)
    assert result.action == "created" and sleeps == [2.0]
    assert len(github.state.comments[("o", "r", 5)]) == 1


def test_oversized_body_is_cut_to_the_limit(github: Server, sleeps: list[float]) -> None:
    result = upsert_comment(bot(github, sleeps), "o/r", 5, "y" * 200_000, MARK)
    assert result.action == "created"
    body = github.state.comments[("o", "r", 5)][0]["body"]
    assert len(body) <= MAX_COMMENT_CHARS and body.startswith(MARK) and "truncated" in body


def test_create_false_only_updates(github: Server, sleeps: list[float]) -> None:
    gh = bot(github, sleeps)
    assert upsert_comment(gh, "o/r", 5, "fixed", MARK, create=False).action == "skipped"
    assert ("o", "r", 5) not in github.state.comments
    upsert_comment(gh, "o/r", 5, "failing", MARK)
    assert upsert_comment(gh, "o/r", 5, "fixed", MARK, create=False).action == "updated"
    assert github.state.comments[("o", "r", 5)][0]["body"].endswith("fixed")
