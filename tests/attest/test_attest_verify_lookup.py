"""`nix-attest verify` without a bundle file: attestations found by a store path's NAR digest on the local
GitHub server (REST shape, pagination, bundle_url), signed by the local Sigstore stack, real Nix store
paths and closures; `--closure`, `--owner`, `--bundle-dir`, many paths, `--format json`."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.github_server import Fault, Server, github  # noqa: F401  (the fixture)
from helpers.verify_fixtures import REPO, Built, Signer, build_closure
from sigstore_stack import SigstoreStack

from nix_attest.attest.trust import SigningTrust
from nix_attest.cli import main
from nix_attest.nix.store import nar_sha256_hex
from nix_attest.sbom.model import Component, Sbom

pytestmark = pytest.mark.nix

TOKEN = "ghp_" + "r" * 36


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_closure(tmp_path_factory.mktemp("closure"))


@pytest.fixture()
def env(github: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:  # noqa: F811
    github.state.users[TOKEN] = "deployer"
    for var in ("GH_TOKEN", "INPUT_GITHUB_TOKEN", "GITHUB_OUTPUT", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    yield github


@pytest.fixture()
def sign(tmp_path: Path, stack: SigstoreStack, signing_trust: SigningTrust) -> Signer:
    return Signer(tmp_path, stack, signing_trust)


def _verify(trust: dict[str, Path], *args: str) -> int:
    return main(["verify", *args, "--trust-root", str(trust["root"])])


def _err_line(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1, captured.err
    return captured.out, captured.err


def _without(sbom: Sbom, dep: Component) -> Sbom:
    """The SBOM with one component (and its dependency edges) left out."""
    deps = {k: tuple(x for x in v if x != dep.ref) for k, v in sbom.dependencies.items() if k != dep.ref}
    return replace(sbom, components=tuple(c for c in sbom.components if c is not dep), dependencies=deps)


def _padded(sbom: Sbom) -> Sbom:
    """The SBOM with one more runtime component, not in the closure."""
    extra = Component(
        ref="/nix/store/00000000000000000000000000000000-openssl-3.0.1",
        name="openssl",
        version="3.0.1",
        store_path="/nix/store/00000000000000000000000000000000-openssl-3.0.1",
        closures=("runtime",),
    )
    return replace(sbom, components=(*sbom.components, extra))


def _other_root(sbom: Sbom, hex_digest: str) -> Sbom:
    return replace(sbom, root=replace(sbom.root, nar_hash=f"sha256:{hex_digest}"))


def test_store_path_verified_without_a_bundle_file(
    env: Server,
    built: Built,
    sign: Signer,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    app, sbom = built.app, built.sbom
    env.state.add_attestation(REPO, sign(sbom)[0].read_text())
    assert _verify(trust_files, "--store-path", app, "--repository", REPO) == 0
    out = capsys.readouterr().out
    assert out.startswith("verified GitHub attestation 1 of 1 (repository id 100)\n")
    assert f"ok: subject digest matches store path {app} (NAR sha256) {nar_sha256_hex(app)}" in out
    assert "ok: repository octo/widgets" in out
    (request,) = env.state.attestation_requests()
    assert request.path == f"/repos/{REPO}/attestations/sha256:{nar_sha256_hex(app)}"
    assert request.query["predicate_type"] == ["https://cyclonedx.org/bom"]
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_bundle_url_is_fetched_without_the_token_and_snappy_decoded(
    env: Server,
    built: Built,
    sign: Signer,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    sbom = built.sbom
    env.state.add_attestation(REPO, sign(sbom)[0].read_text(), inline=False)
    assert _verify(trust_files, "--store-path", built.app, "--repository", REPO) == 0
    assert "verified GitHub attestation 1 of 1" in capsys.readouterr().out
    (blob,) = env.state.blob_requests()
    assert "Authorization" not in blob.headers  # pre-signed storage: the GitHub token stays home
    assert blob.headers["Host"].startswith("localhost:")


def test_attestation_signed_in_another_repository_is_rejected(
    env: Server,
    built: Built,
    sign: Signer,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    sbom = built.sbom
    env.state.add_attestation(REPO, sign(sbom, "evil/widgets")[0].read_text())
    assert _verify(trust_files, "--store-path", built.app, "--repository", REPO) == 1
    out, err = _err_line(capsys)
    assert (
        "rejected GitHub attestation 1 of 1 (repository id 100): identity check failed: "
        "repository is evil/widgets, expected octo/widgets" in out
    )
    assert err.startswith(
        f"nix-attest: error: no attestation of https://cyclonedx.org/bom for store path {built.app} "
        "verified: 1 candidate(s) from octo/widgets rejected (first: GitHub attestation 1 of 1"
    )


def test_the_right_one_is_found_among_decoys_across_pages(
    env: Server,
    built: Built,
    sign: Signer,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    app, sbom = built.app, built.sbom
    digest = nar_sha256_hex(app)
    # a listing that (wrongly) returns a bundle about another subject, and one from another repository
    env.state.add_attestation(REPO, sign(_other_root(sbom, "ab" * 32))[0].read_text(), digests={digest})
    env.state.add_attestation(REPO, sign(sbom, "octo/gadgets")[0].read_text())
    env.state.add_attestation(REPO, sign(sbom)[0].read_text(), inline=False)
    env.state.max_per_page = 2
    assert _verify(trust_files, "--store-path", app, "--repository", REPO) == 0
    out = capsys.readouterr().out
    assert out.startswith("verified GitHub attestation 3 of 3 (repository id 102)\n")
    assert (
        f"rejected GitHub attestation 1 of 3 (repository id 100): subject check failed: store path {app}"
        in out
    )
    assert (
        "rejected GitHub attestation 2 of 3 (repository id 101): identity check failed: repository is "
        "octo/gadgets, expected octo/widgets" in out
    )
    pages = env.state.attestation_requests()
    assert len(pages) == 2 and "after" in pages[1].query  # the Link header was followed


def test_closure_equal_to_the_attested_sbom_passes(
    env: Server,
    built: Built,
    sign: Signer,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    sbom = built.sbom
    env.state.add_attestation(REPO, sign(sbom)[0].read_text())
    assert _verify(trust_files, "--store-path", built.app, "--repository", REPO, "--closure") == 0
    out = capsys.readouterr().out
    assert (
        f"ok: runtime closure of {built.app} (2 store paths) equals the store paths in the attested SBOM"
        in out
    )


def test_closure_member_missing_from_the_sbom_fails_and_is_named(
    env: Server,
    built: Built,
    sign: Signer,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    sbom = built.sbom
    (dep,) = sbom.runtime_components
    env.state.add_attestation(REPO, sign(_without(sbom, dep))[0].read_text())
    args = ("--store-path", built.app, "--repository", REPO)
    assert _verify(trust_files, *args) == 0  # the attestation itself is fine
    capsys.readouterr()
    assert _verify(trust_files, *args, "--closure") == 1
    out, err = _err_line(capsys)
    assert err == (
        f"nix-attest: error: closure check failed for {built.app}: 1 path(s) in the closure are not in "
        f"the attested SBOM: verify-dep 2.1 ({dep.store_path})\n"
    )
    assert out.startswith("attestation verified: GitHub attestation 1 of 1")


def test_extra_component_in_the_sbom_fails_the_closure_check(
    env: Server,
    built: Built,
    sign: Signer,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    env.state.add_attestation(REPO, sign(_padded(built.sbom))[0].read_text())
    assert _verify(trust_files, "--store-path", built.app, "--repository", REPO, "--closure") == 1
    _, err = _err_line(capsys)
    assert "1 path(s) in the attested SBOM are not in the closure: openssl 3.0.1 (/nix/store/0000" in err


@pytest.mark.parametrize(
    ("scope", "where", "endpoints"),
    [
        pytest.param(("--repository", REPO), "octo/widgets", ["repos"], id="repository"),
        # --owner: neither an organisation's nor a user account's listing has one
        pytest.param(("--owner", "octo"), "repositories of octo", ["orgs", "users"], id="owner"),
    ],
)
def test_no_attestation_exits_1_with_one_line(
    env: Server,
    built: Built,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    scope: tuple[str, str],
    where: str,
    endpoints: list[str],
) -> None:
    app = built.app
    assert _verify(trust_files, "--store-path", app, *scope) == 1
    _, err = _err_line(capsys)
    assert err == (
        "nix-attest: error: GitHub has no attestation of https://cyclonedx.org/bom for "
        f"sha256:{nar_sha256_hex(app)} in {where}\n"
    )
    assert [r.path.split("/")[1] for r in env.state.attestation_requests()] == endpoints


@pytest.mark.parametrize(
    ("token", "scope", "message", "hint"),
    [
        ("ghp_" + "x" * 36, ("--repository", REPO),
         "GitHub rejected the token listing the attestations of octo/widgets (HTTP 401)", "wrong or expired"),
        ("no-read", ("--repository", REPO),
         "the token may not list the attestations of octo/widgets (HTTP 403)", "`attestations: read`"),
        ("", ("--repository", REPO),
         "GitHub refused to list the attestations of octo/widgets without a token (HTTP 401)",
         "set GITHUB_TOKEN or GH_TOKEN"),
        # refused on the user endpoint --owner falls back to
        ("no-read", ("--owner", "alice"),
         "the token may not list the attestations of repositories of alice (HTTP 403)",
         "`attestations: read`"),
    ],
)  # fmt: skip
def test_refused_token_is_one_clear_line(
    env: Server,
    built: Built,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    token: str,
    scope: tuple[str, str],
    message: str,
    hint: str,
) -> None:
    env.state.users["no-read"] = "reader"
    env.state.no_attestations_read.add("no-read")
    monkeypatch.setenv("GITHUB_TOKEN", token)
    # alice is a user account: /orgs/alice is not found (whatever the token), her listing is /users/alice
    env.state.user_accounts.add("alice")
    env.state.faults.append(Fault(404, body={"message": "Not Found"}, path="/orgs/"))
    assert _verify(trust_files, "--store-path", built.app, *scope) == 3
    out, err = _err_line(capsys)
    assert out == ""
    assert err.startswith(f"nix-attest: error: {message} (") and hint in err
    assert "ghp_" not in err


@pytest.mark.parametrize(
    ("owner", "user", "spelled"),
    [
        pytest.param("octo", False, "octo", id="organisation"),
        # GitHub lists a personal account's attestations under /users/NAME, not /orgs/NAME (404 there):
        # the lookup falls back to it; the owner is compared whatever its case
        pytest.param("alice", True, "Alice", id="user account"),
    ],
)
def test_owner_requires_a_signer_repository_of_that_owner(
    env: Server,
    built: Built,
    sign: Signer,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    owner: str,
    user: bool,
    spelled: str,
) -> None:
    app, sbom = built.app, built.sbom
    if user:
        env.state.user_accounts.add(owner)
    digest = nar_sha256_hex(app)
    env.state.add_attestation(f"{owner}/widgets", sign(sbom, "evil/widgets")[0].read_text())
    assert _verify(trust_files, "--store-path", app, "--owner", owner) == 1
    out, _ = _err_line(capsys)
    assert f"identity check failed: repository is evil/widgets, expected a repository of {owner}" in out
    kinds = ["orgs", "users"] if user else ["orgs"]
    requests = env.state.attestation_requests()
    assert [r.path for r in requests] == [f"/{kind}/{owner}/attestations/sha256:{digest}" for kind in kinds]
    assert requests[-1].query["predicate_type"] == ["https://cyclonedx.org/bom"]
    env.state.add_attestation(f"{owner}/gadgets", sign(sbom, f"{owner}/gadgets")[0].read_text())
    assert _verify(trust_files, "--store-path", app, "--owner", spelled) == 0
    out = capsys.readouterr().out
    assert "verified GitHub attestation 2 of 2" in out
    assert f"ok: repository {owner}/gadgets belongs to {spelled}" in out


def test_bundle_dir_works_offline(
    built: Built,
    sign: Signer,
    trust_files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")  # nothing listens: no API call is made
    app, sbom = built.app, built.sbom
    d = tmp_path / "mirror"
    d.mkdir()
    good = sign(sbom, provenance=True)
    decoy = sign(sbom, "evil/widgets")[0]
    unrelated = sign(_other_root(sbom, "cd" * 32))[0]
    (d / "a-decoy.sigstore.json").write_text(decoy.read_text())
    # gh attestation download writes JSON lines: one bundle per line
    lines = [json.dumps(json.loads(p.read_text())) for p in (unrelated, *good)]
    (d / f"sha256:{nar_sha256_hex(app)}.jsonl").write_text("\n".join(lines) + "\n")
    (d / "notes.txt").write_text("not a bundle")
    assert _verify(trust_files, "--store-path", app, "--repository", REPO, "--bundle-dir", str(d)) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"verified {d}/sha256:{nar_sha256_hex(app)}.jsonl line 2\n")
    assert f"rejected {d}/a-decoy.sigstore.json: identity check failed: repository is evil/widgets" in out
    assert (
        f"rejected {d}/sha256:{nar_sha256_hex(app)}.jsonl line 3: predicate type is "
        "https://slsa.dev/provenance/v1, wanted https://cyclonedx.org/bom" in out
    )
    assert "line 1" not in out  # about another subject: not even a candidate
    code = _verify(
        trust_files, "--store-path", app, "--repository", REPO, "--bundle-dir", str(d),
        "--predicate-type", "https://slsa.dev/provenance/v1",
    )  # fmt: skip
    assert code == 0
    assert "verified" in capsys.readouterr().out


def test_many_paths_require_root_or_all(
    env: Server,
    built: Built,
    sign: Signer,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, lone, sbom = built.app, built.lone, built.sbom
    env.state.add_attestation(REPO, sign(sbom)[0].read_text())
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{app}\n\n# a comment\n{lone}\n{app}\n"))
    assert _verify(trust_files, "--store-paths-from", "-", "--repository", REPO) == 1
    out, err = _err_line(capsys)
    lines = out.splitlines()
    assert lines[0].startswith(
        f"verified {app}: https://cyclonedx.org/bom signed by https://github.com/octo/"
    )
    assert lines[1] == (
        f"unattested {lone}: GitHub has no attestation of https://cyclonedx.org/bom for "
        f"sha256:{nar_sha256_hex(lone)} in octo/widgets"
    )
    assert len(lines) == 2  # the repeated path is verified once
    assert err.startswith(f"nix-attest: error: 1 of 2 target(s) failed verification; first: {lone}: ")
    code = _verify(
        trust_files, "--store-path", app, "--store-path", lone, "--repository", REPO, "--require", "all"
    )
    assert code == 0
    assert f"unattested {lone}" in capsys.readouterr().out
    code = _verify(trust_files, "--store-path", lone, "--repository", REPO, "--require", "all")
    assert code == 1  # nothing at all verified
    assert "none of the 1 given path(s) has an attestation that verified" in _err_line(capsys)[1]


def test_json_result_names_the_verified_attestation(
    env: Server,
    built: Built,
    sign: Signer,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    app, lone, sbom = built.app, built.lone, built.sbom
    env.state.add_attestation(REPO, sign(sbom, "octo/gadgets")[0].read_text())
    env.state.add_attestation(REPO, sign(sbom)[0].read_text())
    result = tmp_path / "result.json"
    code = _verify(
        trust_files, "--store-path", app, "--store-path", lone, "--repository", REPO, "--require", "all",
        "--format", "json", "--closure", "--output", str(result),
    )  # fmt: skip
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == json.loads(result.read_text())
    assert (doc["verified"], doc["failed"], doc["unattested"]) == (1, 0, 1)
    first, second = doc["results"]
    assert first["target"] == app and first["status"] == "verified"
    att = first["attestation"]
    assert att["source"] == "GitHub attestation 2 of 2 (repository id 101)"
    assert att["predicateType"] == "https://cyclonedx.org/bom"
    assert att["signer"]["repository"] == REPO
    assert att["signer"]["ref"] == "refs/heads/main"
    assert att["signer"]["workflow"].endswith("/octo/widgets/.github/workflows/release.yml@refs/heads/main")
    assert isinstance(att["logIndex"], int) and att["integratedTime"].endswith("Z")
    assert first["rejected"][0]["reason"].startswith("identity check failed: repository is octo/gadgets")
    assert first["closure"]["ok"] is True and first["closure"]["closureSize"] == 2
    assert second["status"] == "unattested" and second["attestation"] is None


def test_the_signer_workflow_must_belong_to_the_repository_or_owner_as_gh_requires(
    env: Server,
    built: Built,
    sign: Signer,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A run of octo/widgets that calls someone else's reusable workflow (granted `id-token: write`) gets a
    certificate whose repository is octo/widgets but whose signer (SAN) is that workflow: gh rejects it
    unless told (--signer-repo / --signer-workflow), and so must we (--workflow OWNER/REPO/PATH)."""
    app, sbom = built.app, built.sbom
    foreign = "evil/tools/.github/workflows/sign.yml@refs/heads/main"
    env.state.add_attestation(REPO, sign(sbom, signer_workflow=foreign)[0].read_text())
    for scope in (("--repository", REPO), ("--owner", "octo")):
        assert _verify(trust_files, "--store-path", app, *scope) == 1
        out, _ = _err_line(capsys)
        assert (
            f"identity check failed: signer workflow is https://github.com/{foreign}, expected a workflow "
            f"of {scope[1]}" in out
        )
    # a workflow named without its repository does not pin another repository's workflow
    assert _verify(trust_files, "--store-path", app, "--repository", REPO, "--workflow", "sign.yml") == 1
    assert "expected a workflow of octo/widgets" in _err_line(capsys)[0]
    pinned = ("--workflow", "evil/tools/.github/workflows/sign.yml")
    assert _verify(trust_files, "--store-path", app, "--repository", REPO, *pinned) == 0
    assert f"ok: workflow https://github.com/{foreign}" in capsys.readouterr().out
    # a reusable workflow of the same owner is a repository of that owner: --owner accepts it
    shared = "octo/shared/.github/workflows/sign.yml@refs/heads/main"
    env.state.add_attestation(REPO, sign(sbom, signer_workflow=shared)[0].read_text())
    assert _verify(trust_files, "--store-path", app, "--owner", "octo") == 0
    out = capsys.readouterr().out
    assert f"ok: signer workflow https://github.com/{shared} is a workflow of octo" in out


