"""The pieces of verify-by-digest that need neither Nix nor Sigstore: the bundle_url codec (bounded), the
attestation listing's errors and paging, the bundle directory, the store-path list reader."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import replace
from pathlib import Path

import cramjam
import pytest
from attest_helpers import ROOT_PATH, make_sbom
from helpers.github_server import Fault, Server, github  # noqa: F401  (the fixture)

from nix_attest.attest.candidates import MAX_BUNDLE_BYTES, BundleDirectory, claimed_digests
from nix_attest.attest.closure import compare_closure
from nix_attest.attest.github_lookup import (
    MAX_PAGES,
    AttestationScope,
    decode_bundle_blob,
    list_attestations,
)
from nix_attest.cli import main
from nix_attest.commands.verify import read_store_paths
from nix_attest.errors import ExternalError, InputError
from nix_attest.github.http import GitHubClient
from nix_attest.sbom.cyclonedx import dumps_sbom
from nix_attest.sbom.read import loads_sbom

DIGEST = "ab" * 32


def _bundle(*digests: str, predicate: str = "https://cyclonedx.org/bom") -> dict[str, object]:
    stmt = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": f"s{i}", "digest": {"sha256": d}} for i, d in enumerate(digests)],
        "predicateType": predicate,
        "predicate": {},
    }
    payload = base64.b64encode(json.dumps(stmt).encode()).decode()
    return {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {},
        "dsseEnvelope": {"payload": payload, "payloadType": "application/vnd.in-toto+json", "signatures": []},
    }


def test_snappy_blob_decodes_like_gh_and_is_bounded() -> None:
    doc = json.dumps(_bundle(DIGEST)).encode()
    assert decode_bundle_blob(bytes(cramjam.snappy.compress_raw(doc)), "application/x-snappy") == doc
    assert decode_bundle_blob(doc, "application/json; charset=utf-8") == doc  # labelled plain JSON
    with pytest.raises(ValueError, match="not Snappy data"):
        decode_bundle_blob(doc, "application/octet-stream")  # unlabelled JSON is not what GitHub serves
    # a header announcing more than the bound is refused before anything is decompressed
    huge = bytearray()
    n = MAX_BUNDLE_BYTES + 1
    while n >= 0x80:
        huge.append((n & 0x7F) | 0x80)
        n >>= 7
    huge.append(n)
    with pytest.raises(ValueError, match="would be 67108865 bytes"):
        decode_bundle_blob(bytes(huge) + b"\x00" * 16)
    with pytest.raises(ValueError, match="truncated"):
        decode_bundle_blob(b"")
    with pytest.raises(ValueError, match="bad length header"):
        decode_bundle_blob(b"\xff" * 12)


def test_listing_pages_and_keeps_the_token_off_the_storage_host(github: Server) -> None:  # noqa: F811
    github.state.users["ghp_" + "t" * 36] = "reader"
    for i in range(5):
        github.state.add_attestation("octo/widgets", json.dumps(_bundle(DIGEST)), inline=i % 2 == 0)
    github.state.add_attestation("octo/widgets", json.dumps(_bundle("cd" * 32)))  # another subject
    github.state.add_attestation(
        "octo/widgets", json.dumps(_bundle(DIGEST, predicate="https://slsa.dev/provenance/v1"))
    )
    github.state.max_per_page = 2
    with GitHubClient(github.url, "ghp_" + "t" * 36, retries=0) as client:
        found = list_attestations(
            client,
            AttestationScope(repository="octo/widgets"),
            DIGEST,
            predicate_type="https://cyclonedx.org/bom",
        )
    assert [c.source for c in found.candidates] == [
        f"GitHub attestation {n} of 5 (repository id {99 + n})" for n in range(1, 6)
    ]
    assert all(c.raw is not None and json.loads(c.raw) == _bundle(DIGEST) for c in found.candidates)
    assert len(github.state.attestation_requests()) == 3
    blobs = github.state.blob_requests()
    assert len(blobs) == 2 and all("Authorization" not in b.headers for b in blobs)


def test_listing_errors(github: Server) -> None:  # noqa: F811
    scope = AttestationScope(owner="octo")
    anonymous = GitHubClient(github.url, None, retries=0)
    with anonymous as client, pytest.raises(ExternalError, match="without a token"):
        list_attestations(client, scope, DIGEST, has_token=False)
    github.state.users["tok"] = "reader"
    with GitHubClient(github.url, "tok", retries=0) as client:  # 404: none, or a repository it cannot see
        assert list_attestations(client, scope, DIGEST, has_token=False).none_reason == (
            f"GitHub has no attestation for sha256:{DIGEST} in repositories of octo "
            "(no token set: for a private repository set GITHUB_TOKEN or GH_TOKEN)"
        )
        assert list_attestations(client, scope, DIGEST).none_reason == (
            f"GitHub has no attestation for sha256:{DIGEST} in repositories of octo"
        )
    github.state.faults.append(Fault(500, body={"message": "boom"}))
    failing = GitHubClient(github.url, "tok", retries=0)
    with failing as client, pytest.raises(ExternalError, match="attestations of repositories of octo failed"):
        list_attestations(client, scope, DIGEST)
    github.state.add_attestation("octo/widgets", json.dumps(_bundle(DIGEST)), inline=False)
    refused = Fault(403, body={"message": "AuthorizationFailure"}, path="/blobs/")  # the storage host
    github.state.faults.append(refused)
    with GitHubClient(github.url, "tok", retries=0) as client:
        found = list_attestations(client, scope, DIGEST)
    (candidate,) = found.candidates
    assert candidate.raw is None and candidate.problem is not None
    assert candidate.problem.startswith("fetching its bundle_url failed: GET http://localhost:")
    assert "sig=" not in candidate.problem  # the pre-signed query is not repeated
    for bad in ("octo", "octo/..", "../widgets", "octo/widgets/x", "octo/wid gets"):
        with pytest.raises(InputError, match="--repository must be OWNER/REPO"):
            AttestationScope(repository=bad)  # a dot segment would move the request to another API path
    for bad in ("..", ".", "octo/x", ""):
        with pytest.raises(InputError, match="--owner must be an organization or user name"):
            AttestationScope(owner=bad)
    with pytest.raises(InputError):
        AttestationScope(repository="a/b", owner="a")


def test_bundle_directory_picks_bundles_about_the_digest(tmp_path: Path) -> None:
    (tmp_path / "one.sigstore.json").write_text(json.dumps(_bundle(DIGEST, "ef" * 32)))
    lines = [json.dumps(_bundle("cd" * 32)), "", "{not json", json.dumps(_bundle(DIGEST))]
    (tmp_path / "many.jsonl").write_text("\n".join(lines))
    (tmp_path / "deep.json").write_text("[" * 5000 + "]" * 5000)
    (tmp_path / "readme.md").write_text("ignored")
    d = BundleDirectory(tmp_path)
    assert len(d) == 5
    assert [c.source for c in d.lookup(DIGEST).candidates] == [
        f"{tmp_path}/many.jsonl line 4",
        f"{tmp_path}/one.sigstore.json",
    ]
    none = d.lookup("00" * 32)
    assert (
        none.candidates == ()
        and none.none_reason == f"none of the 5 bundle(s) in {tmp_path} is about sha256:{'00' * 32}"
    )
    with pytest.raises(InputError, match="not a directory"):
        BundleDirectory(tmp_path / "one.sigstore.json")
    assert claimed_digests(
        {"messageSignature": {"messageDigest": {"digest": base64.b64encode(b"\x01" * 32).decode()}}}
    ) == {"01" * 32}


def test_store_path_lists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "paths"
    f.write_text("# closure\n/nix/store/a-x\n\n  /nix/store/b-y  \n")
    assert read_store_paths(str(f)) == ["/nix/store/a-x", "/nix/store/b-y"]
    monkeypatch.setattr("sys.stdin", io.StringIO("relative/path\n"))
    with pytest.raises(InputError, match="is not an absolute store path"):
        read_store_paths("-")
    f.write_text("# nothing\n")
    with pytest.raises(InputError, match="lists no store path"):
        read_store_paths(str(f))
    with pytest.raises(InputError, match="cannot read --store-paths-from"):
        read_store_paths(str(tmp_path / "missing"))


def test_closure_comparison_both_ways_and_buildtime_sboms() -> None:
    sbom = make_sbom()  # root hello + runtime glibc (+ a buildtime-only tarball, not a runtime path)
    glibc = "/nix/store/9df65igwjmf2wbw0gbrrgair6piqjgmi-glibc-2.38"
    assert compare_closure(ROOT_PATH, [ROOT_PATH, glibc], sbom).ok
    swapped = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-glibc-2.38"
    check = compare_closure(ROOT_PATH, [ROOT_PATH, swapped], sbom)
    assert check.not_in_sbom == (f"glibc 2.38 ({swapped})",)
    assert check.not_in_closure == (f"glibc 2.38 ({glibc})",)
    assert check.summary() == (
        f"closure check failed for {ROOT_PATH}: 1 path(s) in the closure are not in the attested SBOM: "
        f"glibc 2.38 ({swapped}); 1 path(s) in the attested SBOM are not in the closure: glibc 2.38 ({glibc})"
    )
    many = [ROOT_PATH, glibc, *(f"/nix/store/{str(i) * 32}-extra-{i}.0" for i in range(5))]
    assert compare_closure(ROOT_PATH, many, sbom).summary().endswith(" and 2 more")  # the first three named
    buildtime = replace(sbom, meta=replace(sbom.meta, closure="buildtime"))
    check = compare_closure(ROOT_PATH, [ROOT_PATH], buildtime)
    assert not check.ok and "describes the buildtime closure, not the runtime closure" in check.summary()


def test_closure_and_mode_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "f.txt"
    f.write_text("x")
    assert main(["verify", "--file", str(f), "--repository", "o/r", "--closure"]) == 2
    assert "--closure compares a store path's runtime closure" in capsys.readouterr().err
    # --closure needs the SBOM attestation: said before any trust root or network (the root here is absent)
    path = "/nix/store/00000000000000000000000000000000-x"
    args = ["--store-path", path, "--closure", "--predicate-type", "https://slsa.dev/provenance/v1"]
    assert main(["verify", *args, "--repository", "o/r", "--trust-root", str(tmp_path / "absent")]) == 2
    assert capsys.readouterr().err == (
        "nix-attest: error: --closure compares with an SBOM attestation: --predicate-type "
        "https://cyclonedx.org/bom\n"
    )
    assert (
        main(["verify", str(f), "--file", str(f), "--repository", "o/r", "--bundle-dir", str(tmp_path)]) == 2
    )
    assert "not both" in capsys.readouterr().err
    assert main(["verify", "--file", str(f), "--cert-identity", "me@example.com"]) == 2
    assert (
        "give --repository OWNER/REPO or --owner OWNER to look the attestations up" in capsys.readouterr().err
    )


def test_a_missing_store_path_is_reported_before_any_network(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")  # nothing listens there
    missing = "/nix/store/00000000000000000000000000000000-gone-1.0"
    assert (
        main(["verify", "--store-path", missing, "--repository", "o/r", "--trust-root", "/nonexistent"]) == 2
    )
    assert (
        capsys.readouterr().err
        == f"nix-attest: error: store path {missing} does not exist in the local store\n"
    )


def test_a_deeply_nested_listing_is_one_line_not_a_traceback(
    github: Server,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    trust_files: dict[str, Path],
) -> None:
    github.state.users["tok"] = "reader"
    deep = b'{"attestations": [{"bundle": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]}"
    github.state.faults.append(Fault(200, raw=deep, path="/repos/"))
    with GitHubClient(github.url, "tok", retries=0) as client, pytest.raises(ExternalError) as caught:
        list_attestations(client, AttestationScope(repository="octo/widgets"), DIGEST)
    assert "nested deeper than 100 levels" in caught.value.message
    # through the CLI: exit 3, one line (the file target needs no Nix; the listing fails first)
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("GITHUB_TOKEN", "tok")
    f = tmp_path / "artifact"
    f.write_text("x")
    github.state.faults.append(Fault(200, raw=deep, path="/repos/"))
    trust = str(trust_files["root"])
    code = main(["verify", "--file", str(f), "--repository", "octo/widgets", "--trust-root", trust])
    err = capsys.readouterr().err
    assert (code, err.count("\n")) == (3, 1), err
    assert "nested deeper than 100 levels" in err


def test_endless_paging_is_cut_off(github: Server) -> None:  # noqa: F811
    github.state.users["tok"] = "reader"
    path = f"/repos/octo/widgets/attestations/sha256:{DIGEST}"
    endless = {"Link": f'<{github.url}{path}?per_page=100&after=again>; rel="next"'}
    github.state.faults.extend(
        Fault(200, body={"attestations": []}, headers=endless, path="/repos/") for _ in range(200)
    )
    with GitHubClient(github.url, "tok", retries=0) as client, pytest.raises(ExternalError) as caught:
        list_attestations(client, AttestationScope(repository="octo/widgets"), DIGEST)
    assert "more than" in caught.value.message and "pages" in caught.value.message
    assert len(github.state.attestation_requests()) <= MAX_PAGES + 1


def test_resource_bounds_of_the_lookup(
    github: Server,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bundle file larger than the bound is not read; a bundle_url body larger than it is not kept; at
    most MAX_CANDIDATES entries of a listing are candidates."""
    monkeypatch.setattr("nix_attest.attest.candidates.MAX_BUNDLE_BYTES", 600)
    small, large = json.dumps(_bundle(DIGEST)), json.dumps(_bundle(DIGEST, "ef" * 32, "01" * 32))
    assert len(small) < 600 < len(large)
    (tmp_path / "small.json").write_text(small)
    (tmp_path / "large.json").write_text(large)
    d = BundleDirectory(tmp_path)
    assert [c.source for c in d.lookup(DIGEST).candidates] == [f"{tmp_path}/small.json"]
    assert d.lookup("ef" * 32).none_reason == (
        f"none of the 1 bundle(s) in {tmp_path} is about sha256:{'ef' * 32} (1 file(s) larger than 600 "
        f"bytes not read, e.g. {tmp_path}/large.json)"
    )
    github.state.users["tok"] = "reader"
    for _ in range(5):
        github.state.add_attestation("octo/widgets", large, inline=False)
    github.state.max_per_page = 2
    monkeypatch.setattr("nix_attest.attest.github_lookup.MAX_CANDIDATES", 3)
    monkeypatch.setattr("nix_attest.attest.github_lookup.MAX_BUNDLE_BYTES", 100)
    with GitHubClient(github.url, "tok", retries=0) as client:
        found = list_attestations(client, AttestationScope(repository="octo/widgets"), DIGEST)
    assert len(found.candidates) == 3 and len(github.state.attestation_requests()) == 2
    problem = found.candidates[0].problem
    assert problem is not None and problem.endswith("the response is larger than 100 bytes")


