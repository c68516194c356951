"""`nix-attest verify [BUNDLE] (--sbom F | --store-path P ... | --store-paths-from FILE | --file F)`.

With a BUNDLE file, that bundle is verified. Without one, the candidate attestations are found by the
subject's digest: on GitHub (``--repository OWNER/REPO`` or ``--owner OWNER``, as ``gh attestation
verify``) or in ``--bundle-dir DIR``; each is verified with the same checks, and one of the wanted
predicate type must pass. ``--closure`` then compares a store path's runtime closure with the attested
SBOM; ``--policy`` checks the attested SBOM against a policy.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..attest.by_digest import DigestVerifier, Source, TargetResult
from ..attest.candidates import MAX_BUNDLE_BYTES, BundleDirectory, Candidate, Lookup
from ..attest.github_lookup import AttestationScope, list_attestations
from ..attest.model import (
    GITHUB_OIDC_ISSUER,
    SBOM_PREDICATE_TYPE,
    SBOM_PREDICATE_TYPES,
    IdentityPolicy,
    VerifiedAttestation,
    VerifyTarget,
)
from ..attest.trust import verification_root
from ..attest.verify import load_bundle
from ..attest.verify_report import render_detail, render_json, render_lines
from ..errors import CheckFailed, InputError, UsageError
from ..fsutil import write_atomic
from ..github import actions
from ..github.auth import resolve_token
from ..github.http import GitHubClient, default_api_url
from ..nix.runner import Nix
from ..nix.store import check_store_path
from ..policy import Policy, PolicyReport, evaluate, load_policy, render_text
from ..policy.render import counts
from ..sbom.read import loads_sbom
from ..untrusted import read_input_bytes


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "verify",
        help="verify attestations: from a bundle, GitHub's attestations API or a directory; closure check",
        description=(
            "Verify Sigstore bundles (DSSE/in-toto or message signature, bundle v0.1-v0.3): signature, "
            "certificate chain, SCT, transparency-log inclusion, the GitHub signer identity, and that the "
            "attestation is about the given SBOM / store path / file. Without BUNDLE the attestations are "
            "looked up by digest on GitHub (--repository / --owner) or in --bundle-dir. --closure checks a "
            "store path's runtime closure against the attested SBOM; --policy checks the attested SBOM. "
            "Exit 1 names the failed check."
        ),
    )
    p.add_argument(
        "bundle",
        metavar="BUNDLE",
        nargs="?",
        help="a *.sigstore.json bundle; omit it to look the attestations up by digest",
    )
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--sbom", metavar="FILE", help="the SBOM (CycloneDX or SPDX) the attestation must carry/describe"
    )
    target.add_argument(
        "--store-path",
        metavar="PATH",
        action="append",
        help="a store path (its NAR sha256 must be a subject); repeatable",
    )
    target.add_argument(
        "--store-paths-from",
        metavar="FILE",
        help="store paths, one per line (- for stdin), e.g. the output of `nix path-info -r`",
    )
    target.add_argument("--file", metavar="FILE", help="a file (its sha256 must be a subject / the artifact)")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--repository",
        metavar="OWNER/REPO",
        help="repository whose workflow must have signed; without BUNDLE, where to look the attestations up",
    )
    where.add_argument(
        "--owner",
        metavar="OWNER",
        help="the signer (and its workflow) must be a repository of OWNER (an organization or a user); "
        "without BUNDLE, look up OWNER's attestations",
    )
    p.add_argument(
        "--bundle-dir",
        metavar="DIR",
        help="look the attestations up in the bundles in DIR (*.json, *.sigstore, *.jsonl) instead of GitHub",
    )
    p.add_argument(
        "--predicate-type",
        metavar="URI",
        help=f"the attestation's predicate type (default without BUNDLE: {SBOM_PREDICATE_TYPE})",
    )
    p.add_argument(
        "--closure",
        action="store_true",
        help="the store path's runtime closure here must equal the store paths in an attested SBOM that "
        "verifies (each one that verifies is tried)",
    )
    p.add_argument(
        "--require",
        choices=("root", "all"),
        default="root",
        help="root (default): every given path must verify; all: every given path that has an "
        "attestation must verify, the others are listed as unattested",
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format on stdout")
    p.add_argument("--output", metavar="FILE", help="also write the JSON result to FILE")
    p.add_argument(
        "--workflow",
        metavar="PATH",
        help="signer workflow: release.yml or .github/workflows/release.yml (of --repository / --owner), or "
        "OWNER/REPO/.github/workflows/x.yml (e.g. a reusable workflow of another repository)",
    )
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
        help="no network for the trust root: the cached/bundled public-good trusted root (no TUF refresh)",
    )
    p.add_argument(
        "--policy",
        metavar="FILE",
        help="after verifying an SBOM attestation, check the attested SBOM against this policy file",
    )
    p.set_defaults(func=run)


def _policy_report(result: VerifiedAttestation, policy: Policy) -> PolicyReport:
    """Evaluate ``policy`` over the SBOM carried by a verified SBOM attestation."""
    if result.predicate_type not in SBOM_PREDICATE_TYPES or result.predicate_json is None:
        raise UsageError(
            f"--policy needs an SBOM attestation (predicate type {' or '.join(SBOM_PREDICATE_TYPES)}); "
            f"{result.bundle_path} is {result.predicate_type}"
        )
    sbom = loads_sbom(result.predicate_json, source=f"the SBOM attested by {result.bundle_path}")
    return evaluate(policy, sbom)


def read_store_paths(source: str) -> list[str]:
    """Store paths from a file or stdin (``-``): one per line; blank lines and ``#`` comments skipped."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read --store-paths-from {source}: {getattr(exc, 'strerror', None) or exc}"
        ) from exc
    paths = [line.strip() for line in text.splitlines()]
    paths = [p for p in paths if p and not p.startswith("#")]
    for p in paths:
        if not p.startswith("/"):
            raise InputError(f"--store-paths-from {source}: {p[:100]!r} is not an absolute store path")
    if not paths:
        raise InputError(f"--store-paths-from {source} lists no store path")
    return paths