def test_closure_tries_every_sbom_attestation_that_verifies(
    env: Server,
    built: Built,
    sign: Signer,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """Several SBOM attestations of the same store path verify (a re-run, an SBOM re-generated with more
    metadata, one of another closure): the closure must equal one of them, and the policy then runs on that
    one, not on the first that verified."""
    app, sbom = built.app, built.sbom
    (dep,) = sbom.runtime_components
    env.state.add_attestation(REPO, sign(_without(sbom, dep))[0].read_text())
    env.state.add_attestation(REPO, sign(sbom)[0].read_text())
    args = ("--store-path", app, "--repository", REPO, "--closure")
    assert _verify(trust_files, *args) == 0
    out = capsys.readouterr().out
    assert out.startswith("verified GitHub attestation 2 of 2 (repository id 101)\n")
    assert f"ok: runtime closure of {app} (2 store paths) equals the store paths in the attested SBOM" in out
    assert (
        f"rejected GitHub attestation 1 of 2 (repository id 100): closure check failed for {app}: 1 path(s) "
        f"in the closure are not in the attested SBOM: verify-dep 2.1 ({dep.store_path})" in out
    )
    policy = tmp_path / "policy.yaml"
    policy.write_text("packages: {deny: [verify-dep]}\n")  # only the SBOM that matches the closure has it
    assert _verify(trust_files, *args, "--policy", str(policy)) == 1
    assert "policy " in _err_line(capsys)[1]
    # none matches: exit 1 naming the first that verified; every other one is listed with its mismatch
    env.state.attestations.pop()
    env.state.add_attestation(REPO, sign(_padded(sbom))[0].read_text())
    assert _verify(trust_files, *args) == 1
    out, err = _err_line(capsys)
    assert err.startswith(
        f"nix-attest: error: closure check failed for {app}: 1 path(s) in the closure are not in the "
        "attested SBOM: verify-dep 2.1"
    )
    assert err.endswith("(1 other SBOM attestation(s) verified but do not match the closure either)\n")
    assert out.startswith("attestation verified: GitHub attestation 1 of 2")
    assert "rejected GitHub attestation 2 of 2 (repository id 101): closure check failed for " in out
    assert "in the attested SBOM are not in the closure: openssl 3.0.1" in out


def test_a_signed_predicate_that_is_no_sbom_is_that_candidates_mismatch(
    env: Server,
    built: Built,
    sign: Signer,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = built.app
    broken = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": app, "digest": {"sha256": nar_sha256_hex(app)}}],
        "predicateType": "https://cyclonedx.org/bom",
        "predicate": {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": "none"},
    }
    env.state.add_attestation(REPO, sign.statement(broken).read_text())
    env.state.add_attestation(REPO, sign(built.sbom)[0].read_text())
    assert _verify(trust_files, "--store-path", app, "--repository", REPO, "--closure") == 0
    out = capsys.readouterr().out
    assert out.startswith("verified GitHub attestation 2 of 2")
    assert (
        f"rejected GitHub attestation 1 of 2 (repository id 100): closure check failed for {app}: the SBOM "
        "attested by GitHub attestation 1 of 2 (repository id 100) is not valid CycloneDX 1.6" in out
    )


@pytest.mark.parametrize(
    ("scope", "repository", "workflow", "message"),
    [
        (("--owner", "octo"), "octo-evil/widgets", None,
         "repository is octo-evil/widgets, expected a repository of octo"),
        (("--repository", REPO), "octo/widgets-evil", None,
         "repository is octo/widgets-evil, expected octo/widgets"),
        (("--owner", "octo"), REPO, "octo-evil/tools/.github/workflows/sign.yml@refs/heads/main",
         "signer workflow is https://github.com/octo-evil/tools/.github/workflows/sign.yml@refs/heads/main, "
         "expected a workflow of octo "),
        (("--repository", REPO), REPO, "octo/widgets-evil/.github/workflows/release.yml@refs/heads/main",
         "signer workflow is https://github.com/octo/widgets-evil/.github/workflows/release.yml@refs/heads/main"
         ", expected a workflow of octo/widgets "),
        (("--repository", REPO), "OCTO/Widgets", None, None),  # GitHub names are case-insensitive
    ],
)  # fmt: skip
def test_owner_and_repository_are_compared_exactly_not_as_prefixes(
    env: Server,
    built: Built,
    sign: Signer,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    scope: tuple[str, str],
    repository: str,
    workflow: str | None,
    message: str | None,
) -> None:
    env.state.add_attestation(REPO, sign(built.sbom, repository, signer_workflow=workflow)[0].read_text())
    code = _verify(trust_files, "--store-path", built.app, *scope)
    if message is None:
        assert code == 0
        return
    assert code == 1
    assert f"identity check failed: {message}" in _err_line(capsys)[0]
