"""The closure as a GitHub dependency-graph snapshot: its mapping, and `nix-attest submit` against the
local GitHub server, which validates each request against the documented snapshot schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from helpers.github_server import Server
from helpers.snapshot_schema import SNAPSHOT_SCHEMA

from nix_attest.cli import main
from nix_attest.errors import UsageError
from nix_attest.github.dependency_graph import SubmitContext, context_from_env, manifest_location, snapshot
from nix_attest.github.http import GitHubClient, GitHubError
from nix_attest.sbom import cyclonedx, spdx
from nix_attest.sbom.model import Component, FixedOutput, Sbom, SbomMeta

S = "/nix/store/"
SHA = "0123456789abcdef0123456789abcdef01234567"
HEAD = "fedcba9876543210fedcba9876543210fedcba98"
TOKEN = "ghs_" + "t" * 36


def comp(
    name: str, version: str, closures: tuple[str, ...], purl: str | None = None, **kw: object
) -> Component:
    ref = f"{S}{'a' * 31}{len(name)}-{name}-{version}"
    return Component(
        ref=ref,
        name=name,
        version=version,
        store_path=ref,
        purl=purl or f"pkg:nix/{name}@{version}",
        closures=closures,  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def graph() -> Sbom:
    """app -> lib (runtime) -> zlib (runtime); app -> cc (build only); lib -> serde (a vendored crate)."""
    app = comp("app", "1.0", ("buildtime", "runtime"), kind="application")
    lib = comp("lib", "2.0", ("buildtime", "runtime"))
    zlib = comp("zlib", "1.3.1", ("buildtime", "runtime"))
    zlib_dev = replace_ref(zlib, "-dev")  # a second output of the same package: one purl
    cc = comp("cc", "13.2", ("buildtime",))
    serde = comp(
        "serde",
        "1.0.197",
        ("buildtime",),
        purl="pkg:cargo/serde@1.0.197",
        kind="file",
        fixed_output=FixedOutput(
            "flat", "sha256", "ab" * 32, ("https://crates.io/api/v1/crates/serde/1.0.197/download",)
        ),
    )
    deps = {
        app.ref: tuple(sorted((lib.ref, cc.ref))),
        lib.ref: tuple(sorted((zlib.ref, zlib_dev.ref, serde.ref))),
        zlib.ref: (),
        zlib_dev.ref: (zlib.ref,),
        cc.ref: (),
        serde.ref: (),
    }
    return Sbom(
        root=app,
        components=tuple(sorted((lib, zlib, zlib_dev, cc, serde), key=lambda c: c.ref)),
        dependencies=deps,
        meta=SbomMeta(
            installable=".#default",
            closure="buildtime",
            tool_version="0.1.0",
            timestamp="2024-01-01T00:00:00Z",
        ),
    )


def replace_ref(c: Component, suffix: str) -> Component:
    from dataclasses import replace

    return replace(c, ref=c.ref + suffix, store_path=c.ref + suffix)


CTX = SubmitContext(
    repository="octo/widgets", sha=SHA, ref="refs/heads/main", job_id="42-1", correlator="ci_sbom_.#default"
)


def test_snapshot_mapping() -> None:
    body = snapshot(graph(), CTX, scanned="2024-01-01T00:00:00Z")
    jsonschema.Draft202012Validator(SNAPSHOT_SCHEMA).validate(body)
    assert body["detector"]["name"] == "nix-attest" and body["sha"] == SHA and body["version"] == 0
    (manifest,) = body["manifests"].values()
    assert manifest["name"] == ".#default" and manifest["file"] == {"source_location": "flake.nix"}
    resolved = manifest["resolved"]
    assert set(resolved) == {
        "pkg:nix/lib@2.0",
        "pkg:nix/zlib@1.3.1",
        "pkg:nix/cc@13.2",
        "pkg:cargo/serde@1.0.197",
    }
    assert resolved["pkg:nix/lib@2.0"] == {
        "package_url": "pkg:nix/lib@2.0",
        "relationship": "direct",
        "scope": "runtime",
        "dependencies": ["pkg:cargo/serde@1.0.197", "pkg:nix/zlib@1.3.1"],
    }
    assert resolved["pkg:nix/cc@13.2"]["scope"] == "development"
    assert resolved["pkg:nix/zlib@1.3.1"]["relationship"] == "indirect"
    # the vendored crate is known to GitHub's advisory database by its ecosystem purl
    assert resolved["pkg:cargo/serde@1.0.197"] == {
        "package_url": "pkg:cargo/serde@1.0.197",
        "relationship": "indirect",
        "scope": "development",
        "dependencies": [],
    }
    # with the runtime closure given separately (a buildtime SBOM made without it)
    only = frozenset({c.ref for c in graph().components if c.name == "zlib"})
    again = snapshot(graph(), CTX, runtime_refs=only)["manifests"][".#default"]["resolved"]
    assert (
        again["pkg:nix/lib@2.0"]["scope"] == "development"
        and again["pkg:nix/zlib@1.3.1"]["scope"] == "runtime"
    )


@pytest.mark.parametrize(
    ("installable", "location"),
    [(".#default", "flake.nix"), ("./sub#pkg", "sub/flake.nix"), ("path:./a/b#x", "a/b/flake.nix"),
     ("-f pkgs.nix -A hello", "pkgs.nix"), ("github:o/r#x", None), ("/nix/store/abc-x", None),
     ("-f ./nix/pkgs.nix -A x", "nix/pkgs.nix"), ("-f .ci.nix -A x", ".ci.nix"), ("-f ../up.nix -A x", None),
     ("-f /abs/x.nix -A x", None), ("../other#x", None)],
)  # fmt: skip
def test_manifest_location(installable: str, location: str | None) -> None:
    assert manifest_location(installable) == location


def test_context_from_actions_and_pull_requests(tmp_path: Path) -> None:
    env = {
        "GITHUB_REPOSITORY": "octo/widgets",
        "GITHUB_SHA": SHA,
        "GITHUB_REF": "refs/pull/7/merge",
        "GITHUB_RUN_ID": "99",
        "GITHUB_RUN_ATTEMPT": "2",
        "GITHUB_WORKFLOW": "ci",
        "GITHUB_JOB": "sbom",
        "GITHUB_SERVER_URL": "https://github.com",
    }
    ctx = context_from_env(env, installable=".#default")
    assert (ctx.sha, ctx.job_id, ctx.correlator) == (SHA, "99-2", "ci_sbom_.#default")
    assert ctx.html_url == "https://github.com/octo/widgets/actions/runs/99"
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"head": {"sha": HEAD}}}))
    pr = context_from_env({**env, "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event)})
    assert pr.sha == HEAD  # the pull request's head commit, not the merge commit
    with pytest.raises(UsageError, match="no --repository, --sha, --ref"):
        context_from_env({})
    for bad in ({"sha": "abc"}, {"ref": "main"}, {"repository": "octo"}):
        with pytest.raises(UsageError):
            context_from_env(env, **bad)  # type: ignore[arg-type]


def test_matrix_legs_have_their_own_correlator() -> None:
    """Only the latest snapshot per correlator counts: two legs of a matrix must not replace each
    other's snapshot, and one leg must keep its correlator from run to run (not the job index)."""
    env = {
        "GITHUB_REPOSITORY": "octo/widgets",
        "GITHUB_SHA": SHA,
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_WORKFLOW": "ci",
        "GITHUB_JOB": "sbom",
    }
    legs = [
        {**env, "NIX_ATTEST_MATRIX": json.dumps(m), "NIX_ATTEST_JOB_INDEX": str(i)}
        for i, m in enumerate(({"os": "ubuntu-24.04", "system": "x86_64-linux"},
                               {"system": "aarch64-linux", "os": "ubuntu-24.04-arm"}))
    ]  # fmt: skip
    first, second = (context_from_env(e, installable=".#default").correlator for e in legs)
    assert first != second
    assert first.startswith("ci_sbom_.#default") and "x86_64-linux" in first
    reordered = '{"system":"x86_64-linux","os":"ubuntu-24.04"}'
    moved = {**legs[0], "NIX_ATTEST_JOB_INDEX": "5", "NIX_ATTEST_MATRIX": reordered}
    assert context_from_env(moved, installable=".#default").correlator == first
    # outside a matrix (toJSON(matrix) is null) the correlator is what it always was
    plain = {**env, "NIX_ATTEST_MATRIX": "null"}
    assert context_from_env(plain, installable=".#default").correlator == "ci_sbom_.#default"
    # a huge matrix leg still gives a bounded correlator; --correlator wins
    big = {**env, "NIX_ATTEST_MATRIX": json.dumps({"x": "y" * 5000})}
    assert len(context_from_env(big, installable=".#default").correlator) < 300
    assert context_from_env(legs[1], installable=".#default", correlator="mine").correlator == "mine"


