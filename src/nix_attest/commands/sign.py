"""`nix-attest sign --sbom FILE -o DIR`: keyless Sigstore signing of the SBOM (and SLSA provenance)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..attest.github_env import github_context
from ..attest.instance import check_issuer, check_server
from ..attest.oidc import resolve_identity_token
from ..attest.pipeline import prepare_statements, upload_bundles
from ..attest.sign import identity_token, sign_statements, token_claims
from ..attest.trust import signing_trust
from ..attest.visibility import check_signing_allowed, check_token_visibility
from ..errors import InputError
from ..github.auth import resolve_token


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "sign",
        help="sign the SBOM (and SLSA provenance) with Sigstore",
        description=(
            "Sign an in-toto SBOM attestation (predicate https://cyclonedx.org/bom) and optionally SLSA "
            "provenance v1 for the SBOM's root output, keyless with Sigstore; write Sigstore bundles v0.3."
        ),
    )
    p.add_argument(
        "--sbom", required=True, metavar="FILE", help="CycloneDX or SPDX JSON SBOM from `nix-attest sbom`"
    )
    p.add_argument(
        "--provenance", action="store_true", help="also sign SLSA provenance v1 for the same subjects"
    )
    p.add_argument(
        "--subject-file",
        action="append",
        default=[],
        metavar="PATH",
        help="add a file as a subject (sha256 of its bytes); repeatable",
    )
    p.add_argument("-o", "--output-dir", required=True, metavar="DIR", help="where to write *.sigstore.json")
    ident = p.add_mutually_exclusive_group()
    ident.add_argument(
        "--identity-token-file",
        metavar="FILE",
        help="read the OIDC identity token from FILE ('-' = stdin), off the command line",
    )
    ident.add_argument(
        "--identity-token",
        metavar="JWT",
        help=(
            "OIDC identity token (visible in process lists: prefer --identity-token-file; "
            "default: SIGSTORE_ID_TOKEN, then the GitHub Actions token)"
        ),
    )
    trust = p.add_mutually_exclusive_group()
    trust.add_argument(
        "--trust-config", metavar="FILE", help="Sigstore ClientTrustConfig JSON (another instance)"
    )
    trust.add_argument("--staging", action="store_true", help="use the Sigstore staging instance")
    p.add_argument(
        "--upload-attestation",
        action="store_true",
        help="store each bundle with GitHub's attestations API (needs GITHUB_TOKEN, attestations: write)",
    )
    p.add_argument(
        "--repository",
        metavar="OWNER/REPO",
        help="repository for --upload-attestation (default: GITHUB_REPOSITORY)",
    )
    p.add_argument(
        "--private-repository",
        action="store_true",
        help="sign although the event says the repository is not public (its name, workflow and commit "
        "go to the public transparency log)",
    )
    p.set_defaults(func=run)


def read_token_file(path: str) -> str:
    """The identity token in ``path`` (``-``: standard input), stripped; never echoed in errors."""
    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        token = raw.decode("utf-8").strip()
    except OSError as exc:
        raise InputError(f"cannot read the identity token file {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"the identity token file {path} is not text") from exc
    if not token:
        raise InputError(f"the identity token file {path} is empty")
    return token


def _check_token(
    token: str, env: dict[str, str], private_repository: bool, public_instance: bool, *, parse: bool = True
) -> None:
    """A malformed token is bad input (exit 2), found before any trust root loads (``parse``); so are
    a token saying the repository is not public and one from an issuer the public instance refuses."""
    if parse:
        identity_token(token)
    claims = token_claims(token)
    check_token_visibility(claims, env, private_repository=private_repository)
    check_issuer(claims, public_instance=public_instance)


def run(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    # a private repository is refused before anything else, Sigstore and the OIDC endpoint included,
    # and so is a job whose identity the public instance would refuse (GHES, GHE.com)
    check_signing_allowed(env, private_repository=args.private_repository)
    explicit = read_token_file(args.identity_token_file) if args.identity_token_file else args.identity_token
    explicit = explicit or env.get("SIGSTORE_ID_TOKEN", "").strip() or None
    public_instance = not args.trust_config  # public-good or its staging instance
    check_server(env, public_instance=public_instance, explicit_token=explicit is not None)
    if explicit is not None:  # its claims now, whether it is well-formed after the local checks
        _check_token(explicit, env, args.private_repository, public_instance, parse=False)
    repository = args.repository or env.get("GITHUB_REPOSITORY")
    gh_token = resolve_token(env)
    if args.upload_attestation and not repository:
        raise InputError("--upload-attestation needs --repository OWNER/REPO (or GITHUB_REPOSITORY)")
    if args.upload_attestation and not gh_token:
        raise InputError("--upload-attestation needs GITHUB_TOKEN in the environment (attestations: write)")
    # local work first (SBOM, statements, output directory, token), then Sigstore
    statements = prepare_statements(
        args.sbom,
        out_dir=args.output_dir,
        provenance=args.provenance,
        subject_files=args.subject_file,
        env=env,
    )
    token = resolve_identity_token(explicit, env)
    _check_token(token, env, args.private_repository, public_instance)
    trust = signing_trust(args.trust_config, staging=args.staging)
    bundles = sign_statements(statements, out_dir=args.output_dir, token=token, trust=trust)
    if args.upload_attestation:
        from ..github.http import GitHubClient

        ctx = github_context(env)
        api_url = env.get("GITHUB_API_URL") or (ctx.api_url if ctx else "https://api.github.com")
        server_url = env.get("GITHUB_SERVER_URL") or "https://github.com"
        with GitHubClient(api_url, gh_token) as client:
            bundles = upload_bundles(bundles, client, repository or "", server_url=server_url)
    for b in bundles:
        where = f"Rekor log index {b.rekor_log_index}" if b.rekor_log_index is not None else "no log entry"
        line = f"signed {b.kind} ({b.predicate_type}): {b.bundle_path}; {where}"
        if b.rekor_url:
            line += f": {b.rekor_url}"
        sys.stdout.write(line + "\n")
        if b.attestation_url:
            sys.stdout.write(f"uploaded {b.kind} attestation: {b.attestation_url}\n")
    return 0
