"""Real bundles from the public Sigstore staging instance, verified offline against pinned trusted roots."""

from __future__ import annotations

from pathlib import Path

import pytest
from sigstore.hashes import Hashed
from sigstore.models import Bundle
from sigstore.verify import Verifier
from sigstore_models.common.v1 import HashAlgorithm

from nix_attest.attest.identity import GitHubIdentityPolicy
from nix_attest.attest.model import IdentityPolicy, VerifyTarget
from nix_attest.attest.trust import verification_root
from nix_attest.attest.verify import verify_attestation
from nix_attest.errors import VerificationError

VECTORS = Path(__file__).resolve().parents[1] / "data" / "sigstore-vectors"
BUNDLE = VECTORS / "bundle_v3_alt.txt.sigstore"
SIGNED_DIGEST = "4191e6b4e2b0260e6e297d4797d2a873584965afef021bf22f2bb7bec41102d0"
POLICY = IdentityPolicy(issuer="https://github.com/login/oauth", identity="william@yossarian.net")


def test_public_bundle_verifies_with_our_identity_policy() -> None:
    """Full verification (chain, SCT, inclusion proof, checkpoint, SET, identity) of a real bundle."""
    root = verification_root(str(VECTORS / "staging_trusted_root.json"))
    policy = GitHubIdentityPolicy(POLICY)
    bundle = Bundle.from_json(BUNDLE.read_bytes())
    Verifier(trusted_root=root).verify_artifact(
        Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(SIGNED_DIGEST)), bundle, policy
    )
    assert policy.checked == ["OIDC issuer https://github.com/login/oauth", "identity william@yossarian.net"]


def test_public_bundle_wrong_file_fails_only_the_subject_check() -> None:
    root = verification_root(str(VECTORS / "staging_trusted_root.json"))
    with pytest.raises(VerificationError, match="subject check failed"):
        verify_attestation(BUNDLE, VerifyTarget(file_path=str(VECTORS / "bundle_v3.txt")), POLICY, root)


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (
            IdentityPolicy(issuer="https://github.com/login/oauth", identity="someone@else"),
            "identity check failed",
        ),
        (IdentityPolicy(), "identity check failed: OIDC issuer is https://github.com/login/oauth"),
        (IdentityPolicy(issuer="https://github.com/login/oauth", repository="o/r"), "repository is missing"),
    ],
)
def test_public_bundle_wrong_identity_fails(policy: IdentityPolicy, message: str) -> None:
    root = verification_root(str(VECTORS / "staging_trusted_root.json"))
    with pytest.raises(VerificationError, match=message):
        verify_attestation(BUNDLE, VerifyTarget(file_path=str(VECTORS / "bundle_v3.txt")), policy, root)


def test_public_bundle_against_production_root_fails() -> None:
    root = verification_root(str(VECTORS / "production_trusted_root.json"))
    with pytest.raises(VerificationError, match="certificate check failed"):
        verify_attestation(BUNDLE, VerifyTarget(file_path=str(VECTORS / "bundle_v3.txt")), POLICY, root)
