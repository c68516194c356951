"""A small GitHub REST server on 127.0.0.1 for tests: real HTTP, in-memory issue comments and
artifact attestations.

Tokens map to users; ``ghs_`` tokens behave like the Actions installation token (``GET /user`` is 403,
comments are authored by ``github-actions[bot]``). ``faults`` is a queue of canned responses served
before normal handling, to script 5xx, 429 and rate limits. Every request is recorded.

Attestations (``add_attestation``) are listed as the REST API does (docs: "List attestations",
``GET /repos/{owner}/{repo}/attestations/{subject_digest}``, ``GET /orgs/{org}/attestations/...`` and
"List attestations by a user", ``GET /users/{username}/attestations/...``):
``{"attestations": [{"bundle": {...} | null, "repository_id": N, "bundle_url": URL}]}``, paged with a
``Link: <...&after=CURSOR>; rel="next"`` header, ``predicate_type`` filtering, 404 when none match.
Owners named in ``user_accounts`` are personal accounts: the
organization endpoint answers 404 for them and the user endpoint lists their repositories' attestations;
every other owner is an organization, for which the user endpoint answers 404 (as GitHub does).
``bundle_url`` points at ``blob_url`` (``localhost`` on the same port: another origin than the API's
``127.0.0.1``, like GitHub's pre-signed storage host) and serves the bundle Snappy-compressed
(``application/x-snappy``), as GitHub's storage does.

Workflow run artifacts (``add_artifact``, docs: "List workflow run artifacts", "Download an
artifact"): ``GET /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts`` lists them (``total_count``,
``artifacts`` with ``id``, ``name``, ``size_in_bytes``, ``expired``, ``workflow_run``; paged), and
``GET /repos/{owner}/{repo}/actions/artifacts/{id}/zip`` answers 302 with a pre-signed ``Location`` on
the storage host (``blob_url``), which serves the zip without a token. Pull requests (``add_pull``):
``GET /repos/{owner}/{repo}/pulls/{number}`` with ``head.sha`` and ``head.repo.full_name``.

Dependency snapshots (``POST /repos/{owner}/{repo}/dependency-graph/snapshots``) are validated against
the documented request schema (``snapshot_schema.py``, date-time format checked): 422 with the first
problem when invalid, else 201 ``{"id", "created_at", "result": "SUCCESS", "message"}``; a
``read_only`` token gets 403 as a job without ``contents: write`` does.
"""

from __future__ import annotations

import base64
import io
import json
import re
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import cramjam
import jsonschema
import pytest

from helpers.snapshot_schema import SNAPSHOT_SCHEMA

BOT = "github-actions[bot]"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Fault:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    method: str | None = None  # only for this method, else any
    path: str | None = None  # only for paths starting with this, else any
    raw: bytes | None = None  # sent as is instead of ``body`` as JSON (malformed or hostile bodies)


@dataclass
class StoredAttestation:
    repository: str  # OWNER/REPO it was uploaded to
    repository_id: int
    bundle: dict[str, Any]
    digests: frozenset[str]  # subject sha256 digests (hex), read from the statement as GitHub does
    predicate_type: str | None
    inline: bool = True  # False: the listing carries only bundle_url


def _statement_of(bundle: dict[str, Any]) -> dict[str, Any]:
    payload = bundle.get("dsseEnvelope", {}).get("payload", "")
    decoded: dict[str, Any] = json.loads(base64.b64decode(payload)) if payload else {}
    return decoded