def _targets(args: argparse.Namespace) -> list[VerifyTarget]:
    if args.sbom:
        return [VerifyTarget(sbom_path=args.sbom)]
    if args.file:
        return [VerifyTarget(file_path=args.file)]
    paths = args.store_path or read_store_paths(args.store_paths_from)
    return [VerifyTarget(store_path=p) for p in dict.fromkeys(paths)]  # each path once, in order


def _source(args: argparse.Namespace) -> tuple[Source, GitHubClient | None]:
    if args.bundle:
        try:  # load_bundle already read it: readable and valid (unless it changed since)
            raw = read_input_bytes(args.bundle, MAX_BUNDLE_BYTES)
        except OSError as exc:
            raise InputError(f"cannot read bundle {args.bundle}: {exc.strerror or exc}") from exc
        single = Lookup(f"bundle {args.bundle}", (Candidate(str(args.bundle), raw=raw),))
        return (lambda _digest: single), None
    if args.bundle_dir:
        directory = BundleDirectory(args.bundle_dir)
        return directory.lookup, None
    if not (args.repository or args.owner):
        raise UsageError(
            "without BUNDLE, give --repository OWNER/REPO or --owner OWNER to look the attestations up "
            "on GitHub, or --bundle-dir DIR"
        )
    scope = AttestationScope(repository=args.repository, owner=args.owner)
    token = resolve_token(os.environ)
    client = GitHubClient(default_api_url(), token)
    ptype = args.predicate_type or SBOM_PREDICATE_TYPE

    def lookup(digest: str) -> Lookup:
        return list_attestations(client, scope, digest, predicate_type=ptype, has_token=bool(token))

    return lookup, client


def _bundle_failure(args: argparse.Namespace, r: TargetResult) -> bool:
    """The BUNDLE file itself was rejected (not a closure mismatch after it verified)."""
    return bool(args.bundle) and r.status != "verified" and len(r.rejected) == 1 and r.attestation is None


