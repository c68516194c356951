"""Ambient GitHub OIDC token and the attestations upload, against local HTTP servers on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from nix_attest.attest.model import SignedBundle, Subject
from nix_attest.attest.oidc import ambient_github_token, resolve_identity_token
from nix_attest.attest.pipeline import upload_bundles
from nix_attest.attest.upload import MAX_ATTESTATION_BYTES, upload_attestation
from nix_attest.errors import ExternalError, InputError
from nix_attest.github.http import GitHubClient


class FakeGitHub:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, str], Any]] = []
        self.status: list[int] = []  # queued status codes for the next responses
        self.messages: list[str] = []  # queued GitHub error messages for the next error responses
        fake = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                return

            def _handle(self) -> None:
                n = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(n)) if n else None
                fake.calls.append((self.command, self.path, dict(self.headers), body))
                code = fake.status.pop(0) if fake.status else 200
                if self.path.startswith("/token"):
                    doc: Any = {"value": "jwt-from-github"}
                elif self.path.endswith("/attestations"):
                    code = code if code != 200 else 201
                    doc = {"id": 4242}
                else:
                    code, doc = 404, {"message": "Not Found"}
                if code >= 400 and fake.messages:
                    doc = {"message": fake.messages.pop(0)}
                data = json.dumps(doc).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _handle
            do_POST = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture()
def fake() -> Iterator[FakeGitHub]:
    f = FakeGitHub()
    yield f
    f.server.shutdown()
    f.server.server_close()


def test_ambient_token_requests_sigstore_audience(fake: FakeGitHub) -> None:
    env = {
        "ACTIONS_ID_TOKEN_REQUEST_URL": f"{fake.url}/token?api-version=2.0",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "rt",
    }
    assert ambient_github_token(env) == "jwt-from-github"
    method, path, headers, _ = fake.calls[0]
    assert method == "GET" and path == "/token?api-version=2.0&audience=sigstore"
    assert headers["Authorization"] == "bearer rt"


def test_ambient_token_retries_5xx_then_succeeds(fake: FakeGitHub) -> None:
    fake.status = [503]
    env = {"ACTIONS_ID_TOKEN_REQUEST_URL": f"{fake.url}/token", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "rt"}
    assert ambient_github_token(env, backoff=0) == "jwt-from-github"
    assert len(fake.calls) == 2


def test_ambient_token_403_names_permission(fake: FakeGitHub) -> None:
    fake.status = [403]
    env = {"ACTIONS_ID_TOKEN_REQUEST_URL": f"{fake.url}/token", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "secret-rt"}
    with pytest.raises(InputError, match="id-token: write") as exc:
        ambient_github_token(env)
    assert "secret-rt" not in str(exc.value)


def test_resolve_identity_token_order() -> None:
    assert resolve_identity_token("explicit", {"SIGSTORE_ID_TOKEN": "env"}) == "explicit"
    assert resolve_identity_token(None, {"SIGSTORE_ID_TOKEN": "env"}) == "env"
    with pytest.raises(InputError, match="--identity-token"):
        resolve_identity_token(None, {})
    with pytest.raises(InputError, match="permissions: id-token: write"):
        resolve_identity_token(None, {"GITHUB_ACTIONS": "true"})


def _bundle(tmp_path: Path) -> SignedBundle:
    p = tmp_path / "sbom.sigstore.json"
    p.write_text(json.dumps({"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}))
    return SignedBundle("sbom", "https://cyclonedx.org/bom", str(p), (Subject("x", "0" * 64),))


def test_upload_with_github_client(fake: FakeGitHub, tmp_path: Path) -> None:
    with GitHubClient(fake.url, "ghs_token") as client:
        (out,) = upload_bundles([_bundle(tmp_path)], client, "octo/widgets")
    assert out.attestation_url == "https://github.com/octo/widgets/attestations/4242"
    method, path, headers, body = fake.calls[0]
    assert (method, path) == ("POST", "/repos/octo/widgets/attestations")
    assert body == {"bundle": {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}}
    assert headers["Authorization"] == "Bearer ghs_token"


def test_upload_errors(fake: FakeGitHub) -> None:
    client = GitHubClient(fake.url, "t", retries=0)
    fake.status = [403]
    with pytest.raises(ExternalError, match="attestations: write"):
        upload_attestation(client, "octo/widgets", "{}")
    fake.status = [500]
    with pytest.raises(ExternalError, match="500 Internal Server Error"):
        upload_attestation(client, "octo/widgets", "{}")
    with pytest.raises(InputError, match="OWNER/REPO"):
        upload_attestation(client, "not a repo", "{}")


@pytest.mark.parametrize(
    "message",
    [
        "Feature not available for user-owned private repositories. To enable this feature, please make "
        "this repository public.",
        "Feature not available for the acme organization. To enable this feature, please upgrade the "
        "billing plan, or make this repository public.",
    ],
)
def test_a_plan_without_attestations_is_named_not_the_permission(fake: FakeGitHub, message: str) -> None:
    """GitHub's 403 for a plan without attestations (messages as GitHub words them) is not a missing
    `attestations: write`: the error says what is wrong and that the bundles are kept."""
    client = GitHubClient(fake.url, "ghs_" + "k" * 36, retries=0)
    fake.status, fake.messages = [403], [message]
    with pytest.raises(ExternalError) as info:
        upload_attestation(client, "octo/widgets", "{}")
    text = str(info.value)
    assert "not available for octo/widgets" in text and message[:40] in text
    assert "GitHub Enterprise Cloud" in text and "bundles are kept" in text
    assert "attestations: write" not in text
    fake.status, fake.messages = [403], ["Resource not accessible by integration"]
    with pytest.raises(ExternalError, match="attestations: write"):
        upload_attestation(client, "octo/widgets", "{}")


def test_oversized_bundle_is_refused_before_upload(fake: FakeGitHub) -> None:
    big = json.dumps({"x": "y" * MAX_ATTESTATION_BYTES})
    with GitHubClient(fake.url, "t") as client, pytest.raises(ExternalError, match="at most 16 MiB"):
        upload_attestation(client, "octo/widgets", big)
    assert fake.calls == []


def test_ambient_token_gives_up_after_the_attempts(fake: FakeGitHub) -> None:
    fake.status = [503, 503, 503, 503]
    env = {"ACTIONS_ID_TOKEN_REQUEST_URL": f"{fake.url}/token", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "rt"}
    with pytest.raises(ExternalError, match="HTTP 503"):
        ambient_github_token(env, attempts=3, backoff=0)
    assert len(fake.calls) == 3
