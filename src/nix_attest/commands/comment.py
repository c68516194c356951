"""`nix-attest comment`: post or update the sticky PR comment from a rendered report or SBOM + check JSON."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import InputError
from ..fsutil import write_atomic
from ..github import actions
from ..github.auth import resolve_token
from ..github.comment import marker, upsert_comment
from ..github.context import pull_request_context
from ..github.http import GitHubClient
from ..report.compare import new_violations
from ..report.markdown import render_comment, render_summary
from ..report.model import Counts, Links, ReportData
from ..report.policyjson import load_policy_report
from ..sbom.diff import diff_sboms
from ..sbom.read import load_sbom


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "comment",
        help="post or update the sticky PR comment (and the job summary)",
        description="Post or update one sticky comment per installable and job on a pull request, from a "
        "rendered Markdown report or from an SBOM (+ policy report JSON, + base SBOM). The token comes from "
        "INPUT_GITHUB_TOKEN (the action's github-token input), GITHUB_TOKEN or GH_TOKEN, in that order, "
        "never from the command line. A read-only "
        "token (fork PRs) gives a warning, not a failure.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--body-file", metavar="FILE", help="a Markdown report (e.g. report.md from `nix-attest run`)"
    )
    src.add_argument("--sbom", metavar="FILE", help="render the report from this SBOM (CycloneDX JSON)")
    p.add_argument("--check-json", metavar="FILE", help="policy report from `nix-attest check --format json`")
    p.add_argument("--base-sbom", metavar="FILE", help="base SBOM for the supply-chain diff (same --closure)")
    p.add_argument("--base-check-json", metavar="FILE", help="the base's policy report: lists new violations")
    p.add_argument("--repository", metavar="OWNER/REPO", help="default: GITHUB_REPOSITORY")
    p.add_argument("--pr", type=int, metavar="N", help="pull request number (default: from the event)")
    p.add_argument(
        "--installable", metavar="NAME", help="names the comment (default: the SBOM's installable)"
    )
    p.add_argument("--job", metavar="ID", help="names the comment (default: GITHUB_WORKFLOW/GITHUB_JOB)")
    p.add_argument("--no-summary", action="store_true", help="do not append to GITHUB_STEP_SUMMARY")
    p.add_argument("--output", metavar="FILE", help="also write the comment body to FILE")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = pull_request_context()
    repository = args.repository or ctx.repository
    number = args.pr or ctx.number
    links = Links(run_url=ctx.run_url)
    if args.body_file:
        try:
            body = Path(args.body_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read {args.body_file}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise InputError(f"{args.body_file} is not UTF-8 text (byte {exc.start})") from exc
        if not body.strip():
            raise InputError(f"{args.body_file} is empty: there is no report to post")
        installable = args.installable or "report"
        summary = body
    else:
        sbom = load_sbom(args.sbom)
        policy = load_policy_report(args.check_json) if args.check_json else None
        base = load_sbom(args.base_sbom) if args.base_sbom else None
        new = None
        if policy is not None and args.base_check_json:
            new = new_violations(load_policy_report(args.base_check_json), policy)
        installable = args.installable or sbom.meta.installable
        data = ReportData(
            installable=installable,
            verdict=policy.verdict if policy else "pass",
            counts=Counts.from_sbom(sbom),
            policy=policy,
            reproducibility=sbom.meta.reproducibility,
            diff=diff_sboms(base, sbom) if base else None,
            diff_head=sbom if base else None,
            diff_base_label=args.base_sbom,
            new_violations=new,
            links=links,
        )
        body = render_comment(data, marker(installable, args.job or ctx.job))
        summary = render_summary(data)
    if args.output:
        write_atomic(args.output, body)
    if not args.no_summary:
        actions.append_summary(summary)
    if not repository or not number:
        actions.warning(
            "not commenting: no pull request (give --repository and --pr, or run on pull_request)"
        )
        return 0
    token = resolve_token(os.environ)
    if not token:
        raise InputError("no GitHub token: set the github-token input, GITHUB_TOKEN or GH_TOKEN")
    with GitHubClient(token=token) as client:
        result = upsert_comment(client, repository, number, body, marker(installable, args.job or ctx.job))
    if result.warning:
        actions.warning(result.warning)
    else:
        sys.stdout.write(f"comment {result.action}: {result.url or ''}\n")
    if result.url:
        actions.set_output("comment-url", result.url)
    return 0
