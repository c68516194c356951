"""`nix-attest verify --policy FILE`: the attested SBOM is checked against a policy after verification."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from attest_helpers import make_sbom
from sigstore_stack import SigstoreStack

from nix_attest.cli import main
from nix_attest.sbom.cyclonedx import dumps_sbom
from nix_attest.sbom.model import License


@pytest.fixture(scope="module")
def signed(
    stack: SigstoreStack, trust_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """An SBOM whose root is GPL-3.0-only and glibc LGPL-2.1-or-later, signed (SBOM + provenance)."""
    d = tmp_path_factory.mktemp("signed")
    base = make_sbom()
    glibc = dataclasses.replace(base.components[1], licenses=(License(expression="LGPL-2.1-or-later"),))
    sbom = dataclasses.replace(
        base,
        root=dataclasses.replace(base.root, licenses=(License(expression="GPL-3.0-only"),)),
        components=(base.components[0], glibc),
    )
    sbom_file = d / "sbom.cdx.json"
    sbom_file.write_text(dumps_sbom(sbom))
    code = main(
        [
            "sign", "--sbom", str(sbom_file), "--provenance", "-o", str(d / "out"),
            "--identity-token", stack.token(), "--trust-config", str(trust_files["config"]),
        ]
    )  # fmt: skip
    assert code == 0
    return {
        "sbom": sbom_file,
        "bundle": d / "out" / "sbom.sigstore.json",
        "provenance": d / "out" / "provenance.sigstore.json",
        "root": trust_files["root"],
    }


def _verify(signed: dict[str, Path], policy: Path, bundle: str = "bundle") -> int:
    return main(
        [
            "verify", str(signed[bundle]), "--sbom", str(signed["sbom"]), "--repository", "octo/widgets",
            "--trust-root", str(signed["root"]), "--policy", str(policy),
        ]
    )  # fmt: skip


def test_passing_policy_exits_0_and_prints_the_report(
    signed: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("licenses: {deny: [AGPL-3.0-only], unknown: allow}\n")
    capsys.readouterr()
    assert _verify(signed, policy) == 0
    out, err = capsys.readouterr()
    assert "ok: SBOM" in out and "ok: repository octo/widgets" in out
    assert "policy pass: 0 error(s), 0 warning(s), 0 note(s), 0 waived; 3 components checked" in out
    assert err == ""


def test_failing_policy_exits_1_naming_the_violations(
    signed: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("licenses: {deny: [GPL-3.0-only, LGPL-2.1-or-later], unknown: allow}\n")
    capsys.readouterr()
    assert _verify(signed, policy) == 1
    out, err = capsys.readouterr()
    assert "verified " in out  # the signature itself was fine
    assert out.count("licenses.deny") == 2 and "hello@2.12.1" in out and "glibc@2.38" in out
    assert "policy fail: 2 error(s)" in out
    assert err == (
        f"nix-attest: error: policy {policy} failed on the attested SBOM: 2 violation(s) "
        "(2 error(s), 0 warning(s), 0 note(s); fail-on: error)\n"
    )


def test_policy_is_evaluated_on_the_attested_sbom(
    signed: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A warning-level policy with fail-on: warning fails too (the count covers warnings)."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "fail-on: warning\npackages: {deny: [{name: glibc, severity: warning, reason: test}]}\n"
    )
    capsys.readouterr()
    assert _verify(signed, policy) == 1
    out, err = capsys.readouterr()
    assert "WARNING" in out and "packages.deny" in out
    assert "1 violation(s) (0 error(s), 1 warning(s), 0 note(s); fail-on: warning)" in err


def test_malformed_policy_exits_2_before_verifying(
    signed: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("licenses: {deny: 5}\n")
    capsys.readouterr()
    assert _verify(signed, policy) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"nix-attest: error: {policy}") and err.count("\n") == 1


def test_policy_with_a_provenance_bundle_is_a_usage_error(
    signed: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("licenses: {deny: [GPL-3.0-only]}\n")
    capsys.readouterr()
    assert _verify(signed, policy, "provenance") == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "nix-attest: error: --policy needs an SBOM attestation (predicate type https://cyclonedx.org/bom or "
        "https://spdx.dev/Document); "
        f"{signed['provenance']} is https://slsa.dev/provenance/v1\n"
    )


def test_failed_verification_wins_over_the_policy(
    signed: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("licenses: {deny: [GPL-3.0-only]}\n")
    capsys.readouterr()
    code = main(
        [
            "verify", str(signed["bundle"]), "--sbom", str(signed["sbom"]), "--repository", "octo/other",
            "--trust-root", str(signed["root"]), "--policy", str(policy),
        ]
    )  # fmt: skip
    assert code == 1
    out, err = capsys.readouterr()
    assert out == "" and "identity check failed: repository" in err and "policy" not in err