@dataclass
class FakeGitHub:
    users: dict[str, str] = field(default_factory=dict)  # token -> login (ghs_ tokens: the bot)
    comments: dict[tuple[str, str, int], list[dict[str, Any]]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    read_only: set[str] = field(default_factory=set)  # tokens that may not write (fork PRs)
    next_id: int = 1000
    url: str = ""
    blob_url: str = ""  # the "storage host" of bundle_url (another origin)
    bundle_base: str | None = None  # set: bundle_url points here instead of blob_url (e.g. a redirector)
    lock: threading.Lock = field(default_factory=threading.Lock)
    attestations: list[StoredAttestation] = field(default_factory=list)
    no_attestations_read: set[str] = field(default_factory=set)  # tokens without `attestations: read`
    user_accounts: set[str] = field(default_factory=set)  # owners that are users, not organizations
    max_per_page: int = 100  # GitHub's cap on per_page; lower it to force pagination
    snapshots: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (OWNER/REPO, body)
    artifacts: list[dict[str, Any]] = field(default_factory=list)  # run artifacts, with "zip" bytes
    pulls: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)  # (OWNER/REPO, n) -> PR

    def add_artifact(
        self,
        repository: str,
        run_id: int,
        name: str,
        files: dict[str, bytes] | bytes,
        *,
        expired: bool = False,
    ) -> dict[str, Any]:
        """An artifact of a workflow run: ``files`` zipped as upload-artifact does (or a raw archive)."""
        if isinstance(files, bytes):
            archive = files
        else:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for member, data in files.items():
                    zf.writestr(member, data)
            archive = buf.getvalue()
        with self.lock:
            self.next_id += 1
            record = {
                "id": self.next_id,
                "name": name,
                "size_in_bytes": len(archive),
                "expired": expired,
                "repository": repository,
                "workflow_run": {"id": run_id},
                "zip": archive,
            }
            self.artifacts.append(record)
        return record

    def add_pull(
        self,
        repository: str,
        number: int,
        head_sha: str,
        head_repository: str | None,
        head_ref: str = "patch",
        state: str = "open",
    ) -> None:
        """A pull request; ``head_repository`` None: the fork was deleted (GitHub answers ``repo: null``)."""
        head_repo = {"full_name": head_repository} if head_repository is not None else None
        label = f"{(head_repository or 'ghost/x').split('/')[0]}:{head_ref}"
        self.pulls[(repository.lower(), number)] = {
            "number": number,
            "state": state,
            "head": {"sha": head_sha, "ref": head_ref, "label": label, "repo": head_repo},
            "base": {"ref": "main", "repo": {"full_name": repository}},
        }

    def artifact_blob_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith("/artifact-blobs/")]

    def add_attestation(
        self,
        repository: str,
        bundle_json: str | bytes,
        *,
        inline: bool = True,
        digests: set[str] | None = None,
        repository_id: int | None = None,
    ) -> StoredAttestation:
        """Store a bundle as uploaded to ``repository``; ``digests`` overrides the statement's subjects
        (to make a misbehaving listing that returns a bundle about something else)."""
        bundle = json.loads(bundle_json)
        stmt = _statement_of(bundle)
        subjects = {s["digest"]["sha256"] for s in stmt.get("subject", []) if "sha256" in s.get("digest", {})}
        record = StoredAttestation(
            repository=repository,
            repository_id=repository_id if repository_id is not None else 100 + len(self.attestations),
            bundle=bundle,
            digests=frozenset(digests if digests is not None else subjects),
            predicate_type=stmt.get("predicateType"),
            inline=inline,
        )
        with self.lock:
            self.attestations.append(record)
        return record

    def attestation_requests(self) -> list[Recorded]:
        return [r for r in self.requests if "/attestations/" in r.path]

    def blob_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith("/blobs/")]

    def add_comment(self, owner: str, repo: str, number: int, login: str, body: str) -> dict[str, Any]:
        with self.lock:
            self.next_id += 1
            cid = self.next_id
            comment = {
                "id": cid,
                "body": body,
                "user": {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"},
                "html_url": f"https://github.example/{owner}/{repo}/pull/{number}#issuecomment-{cid}",
                "url": f"{self.url}/repos/{owner}/{repo}/issues/comments/{cid}",
            }
            self.comments.setdefault((owner, repo, number), []).append(comment)
            return comment

    def login_for(self, token: str) -> str | None:
        if token.startswith("ghs_"):
            return BOT
        return self.users.get(token)

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method in ("POST", "PATCH")]


