"""`nix-attest submit SBOM`: send the SBOM's closure to GitHub's dependency graph."""

from __future__ import annotations

import argparse
import json
import os
import sys

from ..errors import InputError
from ..fsutil import write_atomic
from ..github import actions
from ..github.auth import resolve_token
from ..github.dependency_graph import context_from_env, snapshot, submit_snapshot
from ..github.http import GitHubClient
from ..sbom.read import load_sbom


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "submit",
        help="submit the SBOM's closure to GitHub's dependency graph (Dependabot, dependency review)",
        description=(
            "POST the SBOM (CycloneDX or SPDX) as a dependency snapshot to "
            "/repos/OWNER/REPO/dependency-graph/snapshots: one manifest named after the installable, one "
            "package per purl, direct/indirect, runtime/development. Needs a token with contents: write "
            "(github-token input, GITHUB_TOKEN or GH_TOKEN); a read-only token is a warning, not a failure."
        ),
    )
    p.add_argument("sbom", metavar="SBOM", help="the SBOM file (from `nix-attest sbom`)")
    p.add_argument("--repository", metavar="OWNER/REPO", help="default: GITHUB_REPOSITORY")
    p.add_argument("--sha", help="the commit the snapshot describes (default: the run's; a PR's head commit)")
    p.add_argument("--ref", help="the full ref, refs/heads/... (default: GITHUB_REF)")
    p.add_argument(
        "--correlator",
        help="groups successive snapshots (default: workflow_job_installable and the matrix leg)",
    )
    p.add_argument("--manifest", metavar="NAME", help="manifest name (default: the installable)")
    p.add_argument("--output", metavar="FILE", help="also write the request body to FILE")
    p.add_argument("--dry-run", action="store_true", help="write --output (or stdout) without sending it")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    sbom = load_sbom(args.sbom)
    ctx = context_from_env(
        os.environ,
        repository=args.repository,
        sha=args.sha,
        ref=args.ref,
        correlator=args.correlator,
        installable=sbom.meta.installable,
    )
    body = snapshot(sbom, ctx, manifest=args.manifest)
    if args.output or args.dry_run:
        text = json.dumps(body, indent=2, sort_keys=True) + "\n"
        if args.output:
            write_atomic(args.output, text)
        else:
            sys.stdout.write(text)
    if args.dry_run:
        return 0
    token = resolve_token(os.environ)
    if not token:
        raise InputError("no GitHub token: set the github-token input, GITHUB_TOKEN or GH_TOKEN")
    with GitHubClient(token=token) as client:
        result = submit_snapshot(client, ctx.repository, body)
    if result.submitted:
        sys.stdout.write(result.message + "\n")
    else:
        actions.warning(result.message)
    return 0
