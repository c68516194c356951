"""`nix-attest sign` / `nix-attest verify` through cli.main, against the local Sigstore stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sigstore_stack import SigstoreStack

from nix_attest.cli import main


def _sign(tmp_path: Path, sbom_file: Path, trust_config: Path, token: str, *extra: str) -> int:
    return main(
        [
            "sign", "--sbom", str(sbom_file), "--provenance", "-o", str(tmp_path / "out"),
            "--identity-token", token, "--trust-config", str(trust_config), *extra,
        ]
    )  # fmt: skip


def test_cli_sign_then_verify(
    tmp_path: Path,
    sbom_file: Path,
    stack: SigstoreStack,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    assert _sign(tmp_path, sbom_file, trust_files["config"], stack.token()) == 0
    out = capsys.readouterr().out
    assert "signed sbom (https://cyclonedx.org/bom)" in out
    assert "signed provenance (https://slsa.dev/provenance/v1)" in out
    assert f"{stack.url}/api/v1/log/entries?logIndex=" in out
    bundle = tmp_path / "out" / "sbom.sigstore.json"
    for root in (trust_files["root"], trust_files["config"]):
        code = main(
            [
                "verify", str(bundle), "--sbom", str(sbom_file), "--repository", "octo/widgets",
                "--workflow", ".github/workflows/release.yml", "--ref", "refs/heads/main",
                "--trust-root", str(root),
            ]
        )  # fmt: skip
        assert code == 0
    out = capsys.readouterr().out
    assert "verified" in out and "ok: repository octo/widgets" in out and "subject: /nix/store/" in out


def test_cli_verify_failures_exit_1_with_named_check(
    tmp_path: Path,
    sbom_file: Path,
    stack: SigstoreStack,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _sign(tmp_path, sbom_file, trust_files["config"], stack.token()) == 0
    bundle = tmp_path / "out" / "provenance.sigstore.json"
    base = ["verify", str(bundle), "--sbom", str(sbom_file), "--trust-root", str(trust_files["root"])]
    capsys.readouterr()
    assert main([*base, "--repository", "octo/other"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("nix-attest: error: identity check failed: repository") and err.count("\n") == 1
    assert main([*base, "--repository", "octo/widgets", "--cert-oidc-issuer", "https://example.com"]) == 1
    assert "OIDC issuer" in capsys.readouterr().err
    bad = tmp_path / "trunc.sigstore.json"
    bad.write_text(bundle.read_text()[:100])
    assert main(["verify", str(bad), "--file", str(sbom_file), "--repository", "octo/widgets",
                 "--trust-root", str(trust_files["root"])]) == 1  # fmt: skip
    assert "is not JSON" in capsys.readouterr().err


def test_cli_usage_errors(tmp_path: Path, sbom_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["verify", "b.json", "--repository", "o/r"])  # no target
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        main(["verify", "b.json", "--file", "f", "--sbom", "s", "--repository", "o/r"])
    missing = tmp_path / "nope.json"
    assert main(["verify", str(missing), "--file", str(sbom_file), "--repository", "o/r",
                 "--trust-root", str(missing)]) == 2  # fmt: skip
    assert "cannot read bundle" in capsys.readouterr().err  # read before any trust root is loaded


def test_cli_sign_in_actions_without_id_token_permission(
    tmp_path: Path,
    sbom_file: Path,
    trust_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    event = tmp_path / "event.json"  # the runner always writes one (without it: not known to be public)
    event.write_text('{"repository": {"visibility": "public", "private": false}}')
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.delenv("ACTIONS_ID_TOKEN_REQUEST_URL", raising=False)
    monkeypatch.delenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", raising=False)
    monkeypatch.delenv("SIGSTORE_ID_TOKEN", raising=False)
    code = main(["sign", "--sbom", str(sbom_file), "-o", str(tmp_path / "o"), "--trust-config",
                 str(trust_files["config"])])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "permissions: id-token: write" in err and err.count("\n") == 1


def test_cli_sign_bad_trust_config(
    tmp_path: Path, sbom_file: Path, stack: SigstoreStack, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"mediaType": "nope"}))
    assert main(["sign", "--sbom", str(sbom_file), "-o", str(tmp_path), "--identity-token", stack.token(),
                 "--trust-config", str(cfg)]) == 2  # fmt: skip
    assert "not a valid ClientTrustConfig" in capsys.readouterr().err


def test_cli_sign_and_verify_an_spdx_sbom(
    tmp_path: Path,
    stack: SigstoreStack,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An SPDX SBOM is signed with predicate type https://spdx.dev/Document and verifies like CycloneDX."""
    import dataclasses

    from attest_helpers import make_sbom

    from nix_attest.sbom import spdx
    from nix_attest.sbom.model import License

    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    base = make_sbom()
    sbom = dataclasses.replace(
        base, root=dataclasses.replace(base.root, licenses=(License(expression="GPL-3.0-only"),))
    )
    sbom_file = tmp_path / "sbom.spdx.json"
    sbom_file.write_text(spdx.dumps_sbom(sbom))
    assert _sign(tmp_path, sbom_file, trust_files["config"], stack.token()) == 0
    assert "signed sbom (https://spdx.dev/Document)" in capsys.readouterr().out
    bundle = tmp_path / "out" / "sbom.sigstore.json"
    statement = json.loads(
        __import__("base64").b64decode(json.loads(bundle.read_text())["dsseEnvelope"]["payload"])
    )
    assert statement["predicateType"] == "https://spdx.dev/Document"
    assert statement["predicate"] == json.loads(sbom_file.read_text())
    assert statement["subject"][0] == {
        "name": sbom.root.store_path,
        "digest": {"sha256": sbom.root.nar_sha256},
    }
    verify = ["verify", str(bundle), "--repository", "octo/widgets", "--trust-root", str(trust_files["root"])]
    assert main([*verify, "--sbom", str(sbom_file)]) == 0
    # the policy is checked on the attested SPDX SBOM
    policy = tmp_path / "policy.yaml"
    policy.write_text("licenses: {deny: [GPL-3.0-only], unknown: allow}\n")
    capsys.readouterr()
    assert main([*verify, "--sbom", str(sbom_file), "--policy", str(policy)]) == 1
    assert "licenses.deny" in capsys.readouterr().out
    changed = tmp_path / "changed.spdx.json"
    changed.write_text(sbom_file.read_text().replace('"hello"', '"hallo"', 1))
    assert main([*verify, "--sbom", str(changed)]) == 1
    assert "differs from the SBOM in the attestation" in capsys.readouterr().err