_REPO_ATTESTATIONS = re.compile(r"^/repos/([^/]+)/([^/]+)/attestations/sha256:([0-9a-f]{64})$")
_ORG_ATTESTATIONS = re.compile(r"^/orgs/([^/]+)/attestations/sha256:([0-9a-f]{64})$")
_USER_ATTESTATIONS = re.compile(r"^/users/([^/]+)/attestations/sha256:([0-9a-f]{64})$")
_BLOB = re.compile(r"^/blobs/(\d+)$")
_ARTIFACT_BLOB = re.compile(r"^/artifact-blobs/(\d+)$")
_RUN_ARTIFACTS = re.compile(r"^/repos/([^/]+/[^/]+)/actions/runs/(\d+)/artifacts$")
_ARTIFACT_ZIP = re.compile(r"^/repos/([^/]+/[^/]+)/actions/artifacts/(\d+)/zip$")
_PULL = re.compile(r"^/repos/([^/]+/[^/]+)/pulls/(\d+)$")
_PULLS = re.compile(r"^/repos/([^/]+/[^/]+)/pulls$")
_SAS = "sv=2025-01-05&se=2030-01-01&sig=c2lnbmF0dXJl"  # a pre-signed URL's query, as storage hosts use
_ISSUE_COMMENTS = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/(\d+)/comments$")
_COMMENT = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/comments/(\d+)$")
_SNAPSHOTS = re.compile(r"^/repos/([^/]+)/([^/]+)/dependency-graph/snapshots$")
_SNAPSHOT_VALIDATOR = jsonschema.Draft202012Validator(
    SNAPSHOT_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


def make_handler(state: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(
            self,
            status: int,
            body: Any = None,
            headers: dict[str, str] | None = None,
            *,
            raw: bytes | None = None,
        ) -> None:
            payload = raw if raw is not None else b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def _handle(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            state.requests.append(
                Recorded(self.command, split.path, parse_qs(split.query), dict(self.headers), body)
            )
            with state.lock:
                fault = None
                for i, f in enumerate(state.faults):
                    if f.method in (None, self.command) and split.path.startswith(f.path or ""):
                        fault = state.faults.pop(i)
                        break
            if fault is not None:
                self._send(fault.status, fault.body, fault.headers, raw=fault.raw)
                return
            m = _BLOB.match(split.path)
            if m and self.command == "GET":  # the storage host: pre-signed URL, no token needed
                self._blob(int(m.group(1)))
                return
            m = _ARTIFACT_BLOB.match(split.path)
            if m and self.command == "GET":
                found = [a for a in state.artifacts if a["id"] == int(m.group(1))]
                if not found:
                    self._send(404, {"message": "BlobNotFound"})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/zip")
                self.send_header("Content-Length", str(len(found[0]["zip"])))
                self.end_headers()
                self.wfile.write(found[0]["zip"])
                return
            auth = self.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ").strip()
            login = state.login_for(token) if token else None
            if login is None:
                self._send(401, {"message": "Bad credentials" if token else "Requires authentication"})
                return
            if self.command == "GET" and (
                _REPO_ATTESTATIONS.match(split.path)
                or _ORG_ATTESTATIONS.match(split.path)
                or _USER_ATTESTATIONS.match(split.path)
            ):
                if token in state.no_attestations_read:
                    self._send(403, {"message": "Resource not accessible by personal access token"})
                    return
                self._attestations(split.path, parse_qs(split.query))
                return
            if self.command == "GET" and self._actions_and_pulls(split.path, parse_qs(split.query)):
                return
            if split.path == "/user":
                if token.startswith("ghs_"):
                    self._send(403, {"message": "Resource not accessible by integration"})
                else:
                    self._send(200, {"login": login})
                return
            m = _ISSUE_COMMENTS.match(split.path)
            if m:
                key = (m.group(1), m.group(2), int(m.group(3)))
                if self.command == "GET":
                    self._list(key, parse_qs(split.query))
                    return
                if self.command == "POST":
                    if token in state.read_only:
                        self._send(403, {"message": "Resource not accessible by integration"})
                        return
                    comment = state.add_comment(key[0], key[1], key[2], login, body["body"])
                    self._send(201, comment)
                    return
            m = _SNAPSHOTS.match(split.path)
            if m and self.command == "POST":
                if token in state.read_only:
                    self._send(403, {"message": "Resource not accessible by integration"})
                    return
                problem = next(iter(_SNAPSHOT_VALIDATOR.iter_errors(body)), None)
                if problem is not None:
                    where = "/".join(str(x) for x in problem.absolute_path) or "(body)"
                    self._send(422, {"message": f"Invalid request: {where}: {problem.message}"[:500]})
                    return
                with state.lock:
                    state.snapshots.append((f"{m.group(1)}/{m.group(2)}", body))
                    sid = len(state.snapshots)
                self._send(
                    201,
                    {"id": sid, "created_at": "2026-01-01T00:00:00Z", "result": "SUCCESS",
                     "message": "Dependency results for the repo have been successfully updated."},
                )  # fmt: skip
                return
            m = _COMMENT.match(split.path)
            if m and self.command == "PATCH":
                if token in state.read_only:
                    self._send(403, {"message": "Resource not accessible by integration"})
                    return
                cid = int(m.group(3))
                for comment in state.comments.get((m.group(1), m.group(2)), []) or [
                    c for cs in state.comments.values() for c in cs
                ]:
                    if comment["id"] == cid:
                        if comment["user"]["login"] != login:
                            self._send(403, {"message": "Must have admin rights to Repository."})
                            return
                        comment["body"] = body["body"]
                        self._send(200, comment)
                        return
                self._send(404, {"message": "Not Found"})
                return
            self._send(404, {"message": "Not Found"})

        def _attestations(self, path: str, query: dict[str, list[str]]) -> None:
            m = _REPO_ATTESTATIONS.match(path)
            if m:
                repo, digest = f"{m.group(1)}/{m.group(2)}".lower(), m.group(3)
                found = [a for a in state.attestations if a.repository.lower() == repo]
            else:
                m = _ORG_ATTESTATIONS.match(path) or _USER_ATTESTATIONS.match(path)
                assert m is not None
                owner, digest = m.group(1).lower(), m.group(2)
                is_user = owner in {u.lower() for u in state.user_accounts}
                if is_user != path.startswith("/users/"):  # the other kind of account: no such owner here
                    self._send(404, {"message": "Not Found"})
                    return
                found = [a for a in state.attestations if a.repository.split("/")[0].lower() == owner]
            found = [a for a in found if digest in a.digests]
            wanted = query.get("predicate_type", [None])[0]
            if wanted:
                found = [a for a in found if a.predicate_type == wanted]
            if not found:
                self._send(404, {"message": "Not Found"})
                return
            per_page = min(int(query.get("per_page", ["30"])[0]), state.max_per_page)
            after = int(base64.b64decode(query["after"][0]).decode()) if "after" in query else 0
            page = found[after : after + per_page]
            entries = [
                {
                    "bundle": a.bundle if a.inline else None,
                    "repository_id": a.repository_id,
                    "bundle_url": f"{state.bundle_base or state.blob_url}/blobs/{state.attestations.index(a)}"
                    f"?{_SAS}",
                }
                for a in page
            ]
            headers = {}
            if after + per_page < len(found):
                cursor = base64.b64encode(str(after + per_page).encode()).decode()
                extra = f"&predicate_type={wanted}" if wanted else ""
                headers["Link"] = f'<{state.url}{path}?per_page={per_page}&after={cursor}{extra}>; rel="next"'
            self._send(200, {"attestations": entries}, headers)

        def _actions_and_pulls(self, path: str, query: dict[str, list[str]]) -> bool:
            m = _RUN_ARTIFACTS.match(path)
            if m:
                repo, run_id = m.group(1).lower(), int(m.group(2))
                found = [
                    {k: v for k, v in a.items() if k not in ("zip", "repository")}
                    for a in state.artifacts
                    if a["repository"].lower() == repo and a["workflow_run"]["id"] == run_id
                ]
                per_page = min(int(query.get("per_page", ["30"])[0]), state.max_per_page)
                page = int(query.get("page", ["1"])[0])
                headers = {}
                if page * per_page < len(found):
                    nxt = f"{state.url}{path}?per_page={per_page}&page={page + 1}"
                    headers["Link"] = f'<{nxt}>; rel="next"'
                chunk = found[(page - 1) * per_page : page * per_page]
                self._send(200, {"total_count": len(found), "artifacts": chunk}, headers)
                return True
            m = _ARTIFACT_ZIP.match(path)
            if m:
                ident = int(m.group(2))
                repo = m.group(1).lower()
                if not any(a["id"] == ident and a["repository"].lower() == repo for a in state.artifacts):
                    self._send(404, {"message": "Not Found"})
                    return True
                self._send(302, None, {"Location": f"{state.blob_url}/artifact-blobs/{ident}?{_SAS}"})
                return True
            m = _PULLS.match(path)
            if m:  # "List pull requests": state (open), head=OWNER:BRANCH, per_page
                state_wanted = query.get("state", ["open"])[0]
                head = query.get("head", [None])[0]
                found = [
                    pr
                    for (repo, _), pr in sorted(state.pulls.items())
                    if repo == m.group(1).lower()
                    and state_wanted in ("all", pr["state"])
                    and (head is None or pr["head"]["label"].lower() == head.lower())
                ]
                self._send(200, found[: int(query.get("per_page", ["30"])[0])])
                return True
            m = _PULL.match(path)
            if m:
                pr = state.pulls.get((m.group(1).lower(), int(m.group(2))))
                self._send(200 if pr else 404, pr or {"message": "Not Found"})
                return True
            return False

        def _blob(self, index: int) -> None:
            if index >= len(state.attestations):
                self._send(404, {"message": "BlobNotFound"})
                return
            payload = bytes(
                cramjam.snappy.compress_raw(json.dumps(state.attestations[index].bundle).encode())
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/x-snappy")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _list(self, key: tuple[str, str, int], query: dict[str, list[str]]) -> None:
            items = state.comments.get(key, [])
            per_page = min(int(query.get("per_page", ["30"])[0]), 100)
            page = int(query.get("page", ["1"])[0])
            chunk = items[(page - 1) * per_page : page * per_page]
            headers = {}
            if page * per_page < len(items):
                base = f"{state.url}/repos/{key[0]}/{key[1]}/issues/{key[2]}/comments"
                nxt = f"{base}?per_page={per_page}&page={page + 1}"
                headers["Link"] = f'<{nxt}>; rel="next"'
            self._send(200, chunk, headers)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle

    return Handler


class Server:
    def __init__(self) -> None:
        self.state = FakeGitHub()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self.state))
        self.httpd.daemon_threads = True
        host, port = self.httpd.server_address[:2]
        self.state.url = f"http://{host}:{port}"
        self.state.blob_url = f"http://localhost:{port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        return self.state.url

    def start(self) -> Server:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def github() -> Iterator[Server]:
    """A fake GitHub API on 127.0.0.1 for one test (import this fixture into a conftest.py)."""
    server = Server().start()
    yield server
    server.stop()
