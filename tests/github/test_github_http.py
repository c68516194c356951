from __future__ import annotations

import pytest
from helpers.github_server import Fault, Server

from nix_attest.errors import ExternalError
from nix_attest.github.http import (
    USER_AGENT,
    GitHubAuthError,
    GitHubClient,
    GitHubError,
    GitHubNotFoundError,
    GitHubPermissionError,
    GitHubRateLimitError,
)

TOKEN = "ghp_" + "a" * 36


def client(server: Server, sleeps: list[float], **kw: object) -> GitHubClient:
    server.state.users[TOKEN] = "octocat"
    return GitHubClient(server.url, TOKEN, sleep=sleeps.append, timeout=5, **kw)  # type: ignore[arg-type]


def test_headers_and_json(github: Server, sleeps: list[float]) -> None:
    with client(github, sleeps) as gh:
        assert gh.get_json("/user") == {"login": "octocat"}
    req = github.state.requests[-1]
    assert req.headers["User-Agent"] == USER_AGENT
    assert req.headers["Accept"] == "application/vnd.github+json"
    assert req.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert req.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sleeps == []


def test_api_url_from_env(github: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_API_URL", github.url + "/")
    assert GitHubClient(token=TOKEN).api_url == github.url
    monkeypatch.delenv("GITHUB_API_URL")
    assert GitHubClient(token=TOKEN).api_url == "https://api.github.com"


def test_5xx_then_success_get(github: Server, sleeps: list[float]) -> None:
    github.state.faults += [Fault(502, body={"message": "bad gateway"}), Fault(503)]
    with client(github, sleeps, backoff_factor=0.5) as gh:
        assert gh.get_json("/user")["login"] == "octocat"
    assert [r.path for r in github.state.requests] == ["/user"] * 3
    assert sleeps == [1.0]  # urllib3: no sleep after the first failure, then factor * 2


def test_5xx_exhausted_raises_typed_error(github: Server, sleeps: list[float]) -> None:
    github.state.faults += [Fault(500, body={"message": "boom"})] * 3
    with client(github, sleeps, retries=2) as gh, pytest.raises(GitHubError) as err:
        gh.request("GET", "/user")
    assert isinstance(err.value, ExternalError)
    assert err.value.status == 500
    assert str(err.value) == "GitHub API GET /user: 500 boom"


def test_post_not_retried_on_5xx(github: Server, sleeps: list[float]) -> None:
    github.state.faults.append(Fault(502, method="POST"))
    with client(github, sleeps) as gh, pytest.raises(GitHubError):
        gh.request("POST", "/repos/o/r/issues/1/comments", json={"body": "x"})
    assert len(github.state.writes()) == 1


def test_429_retry_after_honoured_for_post(github: Server, sleeps: list[float]) -> None:
    github.state.faults.append(Fault(429, {"Retry-After": "7"}, {"message": "slow down"}, method="POST"))
    with client(github, sleeps) as gh:
        resp = gh.request("POST", "/repos/o/r/issues/1/comments", json={"body": "x"})
    assert resp.status_code == 201
    assert sleeps == [7.0]
    assert len(github.state.comments[("o", "r", 1)]) == 1


def test_429_retry_after_honoured_for_get(github: Server, sleeps: list[float]) -> None:
    github.state.faults.append(Fault(429, {"Retry-After": "3"}))
    with client(github, sleeps) as gh:
        assert gh.get_json("/user")["login"] == "octocat"
    assert sleeps == [3.0]


def test_secondary_rate_limit_403(github: Server, sleeps: list[float]) -> None:
    github.state.faults.append(
        Fault(403, {}, {"message": "You have exceeded a secondary rate limit. Please wait."})
    )
    github.state.faults.append(Fault(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "0"}))
    with client(github, sleeps) as gh:
        assert gh.get_json("/user")["login"] == "octocat"
    assert sleeps[0] == 60.0 and sleeps[1] == 1.0


