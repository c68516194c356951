"""Property-based tests of every parser of untrusted input (hypothesis): whatever a pull request puts in a
policy, an SBOM, a bundle, Nix's JSON about its derivations, an event payload or a component name, the
answer is a result or one error line with a defined exit code — never an internal error (exit 3 with a
traceback's worth of Python) and never a live mention in the comment.

Examples per test: 40 by default (CI); NIX_ATTEST_HYPOTHESIS_EXAMPLES=2000 for a longer local run.
Inputs are valid documents with one subtree replaced by arbitrary JSON, so they get past the first check
and reach the deeper code, plus arbitrary text and bytes."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from helpers.properties import BOUNDED, cli, json_values, mutated
from hypothesis import given
from hypothesis import strategies as st

from nix_attest.errors import NixAttestError
from nix_attest.github.context import pull_request_context
from nix_attest.nix.drv import parse_derivations
from nix_attest.nix.pathinfo import parse_path_info
from nix_attest.policy.nickel_imports import _Refused, find_imports
from nix_attest.report import md

# ruff: noqa: E501  (the sample documents read best on long lines)

DATA = Path(__file__).resolve().parents[1] / "data"


SBOM = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "version": 1,
    "metadata": {
        "component": {"type": "application", "name": "app", "version": "1.0", "bom-ref": "/nix/store/" + "0" * 32 + "-app"}
    },
    "components": [
        {
            "type": "library", "name": "lib", "version": "2.0", "bom-ref": "/nix/store/" + "1" * 32 + "-lib-2.0",
            "purl": "pkg:nix/lib@2.0", "licenses": [{"license": {"id": "MIT"}}],
            "hashes": [{"alg": "SHA-256", "content": "ab" * 32}],
            "properties": [{"name": "nix:store_path", "value": "/nix/store/" + "1" * 32 + "-lib-2.0"}],
        }
    ],
    "dependencies": [{"ref": "/nix/store/" + "0" * 32 + "-app", "dependsOn": ["/nix/store/" + "1" * 32 + "-lib-2.0"]}],
}  # fmt: skip
POLICY = {
    "fail-on": "error",
    "licenses": {"allow": ["MIT"], "unknown": "warn", "scope": "runtime"},
    "packages": {"deny": ["openssl < 3.0.13", {"name": "evil*", "version": ">= 1, < 2", "reason": "bad"}]},
    "closure": {"max-components": 100, "max-runtime-bytes": "1 GiB"},
    "rules": [{"id": "has-version", "expr": "component.version != ''", "message": "{name} has no version"}],
    "waivers": [{"rule": "licenses.*", "component": "lib", "reason": "ok", "expires": "2030-01-01"}],
    "budgets": {"cel-seconds": 5},
}


@BOUNDED
@given(doc=mutated(SBOM))
def test_sbom_reader(doc: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sbom = tmp_path / "sbom.json"
    sbom.write_text(json.dumps(doc))
    policy = tmp_path / "p.yaml"
    policy.write_text("fail-on: never\n")
    cli(["check", str(sbom), "--policy", str(policy)], capsys, (0, 2))
    cli(["diff", str(sbom), str(sbom)], capsys, (0, 2))


@BOUNDED
@given(doc=mutated(POLICY))
def test_policy_yaml(doc: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    sbom = tmp_path / "sbom.json"
    sbom.write_text(json.dumps(SBOM))
    policy = tmp_path / "p.yaml"
    policy.write_text(yaml.safe_dump(doc))
    cli(["check", str(sbom), "--policy", str(policy)], capsys, (0, 1, 2))


@BOUNDED
@given(
    text=st.text(max_size=200)
    | st.sampled_from(
        ["a: &x [*x]", "a: [[[[[[", "? [a]\n: b", "a: !!python/name:os.system", "?", "1: x", "true: 1"]
    )
)
def test_policy_yaml_text(text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sbom = tmp_path / "sbom.json"
    sbom.write_text(json.dumps(SBOM))
    policy = tmp_path / "p.yaml"
    policy.write_text(text)
    cli(["check", str(sbom), "--policy", str(policy)], capsys, (0, 1, 2))


BUNDLE = json.loads((DATA / "sigstore-vectors" / "new_bundle.txt.sigstore.json").read_text())


@BOUNDED
@given(doc=mutated(BUNDLE) | json_values)
def test_bundle_reader(doc: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = tmp_path / "b.sigstore.json"
    bundle.write_text(json.dumps(doc))
    artifact = DATA / "sigstore-vectors" / "new_bundle.txt"
    root = DATA / "sigstore-vectors" / "production_trusted_root.json"
    cli(
        ["verify", str(bundle), "--file", str(artifact), "--trust-root", str(root),
         "--cert-identity", "aryadeeptade@gmail.com", "--cert-oidc-issuer", "https://github.com/login/oauth"],
        capsys, (0, 1),
    )  # fmt: skip


DRVS = {
    name: json.loads((DATA / "drv" / name).read_text())
    for name in sorted(os.listdir(DATA / "drv"))
    if name.endswith(".json")
}


@BOUNDED
@given(doc=st.one_of(*(mutated(d) for d in DRVS.values())) | json_values)
def test_derivation_json(doc: Any) -> None:
    try:
        parse_derivations(doc)
    except NixAttestError as exc:
        assert exc.exit_code in (2, 3) and "\n" not in str(exc)


PATH_INFO = [
    {"path": "/nix/store/" + "1" * 32 + "-lib-2.0", "narHash": "sha256:" + "0" * 52, "narSize": 120,
     "references": ["/nix/store/" + "1" * 32 + "-lib-2.0"], "deriver": "/nix/store/" + "2" * 32 + "-lib-2.0.drv", "valid": True}
]  # fmt: skip


@BOUNDED
@given(
    doc=mutated(PATH_INFO)
    | mutated({p["path"]: {k: v for k, v in p.items() if k != "path"} for p in PATH_INFO})
)
def test_path_info_json(doc: Any) -> None:
    try:
        parse_path_info(doc)
    except NixAttestError as exc:
        assert exc.exit_code in (2, 3) and "\n" not in str(exc)


EVENT = {
    "pull_request": {"number": 7, "base": {"ref": "main", "sha": "abc"}, "head": {"sha": "def"}},
    "number": 7,
}


@BOUNDED
@given(doc=mutated(EVENT) | json_values, raw=st.none() | st.binary(max_size=50))
def test_event_payload(doc: Any, raw: bytes | None, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_bytes(raw if raw is not None else json.dumps(doc).encode())
    try:
        ctx = pull_request_context({"GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "o/r"})
    except NixAttestError as exc:
        assert exc.exit_code == 2 and "\n" not in str(exc)
        return
    assert ctx.number is None or isinstance(ctx.number, int)


LIVE = re.compile(r"(?<![\w`])@[A-Za-z0-9_]|(?<![\w&])#[0-9]+\b|\bGH-[0-9]+\b|<!--", re.IGNORECASE)


@BOUNDED
@given(value=st.text(max_size=80) | st.sampled_from(["@octocat", "#1", "<!-- x -->", "a\n|b`c", "GH-9 @o/t"]))
def test_markdown_renderer_makes_text_inert(value: str) -> None:
    for out in (md.text(value), md.code(value), md.inert(value)):
        assert not LIVE.search(out), (value, out)
    assert "\n" not in md.text(value) and "\n" not in md.code(value)
    code = md.code(value)
    assert code.startswith("`") and code.endswith("`") and "`" not in code[1:-1]
    assert "|" not in code.replace("\\|", "")  # no table cell break
    assert "<" not in md.text(value) and ">" not in md.text(value)
    assert md.inert(md.inert(value)) == md.inert(value)


@BOUNDED
@given(
    text=st.text(max_size=120)
    | st.lists(
        st.sampled_from(["import", " ", '"a.ncl"', 'm%"', '"%', "%{", "}", "#", "\n", "'", "\\"]), max_size=20
    ).map("".join)
)
def test_nickel_import_lexer_never_crashes(text: str) -> None:
    try:
        imports = find_imports(text)
    except _Refused as exc:
        assert exc.problem and 0 <= exc.offset <= len(text)
        return
    assert all(i.line >= 1 for i in imports)
