"""The identity policy on real Fulcio-shaped certificates (from the test CA): a regular expression must
match the whole SAN, and a --workflow naming OWNER/REPO must name the signer's repository."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import Certificate
from cryptography.x509.oid import NameOID
from sigstore_stack.ca import CertificateAuthority, der_utf8

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


def _bare_cert(san: x509.GeneralName | None, **extensions: bytes) -> Certificate:
    """A certificate with only the given SAN and Fulcio extensions (by OID suffix: ``e1`` is
    1.3.6.1.4.1.57264.1.1): what a certificate lacking a claim looks like to the policy."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    b = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")]))
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(minutes=5))
    )
    if san is not None:
        b = b.add_extension(x509.SubjectAlternativeName([san]), True)
    for name, value in extensions.items():
        oid = x509.ObjectIdentifier(f"1.3.6.1.4.1.57264.1.{name[1:]}")
        b = b.add_extension(x509.UnrecognizedExtension(oid, value), False)
    return b.sign(key, hashes.SHA256())


ISSUER = {"e8": der_utf8(GITHUB_OIDC_ISSUER)}
EMAIL = x509.RFC822Name("someone@example.org")


@pytest.mark.parametrize(
    ("cert_args", "policy", "message"),
    [
        ((EMAIL, {}), {}, f"OIDC issuer is missing, expected {GITHUB_OIDC_ISSUER}"),
        ((EMAIL, ISSUER), {"repository": "octo/widgets"}, "repository is missing, expected octo/widgets"),
        ((EMAIL, ISSUER), {"owner": "octo"}, "repository is missing, expected a repository of octo"),
        ((EMAIL, {**ISSUER, "e5": b"octo/widgets"}), {"repository": "octo/widgets"},
         "signer workflow is missing, expected a workflow of octo/widgets (a reusable workflow of another "
         "repository: pin it with --workflow OWNER/REPO/PATH)"),
        ((EMAIL, ISSUER), {"workflow": "release.yml", "identity_regexp": ".*"},
         "signer workflow is missing, expected release.yml"),
        ((EMAIL, ISSUER), {"ref": "main"}, "ref is missing, expected main"),
        ((None, ISSUER), {"identity": "someone@example.org"},
         "certificate identity is missing, expected someone@example.org"),
        ((None, ISSUER), {"identity_regexp": ".*"}, "certificate identity missing does not match '.*'"),
    ],
)  # fmt: skip
def test_a_missing_claim_is_named(
    cert_args: tuple[x509.GeneralName | None, dict[str, bytes]], policy: dict[str, str], message: str
) -> None:
    """A certificate without the claim a policy asks for (another CA, an old Fulcio, a test key) fails
    with the claim named as missing, not with a crash or someone else's claim."""
    san, extensions = cert_args
    with pytest.raises(IdentityMismatch) as caught:
        check(_bare_cert(san, **extensions), **policy)
    assert str(caught.value) == message


def test_both_an_identity_and_a_regexp_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^give either an exact identity or an identity regexp, not both$"):
        GitHubIdentityPolicy(IdentityPolicy(identity="x", identity_regexp="x"))


def test_a_ref_with_an_at_sign() -> None:
    """Branch names may contain ``@``: the workflow path ends at the first one, in the certificate and in
    ``--workflow``, and the short form still does not pin a reusable workflow of another repository."""
    branch = "refs/heads/feat@2"
    own = _cert_signed_by(f"{WORKFLOW}@{branch}")
    assert f"workflow https://github.com/{WORKFLOW}@{branch}" in check(
        own, repository="octo/widgets", workflow=f"{WORKFLOW}@{branch}"
    )
    foreign = _cert_signed_by(f"evil/tools/.github/workflows/s.yml@{branch}")
    with pytest.raises(IdentityMismatch, match="expected a workflow of octo/widgets"):
        check(foreign, repository="octo/widgets", workflow=f"s.yml@{branch}")


def test_an_owner_starting_with_x() -> None:
    cert = _cert_signed_by("Xen/widgets/.github/workflows/r.yml@v1", repository="Xen/widgets")
    assert check(cert, repository="Xen/widgets", workflow="Xen/widgets/.github/workflows/r.yml")


def test_an_owner_of_a_nested_gitlab_project() -> None:
    """A GitLab certificate names its project by URL (no GitHub repository claim); in a nested group
    the owner is the top-level group, as for the signer workflow (``https://gitlab.com/OWNER/...``)."""
    project = "https://gitlab.com/octo/sub/widgets"
    cert = _bare_cert(
        x509.UniformResourceIdentifier(f"{project}//.gitlab-ci.yml@refs/heads/main"),
        e8=der_utf8("https://gitlab.com"),
        e12=der_utf8(project),
    )
    assert (
        check(cert, issuer="https://gitlab.com", owner="octo")[1]
        == "repository octo/sub/widgets belongs to octo"
    )
    with pytest.raises(
        IdentityMismatch, match=r"^repository is octo/sub/widgets, expected a repository of octo/sub$"
    ):
        check(cert, issuer="https://gitlab.com", owner="octo/sub")
