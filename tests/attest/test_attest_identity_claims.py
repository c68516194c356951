"""Reading the signer's identity out of a Fulcio certificate, exactly: the DER strings, the v1 (raw) and
v2 (DER) extensions and which wins, the SAN kinds; and every identity-policy message and check."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sigstore_stack.ca import CertificateAuthority, der_utf8

from nix_attest.attest.identity import (
    GitHubIdentityPolicy,
    IdentityMismatch,
    _der_utf8,
    _names_repository,
    _ref_matches,
    _signer_in,
    _workflow_matches,
    certificate_claims,
)
from nix_attest.attest.model import GITHUB_OIDC_ISSUER, IdentityPolicy

# ruff: noqa: E501  (certificate claims read best on one line each)

KEY = ec.generate_private_key(ec.SECP256R1())


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"", None),
        (b"\x0c", None),
        (b"\x0c\x00", ""),
        (b"\x0c\x03abc", "abc"),
        (b"\x0c\x03abcdef", "abc"),  # what follows the string is not part of it
        (b"\x0c\x03ab", None),  # shorter than its length
        (b"\x13\x03abc", None),  # a PrintableString, not a UTF8String
        (b"\x0c\x81\x03abc", "abc"),  # long-form length, one byte
        (b"\x0c\x82\x01\x00" + b"a" * 256, "a" * 256),
        (b"\x0c\x84\x00\x00\x00\x03abc", "abc"),  # four length bytes: the most allowed
        (b"\x0c\x85\x00\x00\x00\x00\x03abc", None),
        (b"\x0c\x80abc", None),  # indefinite length
        (b"\x0c\x82\x01", None),  # the length itself cut short
        (b"\x0c\x02\xff\xfe", None),  # not UTF-8
        ("zoë".encode().join([b"\x0c\x04", b""]), "zoë"),
    ],
)
def test_der_utf8(data: bytes, text: str | None) -> None:
    assert _der_utf8(data) == text


def cert(san: x509.GeneralName | None, ext: dict[str, bytes]) -> x509.Certificate:
    now = dt.datetime.now(dt.timezone.utc)
    b = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "t")]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "t")]))
        .public_key(KEY.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(minutes=5))
    )
    if san is not None:
        b = b.add_extension(x509.SubjectAlternativeName([san]), False)
    for oid, value in ext.items():
        b = b.add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier(f"1.3.6.1.4.1.57264.1.{oid}"), value), False
        )
    return b.sign(KEY, hashes.SHA256())


SIGNER = "https://github.com/octo/widgets/.github/workflows/release.yml@refs/heads/main"


def test_claims_from_v1_extensions_only() -> None:
    c = certificate_claims(
        cert(
            x509.UniformResourceIdentifier(SIGNER),
            {"1": b"https://issuer.v1", "5": b"octo/widgets", "6": b"refs/heads/v1"},
        )
    )
    assert (c.san, c.issuer, c.repository, c.ref, c.signer_uri) == (
        SIGNER, "https://issuer.v1", "octo/widgets", "refs/heads/v1", SIGNER,
    )  # fmt: skip


def test_claims_from_v2_extensions_only() -> None:
    c = certificate_claims(
        cert(
            x509.UniformResourceIdentifier(SIGNER),
            {
                "8": der_utf8("https://issuer.v2"),
                "9": der_utf8("https://github.com/octo/other/.github/workflows/x.yml@refs/heads/main"),
                "12": der_utf8("https://github.com/octo/widgets"),
                "14": der_utf8("refs/tags/v2"),
            },
        )
    )
    assert (c.issuer, c.repository, c.ref, c.signer_uri) == (
        "https://issuer.v2", "octo/widgets", "refs/tags/v2",
        "https://github.com/octo/other/.github/workflows/x.yml@refs/heads/main",  # the build signer, not the SAN
    )  # fmt: skip


def test_v2_issuer_and_ref_win_and_v1_repository_wins() -> None:
    c = certificate_claims(
        cert(
            x509.UniformResourceIdentifier(SIGNER),
            {
                "1": b"https://issuer.v1", "5": b"octo/v1repo", "6": b"refs/heads/v1",
                "8": der_utf8("https://issuer.v2"), "12": der_utf8("https://github.com/octo/v2repo"),
                "14": der_utf8("refs/heads/v2"),
            },
        )
    )  # fmt: skip
    assert (c.issuer, c.repository, c.ref) == ("https://issuer.v2", "octo/v1repo", "refs/heads/v2")


def test_san_kinds() -> None:
    email = certificate_claims(
        cert(x509.RFC822Name("dev@example.org"), {"8": der_utf8("https://accounts.example")})
    )
    assert (email.san, email.signer_uri, email.repository, email.ref) == ("dev@example.org", None, None, None)
    other = certificate_claims(
        cert(x509.OtherName(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.7"), der_utf8("user!example")), {})
    )
    assert (other.san, other.issuer, other.signer_uri) == ("user!example", None, None)
    assert certificate_claims(cert(None, {})).san is None
    bad = certificate_claims(
        cert(x509.UniformResourceIdentifier(SIGNER), {"1": b"\xff\xfe", "8": b"\x13\x01a"})
    )
    assert bad.issuer is None  # neither extension is readable text


@pytest.fixture(scope="module")
def github_cert() -> x509.Certificate:
    claims = {
        "iss": GITHUB_OIDC_ISSUER,
        "sub": "repo:octo/widgets:ref:refs/heads/main",
        "job_workflow_ref": "octo/widgets/.github/workflows/release.yml@refs/heads/main",
        "repository": "octo/widgets",
        "ref": "refs/heads/main",
    }
    return CertificateAuthority.create().issue(KEY.public_key(), claims)


def test_every_check_is_listed(github_cert: x509.Certificate) -> None:
    checker = GitHubIdentityPolicy(
        IdentityPolicy(repository="Octo/Widgets", workflow="release.yml", ref="main", identity=SIGNER)
    )
    checker.verify(github_cert)
    assert checker.checked == [
        f"OIDC issuer {GITHUB_OIDC_ISSUER}",
        "repository octo/widgets",
        f"workflow {SIGNER}",
        "ref refs/heads/main",
        f"identity {SIGNER}",
    ]  # a pinned identity: the signer needs no separate check
    scoped = GitHubIdentityPolicy(IdentityPolicy(repository="Octo/Widgets"))
    scoped.verify(github_cert)
    assert scoped.checked == [
        f"OIDC issuer {GITHUB_OIDC_ISSUER}",
        "repository octo/widgets",
        f"signer workflow {SIGNER} is a workflow of Octo/Widgets",
    ]
    owner = GitHubIdentityPolicy(IdentityPolicy(owner="OCTO"))
    owner.verify(github_cert)
    assert owner.checked[1:] == [
        "repository octo/widgets belongs to OCTO",
        f"signer workflow {SIGNER} is a workflow of OCTO",
    ]
    assert owner.claims is not None and owner.claims.repository == "octo/widgets"


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (
            IdentityPolicy(repository="o/r", issuer="https://other"),
            f"OIDC issuer is {GITHUB_OIDC_ISSUER}, expected https://other",
        ),
        (IdentityPolicy(repository="evil/widgets"), "repository is octo/widgets, expected evil/widgets"),
        (IdentityPolicy(owner="evil"), "repository is octo/widgets, expected a repository of evil"),
        (IdentityPolicy(repository="octo/widgets", ref="v1"), "ref is refs/heads/main, expected v1"),
        (
            IdentityPolicy(repository="octo/widgets", ref="refs/heads/mai"),
            "ref is refs/heads/main, expected refs/heads/mai",
        ),
        (
            IdentityPolicy(identity="https://github.com/x"),
            f"certificate identity is {SIGNER}, expected https://github.com/x",
        ),
        (IdentityPolicy(identity_regexp="x.*"), f"certificate identity {SIGNER} does not match 'x.*'"),
        (
            IdentityPolicy(repository="octo/widgets", workflow="other.yml"),
            f"signer workflow is {SIGNER}, expected other.yml",
        ),
    ],
)
def test_failure_messages(github_cert: x509.Certificate, policy: IdentityPolicy, message: str) -> None:
    with pytest.raises(IdentityMismatch) as info:
        GitHubIdentityPolicy(policy).verify(github_cert)
    assert str(info.value) == message


def test_identity_and_regexp_together_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        GitHubIdentityPolicy(IdentityPolicy(identity="a", identity_regexp="b"))


URI = "https://github.com/Octo/Widgets/.github/workflows/release.yml@refs/heads/main"


@pytest.mark.parametrize(
    ("expected", "matches"),
    [
        ("release.yml", True),
        ("release.yml@refs/tags/v1", True),  # a ref on --workflow is ignored (--ref checks it)
        (".github/workflows/release.yml", True),
        ("/.github/workflows/release.yml", True),
        ("  .github/workflows/release.yml ", True),
        ("octo/widgets/.github/workflows/release.yml", True),
        ("OCTO/WIDGETS/.github/workflows/release.yml", True),
        ("octo/widgets/.github/workflows/Release.yml", False),  # paths are case-sensitive
        ("evil/widgets/.github/workflows/release.yml", False),
        ("octo/evil/.github/workflows/release.yml", False),
        ("other.yml", False),
        (".github/workflows/other.yml", False),
        ("octo/widgets", False),
        ("widgets/.github", False),
    ],
)
def test_workflow_matches(expected: str, matches: bool) -> None:
    assert _workflow_matches(expected, URI) is matches


def test_workflow_against_malformed_signers() -> None:
    assert not _workflow_matches("release.yml", "https://github.com/octo")
    assert not _workflow_matches("release.yml", "https://github.com/octo/widgets")


@pytest.mark.parametrize(
    ("workflow", "names"),
    [
        ("release.yml", False),
        (".github/workflows/release.yml", False),
        ("/.github/workflows/release.yml", False),
        ("octo/widgets/.github/workflows/release.yml", True),
        ("octo/widgets/.github/workflows/release.yml@refs/heads/main", True),
        ("  octo/widgets/x.yml", True),
        ("x.yml@refs/heads/a/b", False),  # the slash is in the ref, not the path
    ],
)
def test_names_repository(workflow: str, names: bool) -> None:
    assert _names_repository(workflow) is names


def test_signer_in() -> None:
    assert _signer_in(URI, "octo/widgets", None)
    assert not _signer_in(URI, "octo/gadgets", None)
    assert not _signer_in(URI, "evil/widgets", None)
    assert _signer_in(URI, None, "OCTO")
    assert not _signer_in(URI, None, "evil")
    assert not _signer_in(URI, None, None)
    assert not _signer_in("https://github.com/octo", "octo/widgets", None)


@pytest.mark.parametrize(
    ("expected", "actual", "matches"),
    [
        ("main", "refs/heads/main", True),
        ("v1", "refs/tags/v1", True),
        ("main", "refs/heads/main2", False),
        ("refs/heads/main", "refs/heads/main", True),
        ("refs/heads/main", "refs/tags/main", False),
        ("heads/main", "refs/heads/main", False),
    ],
)
def test_ref_matches(expected: str, actual: str, matches: bool) -> None:
    assert _ref_matches(expected, actual) is matches