def _fail_message(args: argparse.Namespace, results: list[TargetResult], failed: list[TargetResult]) -> str:
    if len(results) == 1:
        r = results[0]
        if _bundle_failure(args, r):
            return r.rejected[0].reason  # one bundle file: its failed check, as it always read
        return r.reason or "verification failed"
    first = failed[0]
    return (
        f"{len(failed)} of {len(results)} target(s) failed verification; "
        f"first: {first.target}: {first.reason}"
    )


def run(args: argparse.Namespace) -> int:
    policy = load_policy(args.policy) if args.policy else None  # malformed: exit 2 before verifying
    if args.bundle and args.bundle_dir:
        raise UsageError("give a BUNDLE file or --bundle-dir DIR, not both")
    if not (args.repository or args.owner or args.cert_identity or args.cert_identity_regexp):
        raise UsageError(
            "give --repository OWNER/REPO or --owner OWNER, or --cert-identity / --cert-identity-regexp"
        )
    targets = _targets(args)
    if args.closure and not all(t.store_path for t in targets):
        raise UsageError("--closure compares a store path's runtime closure: give --store-path")
    if args.closure and args.predicate_type not in (None, SBOM_PREDICATE_TYPE):
        raise UsageError(
            f"--closure compares with an SBOM attestation: --predicate-type {SBOM_PREDICATE_TYPE}"
        )
    identity = IdentityPolicy(
        issuer=args.cert_oidc_issuer,
        repository=args.repository,
        owner=args.owner,
        workflow=args.workflow,
        ref=args.ref,
        identity=args.cert_identity,
        identity_regexp=args.cert_identity_regexp,
    )
    if args.bundle:
        load_bundle(args.bundle)  # a missing or broken bundle is reported before the trust root is fetched
    for t in targets:  # so are a store path that is not here and a missing Nix (before any network)
        if t.store_path:
            check_store_path(t.store_path)
    predicate_type = args.predicate_type or (None if args.bundle else SBOM_PREDICATE_TYPE)
    if args.closure and predicate_type is None:
        predicate_type = SBOM_PREDICATE_TYPE
    source, client = _source(args)
    try:
        root = verification_root(args.trust_root, offline=args.offline, staging=args.staging)
        verifier = DigestVerifier(
            source=source,
            identity=identity,
            trusted_root=root,
            predicate_type=predicate_type,
            closure_nix=Nix(quiet=True) if args.closure else None,
        )
        results = verifier.verify_all(targets)
    finally:
        if client is not None:
            client.close()
    return _report(args, results, policy)


def _report(args: argparse.Namespace, results: list[TargetResult], policy: Policy | None) -> int:
    reports = [
        (r, _policy_report(r.attestation, policy))
        for r in results
        if policy is not None and r.status == "verified" and r.attestation is not None
    ]
    out = sys.stdout
    document = render_json(results, require=args.require)
    if args.output:
        write_atomic(args.output, document)
    if args.format == "json":
        out.write(document)
    elif len(results) == 1:
        if not (_bundle_failure(args, results[0])):  # one bundle file failed: its one error line says it
            out.write(render_detail(results[0]))
    else:
        out.write(render_lines(results))
    if args.format == "text":
        for _, report in reports:
            out.write(render_text(report))

    failed = [
        r for r in results if r.status == "failed" or (r.status == "unattested" and args.require == "root")
    ]
    verified = [r for r in results if r.status == "verified"]
    actions.set_output("verified", "true" if verified and not failed else "false")
    actions.set_output("verified-count", len(verified))
    if args.output:
        actions.set_output("result-path", str(Path(args.output).resolve()))
    if failed:
        raise CheckFailed(_fail_message(args, results, failed))
    if not verified:
        raise CheckFailed(
            f"none of the {len(results)} given path(s) has an attestation that verified "
            f"(all unattested; first: {results[0].reason})"
        )
    bad = [(r, rep) for r, rep in reports if rep.failed]
    if bad:
        r, report = bad[0]
        n = counts(report)
        raise CheckFailed(
            f"policy {args.policy} failed on the attested SBOM"
            + (f" of {r.target}" if len(results) > 1 else "")
            + f": {len(report.active)} violation(s) ({n['error']} error(s), {n['warning']} warning(s), "
            f"{n['note']} note(s); fail-on: {report.fail_on})"
        )
    return 0
