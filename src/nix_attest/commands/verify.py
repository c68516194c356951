"""`nix-attest verify BUNDLE (--sbom F | --store-path P | --file F) --repository OWNER/REPO`.

With ``--policy FILE`` the SBOM carried by a verified SBOM attestation is checked against the policy.
"""

from __future__ import annotations

import argparse
import sys

from ..attest.model import (
    GITHUB_OIDC_ISSUER,
    SBOM_PREDICATE_TYPE,
    IdentityPolicy,
    VerifiedAttestation,
    VerifyTarget,
)
from ..attest.trust import verification_root
from ..attest.verify import load_bundle, verify_attestation
from ..errors import CheckFailed, UsageError
from ..policy import Policy, PolicyReport, evaluate, load_policy, render_text
from ..policy.render import counts
from ..sbom.read import loads_sbom


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "verify",
        help="verify a Sigstore bundle: signature, log inclusion, signer identity, subject",
        description=(
            "Verify a Sigstore bundle (DSSE/in-toto or message signature, bundle v0.1-v0.3): signature, "
            "certificate chain, SCT, transparency-log inclusion, the GitHub signer identity, and that the "
            "attestation is about the given SBOM / store path / file; with --policy, the attested SBOM "
            "is checked against a policy. Exit 1 names the failed check."
        ),
    )
    p.add_argument("bundle", metavar="BUNDLE", help="a *.sigstore.json bundle")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--sbom", metavar="FILE", help="the CycloneDX SBOM the attestation must carry/describe"
    )
    target.add_argument(
        "--store-path", metavar="PATH", help="a store path (its NAR sha256 must be a subject)"
    )
    target.add_argument("--file", metavar="FILE", help="a file (its sha256 must be a subject / the artifact)")
    p.add_argument(
        "--repository",
        metavar="OWNER/REPO",
        help="repository that must have signed (required unless --cert-identity/--cert-identity-regexp)",
    )
    p.add_argument("--workflow", metavar="PATH", help="signer workflow, e.g. .github/workflows/release.yml")
    p.add_argument("--ref", metavar="REF", help="git ref of the signing run, e.g. refs/heads/main or v1.2.0")
    ident = p.add_mutually_exclusive_group()
    ident.add_argument("--cert-identity", metavar="ID", help="exact certificate identity (SAN)")
    ident.add_argument(
        "--cert-identity-regexp", metavar="RE", help="regular expression the SAN must fully match"
    )
    p.add_argument(
        "--cert-oidc-issuer",
        default=GITHUB_OIDC_ISSUER,
        metavar="URL",
        help=f"OIDC issuer (default {GITHUB_OIDC_ISSUER})",
    )
    roots = p.add_mutually_exclusive_group()
    roots.add_argument("--trust-root", metavar="FILE", help="trusted root (or ClientTrustConfig) JSON")
    roots.add_argument("--staging", action="store_true", help="trust the Sigstore staging instance")
    p.add_argument(
        "--offline",
        action="store_true",
        help="no network: use the cached/bundled public-good trusted root (no TUF refresh)",
    )
    p.add_argument(
        "--policy",
        metavar="FILE",
        help="after verifying an SBOM attestation, check the attested SBOM against this policy file",
    )
    p.set_defaults(func=run)


def _policy_report(result: VerifiedAttestation, policy: Policy) -> PolicyReport:
    """Evaluate ``policy`` over the SBOM carried by a verified SBOM attestation."""
    if result.predicate_type != SBOM_PREDICATE_TYPE or result.predicate_json is None:
        raise UsageError(
            f"--policy needs an SBOM attestation (predicate type {SBOM_PREDICATE_TYPE}); "
            f"{result.bundle_path} is {result.predicate_type}"
        )
    sbom = loads_sbom(result.predicate_json, source=f"the SBOM attested by {result.bundle_path}")
    return evaluate(policy, sbom)


def run(args: argparse.Namespace) -> int:
    policy = load_policy(args.policy) if args.policy else None  # malformed: exit 2 before verifying
    if not (args.repository or args.cert_identity or args.cert_identity_regexp):
        raise UsageError("give --repository OWNER/REPO, or --cert-identity / --cert-identity-regexp")
    identity = IdentityPolicy(
        issuer=args.cert_oidc_issuer,
        repository=args.repository,
        workflow=args.workflow,
        ref=args.ref,
        identity=args.cert_identity,
        identity_regexp=args.cert_identity_regexp,
    )
    target = VerifyTarget(sbom_path=args.sbom, store_path=args.store_path, file_path=args.file)
    load_bundle(args.bundle)  # a missing or broken bundle is reported before the trust root is fetched
    root = verification_root(args.trust_root, offline=args.offline, staging=args.staging)
    result = verify_attestation(args.bundle, target, identity, root)
    report = _policy_report(result, policy) if policy is not None else None
    out = sys.stdout
    out.write(f"verified {result.bundle_path}\n")
    out.write(f"  predicate type: {result.predicate_type}\n")
    out.write(f"  signer: {result.identity} (issuer {result.issuer})\n")
    for s in result.subjects:
        out.write(f"  subject: {s.name} sha256:{s.sha256}\n")
    for c in result.checks:
        out.write(f"  ok: {c}\n")
    if report is None:
        return 0
    out.write(render_text(report))
    if report.failed:
        n = counts(report)
        raise CheckFailed(
            f"policy {args.policy} failed on the attested SBOM: {len(report.active)} violation(s) "
            f"({n['error']} error(s), {n['warning']} warning(s), {n['note']} note(s); "
            f"fail-on: {report.fail_on})"
        )
    return 0
