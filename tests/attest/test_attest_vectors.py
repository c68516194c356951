"""A real bundle from the public Sigstore staging instance, verified offline against pinned trusted roots.

Its signed file is not published, so only the failure paths are tested here; the happy path with the
signed file is covered by the production vector in ``test_attest_public_vectors.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nix_attest.attest.model import IdentityPolicy, VerifyTarget
from nix_attest.attest.trust import verification_root
from nix_attest.attest.verify import verify_attestation
from nix_attest.errors import VerificationError

VECTORS = Path(__file__).resolve().parents[1] / "data" / "sigstore-vectors"
BUNDLE = VECTORS / "bundle_v3_alt.txt.sigstore"
POLICY = IdentityPolicy(issuer="https://github.com/login/oauth", identity="william@yossarian.net")


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