def test_a_bundle_url_on_the_api_host_that_redirects_elsewhere_loses_the_token(github: Server) -> None:  # noqa: F811
    """The token goes to the API host only: a bundle_url there may get it, the host it redirects to not."""
    github.state.users["ghp_" + "t" * 36] = "reader"
    github.state.add_attestation("octo/widgets", json.dumps(_bundle(DIGEST)), inline=False)
    github.state.bundle_base = f"{github.url}/moved"
    target = f"{github.state.blob_url}/blobs/0?sv=1&sig=c2ln"
    github.state.faults.append(Fault(302, headers={"Location": target}, path="/moved/"))
    with GitHubClient(github.url, "ghp_" + "t" * 36, retries=0) as client:
        found = list_attestations(client, AttestationScope(repository="octo/widgets"), DIGEST)
    (candidate,) = found.candidates
    assert candidate.raw is not None and json.loads(candidate.raw) == _bundle(DIGEST)
    moved, blob = [r for r in github.state.requests if r.path.startswith(("/moved/", "/blobs/"))]
    assert moved.headers["Authorization"] == "Bearer ghp_" + "t" * 36  # the API host itself
    assert blob.headers["Host"].startswith("localhost:") and "Authorization" not in blob.headers


def test_closure_comparison_of_an_sbom_with_repeated_or_non_store_path_components() -> None:
    """Read as --closure reads the attested predicate: a component listed twice is refused by the reader
    (the schema's uniqueItems: that candidate's mismatch, see by_digest); a runtime component that is no store
    path is never in a closure, so it is a mismatch, not skipped."""
    glibc = "/nix/store/9df65igwjmf2wbw0gbrrgair6piqjgmi-glibc-2.38"
    doc = json.loads(dumps_sbom(make_sbom()))
    (runtime,) = [c for c in doc["components"] if c["bom-ref"] == glibc]
    with pytest.raises(InputError, match="is not valid CycloneDX"):
        loads_sbom(json.dumps({**doc, "components": [*doc["components"], dict(runtime)]}))
    assert compare_closure(ROOT_PATH, [ROOT_PATH, glibc], loads_sbom(json.dumps(doc))).ok
    doc["components"].append(
        {"type": "library", "bom-ref": "pkg:generic/foo@1", "name": "foo", "version": "1"}
    )
    check = compare_closure(ROOT_PATH, [ROOT_PATH, glibc], loads_sbom(json.dumps(doc)))
    assert check.not_in_closure == ("foo 1 (pkg:generic/foo@1)",) and not check.not_in_sbom
