"""A private repository is never signed into a public transparency log without the opt-in.

The local Sigstore stack stands in for public-good: a refused signing must not send it anything.
"""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sigstore_stack import SigstoreStack

from nix_attest.attest.visibility import PrivateRepositoryError, check_signing_allowed, repository_visibility
from nix_attest.cli import main
from nix_attest.errors import EXIT_USAGE

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO = REPO_ROOT / "examples" / "demo" / "flake.nix"


def event(tmp_path: Path, repository: object) -> dict[str, str]:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"repository": repository} if repository is not None else {"action": "x"}))
    return {"GITHUB_EVENT_PATH": str(path), "GITHUB_REPOSITORY": "octo/widgets", "GITHUB_ACTIONS": "true"}


@pytest.mark.parametrize(
    ("repository", "expected"),
    [
        ({"visibility": "public", "private": False}, "public"),
        ({"visibility": "private", "private": True}, "private"),
        ({"visibility": "internal", "private": True}, "internal"),
        ({"private": False}, "public"),  # older GHES payloads: no visibility field
        ({"private": True}, "private"),
        ({"visibility": "public", "private": True}, "unknown"),  # contradicting: not public
        ({"visibility": "public", "private": "false"}, "unknown"),  # malformed: not public
        ({"visibility": "public", "private": None}, "unknown"),
        ({"visibility": "public"}, "public"),
        ({"private": "false"}, "unknown"),
        ({"visibility": "PUBLIC"}, "unknown"),
        ({"visibility": 1}, "unknown"),
        ({}, "unknown"),
        ("octo/widgets", "unknown"),
        (None, "unknown"),  # an event without a repository
    ],
)
def test_visibility_from_the_event(tmp_path: Path, repository: object, expected: str) -> None:
    assert repository_visibility(event(tmp_path, repository)) == expected


