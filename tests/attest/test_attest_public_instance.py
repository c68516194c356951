"""Sigstore's public instance accepts GitHub Actions identities of github.com only: a job on GitHub
Enterprise Server or GHE.com that would sign with it is refused in one line before any request (its
token endpoint and the public trust root included), and so is a token from such an issuer."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sigstore_stack import SigstoreStack

from nix_attest.attest.instance import PublicInstanceError, check_issuer, check_server
from nix_attest.cli import main
from nix_attest.errors import EXIT_USAGE

PUBLIC_EVENT = {"repository": {"visibility": "public", "private": False}}


def actions_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: str) -> None:
    """A GitHub Actions job of a public repository on ``server`` with id-token: write; the token
    endpoint is a closed local port: a request to it would be exit 3, not the refusal."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps(PUBLIC_EVENT))
    for name in ("SIGSTORE_ID_TOKEN", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_REPOSITORY", "octo/widgets")
    monkeypatch.setenv("GITHUB_SERVER_URL", server)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:9/token?x=1")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "bearer-secret")


def sign(tmp_path: Path, sbom: Path, *extra: str) -> int:
    return main(["sign", "--sbom", str(sbom), "-o", str(tmp_path / "out"), *extra])


@pytest.mark.parametrize("server", ["https://ghes.example.com", "https://octo.ghe.com/", "http://10.0.0.5"])
def test_a_job_on_another_github_is_refused_before_any_request(
    tmp_path: Path,
    sbom_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    server: str,
) -> None:
    actions_job(tmp_path, monkeypatch, server)
    assert sign(tmp_path, sbom_file) == EXIT_USAGE
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "public instance accepts GitHub Actions identity tokens of github.com only" in line
    assert server.rstrip("/") in line and "--trust-config" in line and "--identity-token" in line
    assert not (tmp_path / "out").exists()
    assert sign(tmp_path, sbom_file, "--staging") == EXIT_USAGE  # staging is public-good's too


def test_own_instance_or_an_explicit_token_is_not_refused_for_the_server(
    tmp_path: Path,
    sbom_file: Path,
    stack: SigstoreStack,
    trust_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    actions_job(tmp_path, monkeypatch, "https://ghes.example.com")
    token = stack.token()
    # one's own instance: signs (the explicit token stands in for the GHES job's own)
    config = ["--trust-config", str(trust_files["config"])]
    assert sign(tmp_path / "own", sbom_file, *config, "--identity-token", token) == 0
    # with the ambient token and one's own instance, the server check does not apply either
    check_server(dict(os.environ), public_instance=False, explicit_token=False)
    # an explicit token for the public instance: its issuer decides (github.com's: not refused here)
    check_server(dict(os.environ), public_instance=True, explicit_token=True)


@pytest.mark.parametrize(
    ("env", "refused"),
    [
        ({}, False),  # outside GitHub Actions
        ({"GITHUB_ACTIONS": "true"}, False),  # no server URL: github.com
        ({"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com"}, False),
        ({"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://GitHub.com/"}, False),
        ({"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com.evil.example"}, True),
        ({"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://ghes.example.com"}, True),
        ({"GITHUB_ACTIONS": "false", "GITHUB_SERVER_URL": "https://ghes.example.com"}, False),
    ],
)
def test_which_servers_are_refused(env: dict[str, str], refused: bool) -> None:
    if refused:
        with pytest.raises(PublicInstanceError) as info:
            check_server(env, public_instance=True, explicit_token=False)
        assert info.value.exit_code == EXIT_USAGE and "\n" not in str(info.value)
    else:
        check_server(env, public_instance=True, explicit_token=False)


@pytest.mark.parametrize(
    ("issuer", "refused"),
    [
        ("https://token.actions.githubusercontent.com", False),
        ("https://token.actions.githubusercontent.com/octo-enterprise", False),  # Fulcio's meta-issuer
        ("https://token.actions.octo.ghe.com", True),  # GHE.com data residency
        ("https://ghes.example.com/_services/token", True),  # GitHub Enterprise Server
        ("https://token.actions.githubusercontent.com.evil.example", True),
        ("https://accounts.google.com", False),  # another provider: Fulcio decides
        ("https://gitlab.com", False),
        (None, False),
    ],
)
def test_which_token_issuers_are_refused(issuer: str | None, refused: bool) -> None:
    claims = {"iss": issuer} if issuer is not None else {}
    if refused:
        with pytest.raises(PublicInstanceError, match=r"a GitHub Actions issuer other than github\.com's"):
            check_issuer(claims, public_instance=True)
    else:
        check_issuer(claims, public_instance=True)
    check_issuer(claims, public_instance=False)  # one's own instance: its own business


def test_an_explicit_ghes_token_is_refused_before_the_public_trust_root(
    tmp_path: Path,
    sbom_file: Path,
    stack: SigstoreStack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The public trust root comes over the network (TUF): reaching it would fail the network guard."""
    actions_job(tmp_path, monkeypatch, "https://github.com")
    token = stack.token(issuer="https://ghes.example.com/_services/token")
    assert sign(tmp_path, sbom_file, "--identity-token", token) == EXIT_USAGE
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "the identity token comes from https://ghes.example.com" in line