@pytest.fixture
def actions_env(monkeypatch: pytest.MonkeyPatch, github: Server) -> Server:
    for key, value in {
        "GITHUB_API_URL": github.url,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": "octo/widgets",
        "GITHUB_SHA": SHA,
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_RUN_ID": "42",
        "GITHUB_WORKFLOW": "ci",
        "GITHUB_JOB": "sbom",
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("GITHUB_ACTIONS", "GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH", "INPUT_GITHUB_TOKEN", "GH_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    return github


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx"])
def test_submit_posts_a_valid_snapshot(
    fmt: str, actions_env: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sbom.json"
    path.write_text(cyclonedx.dumps_sbom(graph()) if fmt == "cyclonedx" else spdx.dumps_sbom(graph()))
    assert main(["submit", str(path)]) == 0
    assert "dependency graph snapshot 1 success: 4 packages" in capsys.readouterr().out
    ((repository, body),) = actions_env.state.snapshots
    assert repository == "octo/widgets" and body["sha"] == SHA and body["ref"] == "refs/heads/main"
    assert body["job"]["correlator"] == "ci_sbom_.#default"
    request = actions_env.state.requests[-1]
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "pkg:cargo/serde@1.0.197" in body["manifests"][".#default"]["resolved"]


def test_read_only_token_is_a_warning(
    actions_env: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    actions_env.state.read_only.add(TOKEN)
    path = tmp_path / "sbom.json"
    path.write_text(cyclonedx.dumps_sbom(graph()))
    assert main(["submit", str(path)]) == 0
    err = capsys.readouterr().err
    assert "warning: dependency graph not updated" in err and "contents: write" in err
    assert actions_env.state.snapshots == []


def test_the_server_rejects_what_the_schema_rejects(actions_env: Server) -> None:
    """The test server's validation is real: a body outside the documented schema is refused."""
    body = snapshot(graph(), CTX)
    body["manifests"][".#default"]["resolved"]["pkg:nix/cc@13.2"]["scope"] = "build"
    with GitHubClient(actions_env.url, TOKEN, timeout=5) as client, pytest.raises(GitHubError, match="scope"):
        client.request("POST", "/repos/octo/widgets/dependency-graph/snapshots", json=body)
    assert actions_env.state.snapshots == []


def test_submit_usage_errors(
    actions_env: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sbom.json"
    path.write_text(cyclonedx.dumps_sbom(graph()))
    assert main(["submit", str(path), "--sha", "nope"]) == 2
    assert "--sha must be a full 40-character commit SHA" in capsys.readouterr().err
    monkeypatch.delenv("GITHUB_TOKEN")
    assert main(["submit", str(path)]) == 2
    assert "no GitHub token" in capsys.readouterr().err
    out = tmp_path / "body.json"
    assert main(["submit", str(path), "--dry-run", "--output", str(out)]) == 0  # no token needed
    assert json.loads(out.read_text())["manifests"][".#default"]["name"] == ".#default"
    assert actions_env.state.snapshots == []
