"""A local, in-process Sigstore for tests: Fulcio-compatible CA with embedded SCTs, Rekor v1-compatible
log (RFC 6962 Merkle tree, signed checkpoints, SETs), GitHub-style identity tokens, and the
ClientTrustConfig that describes it. Everything binds to 127.0.0.1. Written for nix-attest's tests from
the public protocol descriptions (RFC 6962, Sigstore protobuf-specs, Fulcio/Rekor API docs).
"""

from .stack import SigstoreStack, github_claims, unsigned_jwt

__all__ = ["SigstoreStack", "github_claims", "unsigned_jwt"]
