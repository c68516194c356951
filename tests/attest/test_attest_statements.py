"""Statement and SLSA provenance contents (no signing)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from attest_helpers import ROOT_NAR, ROOT_PATH, make_sbom

from nix_attest.attest.github_env import github_context
from nix_attest.attest.pipeline import build_statements
from nix_attest.attest.provenance import BUILD_TYPE, LOCAL_BUILDER_ID, provenance_predicate
from nix_attest.attest.statement import sbom_statement
from nix_attest.errors import InputError
from nix_attest.sbom.cyclonedx import dumps_sbom

GH_ENV = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "octo/widgets",
    "GITHUB_WORKFLOW_REF": "octo/widgets/.github/workflows/release.yml@refs/tags/v1.0",
    "GITHUB_REF": "refs/tags/v1.0",
    "GITHUB_SHA": "c0ffee" + "0" * 34,
    "GITHUB_RUN_ID": "123",
    "GITHUB_RUN_ATTEMPT": "2",
    "GITHUB_EVENT_NAME": "push",
}


def test_sbom_statement_subjects_and_predicate(tmp_path: Path) -> None:
    extra = tmp_path / "hello.tar.gz"
    extra.write_bytes(b"abc")
    text = dumps_sbom(make_sbom())
    (sbom,) = build_statements(text, subject_files=[extra])
    st = sbom.statement
    assert st["_type"] == "https://in-toto.io/Statement/v1"
    assert st["predicateType"] == "https://cyclonedx.org/bom"
    assert st["subject"] == [
        {"name": ROOT_PATH, "digest": {"sha256": ROOT_NAR}},
        {"name": "hello.tar.gz", "digest": {"sha256": hashlib.sha256(b"abc").hexdigest()}},
    ]
    assert st["predicate"]["bomFormat"] == "CycloneDX" and st["predicate"]["serialNumber"]


def test_sbom_without_serial_number_is_rejected() -> None:
    with pytest.raises(InputError, match="serialNumber"):
        sbom_statement({"bomFormat": "CycloneDX", "specVersion": "1.6"}, [])


def test_provenance_on_github() -> None:
    ctx = github_context(GH_ENV)
    p = provenance_predicate(make_sbom(), ctx)
    bd = p["buildDefinition"]
    assert bd["buildType"] == BUILD_TYPE
    assert bd["externalParameters"]["installable"] == "github:octo/widgets#hello"
    assert bd["externalParameters"]["flake"]["rev"] == "0123456789abcdef0123456789abcdef01234567"
    assert bd["externalParameters"]["flake"]["narHash"].startswith("sha256-")
    assert bd["externalParameters"]["workflow"] == {
        "repository": "https://github.com/octo/widgets",
        "ref": "refs/tags/v1.0",
        "path": ".github/workflows/release.yml",
    }
    assert bd["internalParameters"]["nixVersion"] == "2.8.0"
    assert bd["internalParameters"]["system"] == "x86_64-linux"
    deps = bd["resolvedDependencies"]
    assert deps[0] == {
        "uri": "git+https://github.com/octo/widgets@refs/tags/v1.0",
        "digest": {"gitCommit": GH_ENV["GITHUB_SHA"]},
    }
    nixpkgs = next(d for d in deps if d.get("name") == "flake-input:nixpkgs")
    assert nixpkgs["digest"]["gitCommit"] == "fedcba9876543210fedcba9876543210fedcba98"
    assert nixpkgs["digest"]["sha256"] == "041" * 21 + "0"  # sha256-BBB…= decoded to hex
    src = next(d for d in deps if d.get("name") == "hello-2.12.1.tar.gz")
    assert src["uri"] == "https://ftpmirror.gnu.org/hello/hello-2.12.1.tar.gz"
    assert src["digest"] == {"sha256": "8d99142afd92576f30b0cd7cb42a8dc6809998bc5d607d88761f512e26c7db20"}
    assert src["annotations"]["method"] == "flat" and len(src["annotations"]["urls"]) == 2
    rd = p["runDetails"]
    assert (
        rd["builder"]["id"] == "https://github.com/octo/widgets/.github/workflows/release.yml@refs/tags/v1.0"
    )
    assert rd["metadata"]["invocationId"] == "https://github.com/octo/widgets/actions/runs/123/attempts/2"


def test_provenance_outside_github_is_still_valid() -> None:
    assert github_context({}) is None
    p = provenance_predicate(make_sbom(), None)
    assert p["runDetails"] == {"builder": {"id": LOCAL_BUILDER_ID}}
    assert "workflow" not in p["buildDefinition"]["externalParameters"]
    deps = p["buildDefinition"]["resolvedDependencies"]
    assert any(d.get("name") == "hello-2.12.1.tar.gz" for d in deps)  # the fixed-output source is there
    assert all("uri" in d or "digest" in d for d in deps)


def test_provenance_statement_shares_subjects() -> None:
    sbom_st, prov_st = build_statements(
        dumps_sbom(make_sbom()), provenance=True, github=github_context(GH_ENV)
    )
    assert sbom_st.statement["subject"] == prov_st.statement["subject"]
    assert prov_st.statement["predicateType"] == "https://slsa.dev/provenance/v1"