def test_rate_limit_too_long_raises(github: Server, sleeps: list[float]) -> None:
    github.state.faults.append(Fault(403, {"Retry-After": "3600"}, {"message": "rate limit"}))
    with client(github, sleeps, max_wait=10) as gh, pytest.raises(GitHubRateLimitError) as err:
        gh.request("GET", "/user")
    assert sleeps == []
    assert "retry in 3600 s" in str(err.value)


def test_rate_limit_bounded_attempts(github: Server, sleeps: list[float]) -> None:
    github.state.faults += [Fault(403, {"Retry-After": "1"}, method="POST")] * 5
    with client(github, sleeps, rate_limit_retries=2) as gh, pytest.raises(GitHubRateLimitError):
        gh.request("POST", "/repos/o/r/issues/1/comments", json={"body": "x"})
    assert sleeps == [1.0, 1.0]


def test_typed_errors_and_no_token_in_messages(github: Server, sleeps: list[float]) -> None:
    github.state.faults.append(
        Fault(403, body={"message": f"Resource not accessible by integration {TOKEN}"})
    )
    github.state.faults.append(Fault(404, body={"message": "Not Found"}))
    with client(github, sleeps) as gh:
        with pytest.raises(GitHubPermissionError) as perm:
            gh.request("GET", "/repos/o/r")
        assert TOKEN not in str(perm.value)
        assert "Resource not accessible by integration ***" in str(perm.value)
        with pytest.raises(GitHubNotFoundError):
            gh.request("GET", "/repos/o/r")
    bad = GitHubClient(github.url, "ghp_" + "b" * 36, sleep=sleeps.append)
    with pytest.raises(GitHubAuthError) as auth:
        bad.request("GET", "/user")
    assert "b" * 36 not in str(auth.value)


def test_refuses_to_send_token_elsewhere(github: Server, sleeps: list[float]) -> None:
    with client(github, sleeps) as gh, pytest.raises(GitHubError, match="refusing to send the token"):
        gh.request("GET", "http://127.0.0.2:1/user")


def test_connection_error_is_typed(sleeps: list[float]) -> None:
    server = Server()
    url = server.url
    server.httpd.server_close()  # nothing listens there any more
    gh = GitHubClient(url, TOKEN, sleep=sleeps.append, retries=1, timeout=2)
    with pytest.raises(GitHubError, match="cannot connect"):
        gh.request("GET", "/user")


def test_paginate_follows_link(github: Server, sleeps: list[float]) -> None:
    for i in range(250):
        github.state.add_comment("o", "r", 7, "someone", f"c{i}")
    with client(github, sleeps) as gh:
        items = list(gh.paginate("/repos/o/r/issues/7/comments", {"per_page": 100}))
    assert [c["body"] for c in items] == [f"c{i}" for i in range(250)]
    pages = [r.query.get("page", ["1"])[0] for r in github.state.requests]
    assert pages == ["1", "2", "3"]


def test_token_masked_only_in_actions(
    github: Server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    GitHubClient(github.url, TOKEN)
    assert TOKEN not in capsys.readouterr().out
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    GitHubClient(github.url, TOKEN)
    assert capsys.readouterr().out == f"::add-mask::{TOKEN}\n"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_repeated_429_is_retried_by_one_mechanism_only(
    github: Server, sleeps: list[float], method: str
) -> None:
    """urllib3 does not retry 429 under the client's own rate-limit loop: 1 + rate_limit_retries sends."""
    github.state.faults += [Fault(429, {"Retry-After": "2"}, {"message": "slow down"})] * 30
    with client(github, sleeps, retries=4, rate_limit_retries=3) as gh, pytest.raises(GitHubRateLimitError):
        gh.request(method, "/repos/o/r/issues/1/comments", json={"body": "x"})
    assert len(github.state.requests) == 4
    assert sleeps == [2.0, 2.0, 2.0]


def test_repeated_429_without_retry_after_is_bounded(github: Server, sleeps: list[float]) -> None:
    github.state.faults += [Fault(429, {}, {"message": "slow down"})] * 30
    with client(github, sleeps, rate_limit_retries=2) as gh, pytest.raises(GitHubRateLimitError):
        gh.request("GET", "/user")
    assert len(github.state.requests) == 3
    assert sleeps == [60.0, 60.0]