def test_visibility_outside_actions_and_of_broken_event_files(tmp_path: Path) -> None:
    assert repository_visibility({}) is None
    assert repository_visibility({"GITHUB_ACTIONS": "false"}) is None
    # in GitHub Actions the runner always writes the event file: without one, nothing says "public"
    assert repository_visibility({"GITHUB_ACTIONS": "true"}) == "unknown"
    assert repository_visibility({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": ""}) == "unknown"
    assert repository_visibility({"GITHUB_EVENT_PATH": str(tmp_path / "missing.json")}) == "unknown"
    (tmp_path / "bad.json").write_text("{not json")
    assert repository_visibility({"GITHUB_EVENT_PATH": str(tmp_path / "bad.json")}) == "unknown"
    (tmp_path / "deep.json").write_text("[" * 500 + "]" * 500)
    assert repository_visibility({"GITHUB_EVENT_PATH": str(tmp_path / "deep.json")}) == "unknown"


def test_only_public_signs_without_the_opt_in(tmp_path: Path) -> None:
    check_signing_allowed({}, private_repository=False)  # outside GitHub Actions: as before
    check_signing_allowed(event(tmp_path, {"visibility": "public"}), private_repository=False)
    for repository in ({"visibility": "private"}, {"visibility": "internal"}, {}):
        env = event(tmp_path, repository)
        with pytest.raises(PrivateRepositoryError) as info:
            check_signing_allowed(env, private_repository=False)
        message = str(info.value)
        assert info.value.exit_code == EXIT_USAGE and "\n" not in message
        assert "public transparency log" in message and "--private-repository" in message
        assert "private-repository: true" in message
        check_signing_allowed(env, private_repository=True)


def _sign(tmp_path: Path, sbom: Path, trust_config: Path | None, token: str, *extra: str) -> int:
    trust = ["--trust-config", str(trust_config)] if trust_config else []
    out = ["-o", str(tmp_path / "out")]
    args = ["sign", "--sbom", str(sbom), "--provenance", *out, "--identity-token", token]
    return main([*args, *trust, *extra])


@pytest.mark.parametrize("visibility", ["private", "internal"])
def test_sign_refuses_a_private_repository_before_any_request(
    tmp_path: Path,
    sbom_file: Path,
    stack: SigstoreStack,
    trust_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    visibility: str,
) -> None:
    for name, value in event(tmp_path, {"visibility": visibility, "private": True}).items():
        monkeypatch.setenv(name, value)
    before = len(stack.requests)
    assert _sign(tmp_path, sbom_file, trust_files["config"], stack.token()) == EXIT_USAGE
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert f"octo/widgets is {visibility}" in line and "--private-repository" in line
    assert len(stack.requests) == before  # Fulcio and Rekor saw nothing
    assert not (tmp_path / "out").exists()  # nothing written
    # public-good too: refused before its trust root is even fetched (the network guard would fail it)
    assert _sign(tmp_path, sbom_file, None, stack.token()) == EXIT_USAGE


def test_sign_signs_a_public_repository_and_a_private_one_with_the_opt_in(
    tmp_path: Path,
    sbom_file: Path,
    stack: SigstoreStack,
    trust_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in event(tmp_path, {"visibility": "public", "private": False}).items():
        monkeypatch.setenv(name, value)
    before = len(stack.requests)
    assert _sign(tmp_path / "public", sbom_file, trust_files["config"], stack.token()) == 0
    assert len(stack.requests) > before
    assert (tmp_path / "public" / "out" / "sbom.sigstore.json").is_file()
    for name, value in event(tmp_path, {"visibility": "private", "private": True}).items():
        monkeypatch.setenv(name, value)
    opted = tmp_path / "opted"
    assert _sign(opted, sbom_file, trust_files["config"], stack.token(), "--private-repository") == 0
    assert (opted / "out" / "sbom.sigstore.json").is_file()


@pytest.mark.nix
def test_run_sign_refuses_but_keeps_the_sbom_and_report(
    tmp_path: Path,
    stack: SigstoreStack,
    trust_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for var in ("GITHUB_BASE_REF", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
        monkeypatch.delenv(var, raising=False)
    for name, value in event(tmp_path, {"visibility": "private", "private": True}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SIGSTORE_ID_TOKEN", stack.token())
    flake = tmp_path / "demo"
    flake.mkdir()
    shutil.copy(DEMO, flake / "flake.nix")
    out = tmp_path / "out"
    run = ["run", f"path:{flake}#default", "--sign", "--trust-config", str(trust_files["config"])]
    before = len(stack.requests)
    assert main([*run, "--comment", "never", "-o", str(out)]) == EXIT_USAGE
    assert len(stack.requests) == before
    err = capsys.readouterr().err
    assert "refusing to sign: octo/widgets is private" in err
    assert (out / "sbom.cdx.json").is_file() and "refusing to sign" in (out / "report.md").read_text()
    assert not list(out.glob("*.sigstore.json"))
    # the token's own claim is checked as well: an event saying public does not outvote it
    for name, value in event(tmp_path, {"visibility": "public", "private": False}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SIGSTORE_ID_TOKEN", stack.token(overrides={"repository_visibility": "internal"}))
    assert main([*run, "--comment", "never", "-o", str(out)]) == EXIT_USAGE
    assert "the identity token says octo/widgets is internal" in capsys.readouterr().err
    # a GitHub Enterprise Server job with its ambient token and the public instance: refused first
    monkeypatch.delenv("SIGSTORE_ID_TOKEN")
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://ghes.example.com")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:9/token")  # closed: exit 3
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-token")
    assert (
        main(["run", f"path:{flake}#default", "--sign", "--comment", "never", "-o", str(out)]) == EXIT_USAGE
    )
    assert "accepts GitHub Actions identity tokens of github.com only" in capsys.readouterr().err
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    # ... and so is such a job's token, given explicitly
    monkeypatch.setenv("SIGSTORE_ID_TOKEN", stack.token(issuer="https://token.actions.octo.ghe.com"))
    public_good = ["run", f"path:{flake}#default", "--sign", "--comment", "never", "-o", str(out)]
    assert main(public_good) == EXIT_USAGE
    assert "a GitHub Actions issuer other than github.com's" in capsys.readouterr().err
    assert len(stack.requests) == before
    # the opt-in signs
    for name, value in event(tmp_path, {"visibility": "private", "private": True}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SIGSTORE_ID_TOKEN", stack.token(overrides={"repository_visibility": "private"}))
    assert main([*run, "--comment", "never", "-o", str(out), "--private-repository"]) == 0
    assert (out / "sbom.sigstore.json").is_file() and len(stack.requests) > before


@pytest.mark.parametrize("claimed", ["private", "internal", "PUBLIC", 1])
def test_sign_refuses_a_token_that_says_the_repository_is_not_public(
    tmp_path: Path,
    sbom_file: Path,
    stack: SigstoreStack,
    trust_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    claimed: object,
) -> None:
    """The OIDC token's repository_visibility claim is GitHub's own word at signing time: an event file
    saying public (an earlier step may rewrite it) does not outvote it. Checked before Fulcio."""
    for name, value in event(tmp_path, {"visibility": "public", "private": False}).items():
        monkeypatch.setenv(name, value)
    token = stack.token(overrides={"repository_visibility": claimed})
    before = len(stack.requests)
    assert _sign(tmp_path, sbom_file, trust_files["config"], token) == EXIT_USAGE
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "refusing to sign" in line and "identity token" in line and "--private-repository" in line
    assert len(stack.requests) == before
    assert _sign(tmp_path / "opted", sbom_file, trust_files["config"], token, "--private-repository") == 0
    public = stack.token(overrides={"repository_visibility": "public"})
    assert _sign(tmp_path / "public", sbom_file, trust_files["config"], public) == 0


class _TokenEndpoint:
    """GitHub's OIDC token endpoint on 127.0.0.1: answers every request with ``{"value": token}``."""

    def __init__(self, token: str) -> None:
        body = json.dumps({"value": token}).encode()
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_sign_refuses_an_ambient_token_that_says_private(
    tmp_path: Path,
    sbom_file: Path,
    stack: SigstoreStack,
    trust_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The job's own token (id-token: write), fetched from the runner: checked before Fulcio."""
    endpoint = _TokenEndpoint(stack.token(overrides={"repository_visibility": "private"}))
    try:
        for name, value in event(tmp_path, {"visibility": "public", "private": False}).items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("SIGSTORE_ID_TOKEN", raising=False)
        monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", endpoint.url)
        monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-token")
        before = len(stack.requests)
        args = ["sign", "--sbom", str(sbom_file), "-o", str(tmp_path / "out"), "--trust-config"]
        assert main([*args, str(trust_files["config"])]) == EXIT_USAGE
        assert endpoint.requests == 1 and len(stack.requests) == before
        assert "the identity token says octo/widgets is private" in capsys.readouterr().err
    finally:
        endpoint.close()


def test_sign_refuses_an_explicit_token_before_writing_anything(
    tmp_path: Path,
    sbom_file: Path,
    stack: SigstoreStack,
    trust_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in event(tmp_path, {"visibility": "public", "private": False}).items():
        monkeypatch.setenv(name, value)
    token = stack.token(overrides={"repository_visibility": "internal"})
    assert _sign(tmp_path, sbom_file, trust_files["config"], token) == EXIT_USAGE
    assert not (tmp_path / "out").exists()  # refused before the statements were written
