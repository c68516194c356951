"""The identity policy on real Fulcio-shaped certificates (from the test CA): a regular expression must
match the whole SAN, and a --workflow naming OWNER/REPO must name the signer's repository."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import Certificate
from sigstore_stack.ca import CertificateAuthority

from nix_attest.attest.identity import GitHubIdentityPolicy, IdentityMismatch
from nix_attest.attest.model import GITHUB_OIDC_ISSUER, IdentityPolicy

WORKFLOW = "octo/widgets/.github/workflows/release.yml"


@pytest.fixture(scope="module")
def cert() -> Certificate:
    ca = CertificateAuthority.create()
    claims = {
        "iss": GITHUB_OIDC_ISSUER,
        "sub": "repo:octo/widgets:ref:refs/heads/main",
        "job_workflow_ref": f"{WORKFLOW}@refs/heads/main",
        "repository": "octo/widgets",
        "ref": "refs/heads/main",
    }
    return ca.issue(ec.generate_private_key(ec.SECP256R1()).public_key(), claims)


def check(cert: Certificate, **policy: str) -> list[str]:
    checker = GitHubIdentityPolicy(IdentityPolicy(**policy))  # type: ignore[arg-type]
    checker.verify(cert)
    return checker.checked


@pytest.mark.parametrize(
    "regexp",
    [
        r"https://github\.com/octo/widgets/\.github/workflows/release\.yml",  # a prefix of the SAN
        r"https://github\.com/octo/",
        r"widgets/\.github/workflows/release\.yml@refs/heads/main",  # a suffix
    ],
)
def test_identity_regexp_must_match_the_whole_san(cert: Certificate, regexp: str) -> None:
    with pytest.raises(IdentityMismatch, match="does not match"):
        check(cert, identity_regexp=regexp)


def test_identity_regexp_matching_the_whole_san(cert: Certificate) -> None:
    san = f"https://github.com/{WORKFLOW}@refs/heads/main"
    assert check(cert, identity_regexp=r"https://github\.com/octo/widgets/.*@refs/heads/main") == [
        f"OIDC issuer {GITHUB_OIDC_ISSUER}",
        f"identity {san} matches 'https://github\\\\.com/octo/widgets/.*@refs/heads/main'",
    ]


@pytest.mark.parametrize(
    "workflow",
    [
        "evil/widgets/.github/workflows/release.yml",
        "octo/gadgets/.github/workflows/release.yml",
        "evil/gadgets/.github/workflows/release.yml",
        "octo/widgets/.github/workflows/other.yml",
    ],
)
def test_workflow_naming_another_repository_fails(cert: Certificate, workflow: str) -> None:
    with pytest.raises(IdentityMismatch, match="signer workflow is"):
        check(cert, repository="octo/widgets", workflow=workflow)
    with pytest.raises(IdentityMismatch, match="signer workflow is"):  # the workflow alone pins the signer
        check(cert, workflow=workflow, identity_regexp=".*")


@pytest.mark.parametrize(
    "workflow", ["OCTO/Widgets/.github/workflows/release.yml", "release.yml", ".github/workflows/release.yml"]
)
def test_workflow_forms_that_name_the_signer(cert: Certificate, workflow: str) -> None:
    assert f"workflow https://github.com/{WORKFLOW}@refs/heads/main" in check(
        cert, repository="octo/widgets", workflow=workflow
    )


def _cert_signed_by(job_workflow_ref: str, repository: str = "octo/widgets") -> Certificate:
    """A run of ``repository`` whose signing workflow is ``job_workflow_ref`` (a reusable workflow)."""
    claims = {
        "iss": GITHUB_OIDC_ISSUER,
        "sub": f"repo:{repository}:ref:refs/heads/main",
        "job_workflow_ref": job_workflow_ref,
        "repository": repository,
        "ref": "refs/heads/main",
    }
    return CertificateAuthority.create().issue(ec.generate_private_key(ec.SECP256R1()).public_key(), claims)


@pytest.mark.parametrize(
    ("signer", "policy", "expected"),
    [
        ("evil/tools/.github/workflows/s.yml", {"repository": "octo/widgets"}, "of octo/widgets"),
        ("octo/widgets-evil/.github/workflows/s.yml", {"repository": "octo/widgets"}, "of octo/widgets"),
        ("octo/shared/.github/workflows/s.yml", {"repository": "octo/widgets"}, "of octo/widgets"),
        ("evil/tools/.github/workflows/s.yml", {"owner": "octo"}, "of octo"),
        ("octo-evil/tools/.github/workflows/s.yml", {"owner": "octo"}, "of octo"),
        ("evil/tools/.github/workflows/s.yml", {"repository": "octo/widgets", "workflow": "s.yml"},
         "of octo/widgets"),
        ("octo/widgets", {"repository": "octo/widgets"}, "of octo/widgets"),  # no workflow file at all
        ("octo/shared/.github/workflows/s.yml", {"owner": "octo"}, None),
        ("OCTO/Widgets/.github/workflows/s.yml", {"repository": "octo/widgets"}, None),
        ("evil/tools/.github/workflows/s.yml",
         {"repository": "octo/widgets", "workflow": "evil/tools/.github/workflows/s.yml"}, None),
        ("evil/tools/.github/workflows/s.yml",
         {"repository": "octo/widgets", "identity": "https://github.com/evil/tools/.github/workflows/s.yml@v1"},
         None),
        ("evil/tools/.github/workflows/s.yml", {"repository": "octo/widgets", "identity_regexp": ".*"}, None),
    ],
)  # fmt: skip
def test_the_signer_workflow_belongs_to_the_repository_or_owner_unless_pinned(
    signer: str, policy: dict[str, str], expected: str | None
) -> None:
    cert = _cert_signed_by(f"{signer}@v1")
    if expected is None:
        check(cert, **policy)
        return
    with pytest.raises(IdentityMismatch) as caught:
        check(cert, **policy)
    assert str(caught.value).startswith(
        f"signer workflow is https://github.com/{signer}@v1, expected a workflow {expected} ("
    )
