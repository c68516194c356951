"""`nix-attest comment`: post or update the sticky PR comment from a rendered report or SBOM + check JSON."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError, NixAttestError
from ..fsutil import write_atomic
from ..github import actions
from ..github.auth import resolve_token
from ..github.comment import fork_safe_marker, marker, upsert_comment
from ..github.context import pull_request_context
from ..github.http import GitHubClient
from ..github.run_record import RUN_RECORD, loads_run_record
from ..report.compare import new_violations
from ..report.diffjson import loads_diff
from ..report.markdown import render_comment, render_summary
from ..report.model import Counts, Links, ReportData, Verdict
from ..report.policyjson import load_policy_report
from ..sbom.diff import diff_sboms
from ..sbom.read import load_sbom, loads_sbom
from ..untrusted import MAX_POLICY_BYTES, read_input_text

if TYPE_CHECKING:
    from ..github.run_record import RunRecord
    from ..github.workflow_run import WorkflowRun
    from ..policy import Policy
    from ..sbom.model import Sbom
    from ..vuln.model import VulnReport
    from ..vuln.pipeline import VulnSettings


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
    src.add_argument(
        "--sbom", metavar="FILE", help="render the report from this SBOM (CycloneDX or SPDX JSON)"
    )
    src.add_argument(
        "--workflow-run",
        action="store_true",
        help="in a workflow_run workflow: comment on the fork pull request of the run that triggered it, "
        "re-rendered from its artifacts' SBOM and diff, the policy re-checked with --policy",
    )
    p.add_argument(
        "--policy",
        metavar="FILE",
        help="with --workflow-run: the policy to check the PR's SBOM with (the base branch's file)",
    )
    p.add_argument(
        "--artifact-prefix",
        default="nix-attest",
        metavar="PREFIX",
        help="with --workflow-run: artifacts whose names start with this (nix-attest)",
    )
    p.add_argument(
        "--vulnerabilities",
        choices=("auto", "true", "false"),
        default="auto",
        help="with --workflow-run: scan the components the artifact's SBOMs list with this side's NVD "
        "database and OSV (the run's own vulnerability results are never used): auto (default: when the "
        "database exists), true (download it when missing), false",
    )
    p.add_argument(
        "--nvd-cache", metavar="DIR", help="with --workflow-run: cache directory of the NVD database"
    )
    p.add_argument("--nvd-url", metavar="URL", help="with --workflow-run: NVD feeds (default: NVD's)")
    p.add_argument("--osv-url", metavar="URL", help="with --workflow-run: OSV API (default: api.osv.dev)")
    p.add_argument("--check-json", metavar="FILE", help="policy report from `nix-attest check --format json`")
    p.add_argument("--base-sbom", metavar="FILE", help="base SBOM for the supply-chain diff (same --closure)")
    p.add_argument("--base-check-json", metavar="FILE", help="the base's policy report: lists new violations")
    p.add_argument("--repository", metavar="OWNER/REPO", help="default: GITHUB_REPOSITORY")
    p.add_argument("--pr", type=int, metavar="N", help="pull request number (default: from the event)")
    p.add_argument(
        "--installable", metavar="NAME", help="names the comment (default: the SBOM's installable)"
    )
    p.add_argument(
        "--job",
        metavar="ID",
        help="names the comment (default: WORKFLOW/GITHUB_JOB, WORKFLOW the workflow file's path from "
        "GITHUB_WORKFLOW_REF, else GITHUB_WORKFLOW)",
    )
    p.add_argument("--no-summary", action="store_true", help="do not append to GITHUB_STEP_SUMMARY")
    p.add_argument("--output", metavar="FILE", help="also write the comment body to FILE")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.workflow_run:
        return comment_workflow_run(args)
    if args.policy:
        raise InputError("--policy is for --workflow-run (use --check-json with --sbom)")
    if args.nvd_cache or args.nvd_url or args.osv_url or args.vulnerabilities != "auto":
        raise InputError("--vulnerabilities, --nvd-cache, --nvd-url and --osv-url are for --workflow-run")
    ctx = pull_request_context()
    repository = args.repository or ctx.repository
    number = args.pr or ctx.number
    links = Links(run_url=ctx.run_url)
    if args.body_file:
        try:
            body = read_input_text(args.body_file, MAX_POLICY_BYTES)
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
        # without --job, a comment an earlier version keyed by the workflow's name is adopted
        legacy = () if args.job or ctx.legacy_job == ctx.job else (marker(installable, ctx.legacy_job),)
        mark = marker(installable, args.job or ctx.job)
        result = upsert_comment(client, repository, number, body, mark, legacy_marks=legacy)
    if result.warning:
        actions.warning(result.warning)
    else:
        sys.stdout.write(f"comment {result.action}: {result.url or ''}\n")
    if result.url:
        actions.set_output("comment-url", result.url)
    return 0


# -- the fork-safe workflow_run mode ---------------------------------------------------------------------

SBOM_FILE = "sbom.cdx.json"
DIFF_FILE = "diff.json"
VDR_FILE = "vulnerabilities.cdx.json"  # read for its components only (both closures), never its findings
# what is read from a PR run's artifact, and how much of it; report.md, policy.json, vex.cdx.json and
# vulnerabilities.json are not read: the comment is rendered here, the verdict comes from the base
# branch's policy, vulnerabilities are found here
WANTED = {SBOM_FILE: 64 * 2**20, DIFF_FILE: 16 * 2**20, RUN_RECORD: 64 * 1024, VDR_FILE: 64 * 2**20}


def comment_workflow_run(args: argparse.Namespace) -> int:
    """Comment on a fork PR from the trusted ``workflow_run`` workflow: artifacts as data, re-rendered."""
    from ..github.workflow_run import (
        MAX_TOTAL_BYTES,
        StaleRun,
        download_artifact,
        pull_request_number,
        read_workflow_run,
        run_artifacts,
        unpack,
    )
    from ..policy import load_policy

    run = read_workflow_run(os.environ)
    if run.event != "pull_request":
        actions.notice(f"run {run.id} was not for a pull request ({run.event or 'no event'}): no comment")
        return 0
    if not run.from_fork:
        actions.notice(f"run {run.id} is for a pull request from {run.repository} itself: it comments itself")
        return 0
    policy = load_policy(args.policy) if args.policy else None  # bad policy: exit 2 before any request
    token = resolve_token(os.environ)
    if not token:
        raise InputError("no GitHub token: set the github-token input, GITHUB_TOKEN or GH_TOKEN")
    urls: list[str] = []
    with GitHubClient(token=token) as client:
        artifacts = run_artifacts(client, run, args.artifact_prefix)
        if not artifacts:
            actions.notice(
                f"run {run.id} ({run.conclusion or 'not concluded'}) left no {args.artifact_prefix}* "
                "artifact (cancelled, or stopped before the upload): no comment"
            )
            return 0
        left = MAX_TOTAL_BYTES
        for artifact in artifacts:
            source = f"artifact {artifact.name}"
            archive = download_artifact(client, run, artifact, left=left)
            left -= len(archive)
            files = unpack(archive, WANTED, source=source)
            if SBOM_FILE not in files:
                actions.warning(f"{source} has no {SBOM_FILE} (the run stopped before the SBOM): skipped")
                continue
            sbom = loads_sbom(_utf8(files[SBOM_FILE], source, SBOM_FILE), source=f"{source}: {SBOM_FILE}")
            record = None
            if RUN_RECORD in files:
                record = loads_run_record(files[RUN_RECORD], source=f"{source}: {RUN_RECORD}")
            number = pull_request_number(client, run, record.pull_request if record else None)
            if isinstance(number, StaleRun):
                actions.notice(
                    f"not commenting: run {run.id} built {run.head_sha[:12]}, pull request #{number.number} "
                    f"is now at {number.head_sha[:12]} (the newer push's run comments)"
                )
                continue
            vulns, scan_failed = _vulnerabilities(files, sbom, policy, _vuln_settings(args), source)
            data, mark = _rerender(
                run, sbom, record, files, (policy, args.policy), (vulns, scan_failed), source, artifact.name
            )
            body = render_comment(data, mark)
            if args.output:
                write_atomic(args.output, body)
            if not args.no_summary:
                actions.append_summary(render_summary(data))
            # a comment written for the key an earlier version gave this use (workflow name) is adopted
            old = record.legacy_comment_key if record else None
            legacy = (fork_safe_marker(old),) if old else ()
            result = upsert_comment(client, run.repository, number, body, mark, legacy_marks=legacy)
            if result.warning:
                actions.warning(result.warning)
                continue
            sys.stdout.write(f"comment {result.action} on #{number} ({artifact.name}): {result.url or ''}\n")
            if result.url:
                urls.append(result.url)
    actions.set_output("comment-url", "\n".join(urls))
    return 0


def _vuln_settings(args: argparse.Namespace) -> VulnSettings:
    from ..vuln.db import NVD_FEED_URL, NvdCache, default_cache_dir
    from ..vuln.pipeline import VulnSettings
    from ..vuln.sources.osv import OSV_API_URL

    return VulnSettings(
        args.vulnerabilities,
        NvdCache(Path(args.nvd_cache) if args.nvd_cache else default_cache_dir()),
        args.nvd_url or NVD_FEED_URL,
        args.osv_url or OSV_API_URL,
    )


def _vulnerabilities(
    files: dict[str, bytes], sbom: Sbom, policy: Policy | None, settings: VulnSettings, source: str
) -> tuple[VulnReport, str | None]:
    """The artifact's components scanned here, and why the scan failed (None: it did not). Its SBOMs
    are the fork's account of its components: their identifiers only add to what this side derives
    itself, their patches fix nothing here (``targets.untrusted_target``); its vulnerability results
    are not read at all. A failure can be the artifact's doing (purls with more OSV advisories than a
    scan takes, more queries than OSV answers in time), so the caller never turns it into a pass."""
    from ..sbom.merge import merge_closures
    from ..sbom.read import from_document, loads_document
    from ..vuln.model import VulnReport
    from ..vuln.pipeline import not_scanned, opened_index, scan_sbom

    if settings.mode == "false":
        return not_scanned(settings), None
    scanned, coverage = sbom, "the runtime closure only (the run wrote no vulnerabilities.cdx.json)"
    if VDR_FILE in files:
        where = f"{source}: {VDR_FILE}"
        try:
            doc = loads_document(_utf8(files[VDR_FILE], source, VDR_FILE), source=where)
            doc.pop("vulnerabilities", None)  # the fork's findings and VEX statements: never used
            scanned = merge_closures(sbom, from_document(doc, source=where))
            coverage = "the runtime and buildtime closures"
        except InputError as err:
            coverage = f"the runtime closure only ({err})"
    notes: list[str] = []
    try:
        with opened_index(settings, notes) as index:
            if index is None:
                return not_scanned(settings), None
            result = scan_sbom(scanned, index, settings, policy, _today(), notes, untrusted=True)
    except NixAttestError as err:
        actions.warning(f"{source}: vulnerability scan failed: {err}")
        return VulnReport(None, f"not scanned: the scan failed: {err}"), str(err)
    for note in result.notes:
        actions.warning(f"{source}: vulnerabilities: {note}")
    claims = sum(len(p.resolves) for c in (scanned.root, *scanned.components) for p in c.patches)
    patched = (
        f"; fixes its SBOM claims through patches named after CVEs: {claims}, not taken as fixes "
        "here, being the artifact's word alone, so those findings show as active"
        if claims
        else ""
    )
    report = VulnReport(
        result,
        note=f"scanned by this repository's workflow with its own database: {coverage} as the pull "
        "request's artifact lists them, each also identified here by name and version (its own "
        f"results are not used){patched}; new and fixed are not told apart here",
    )
    return report, None


def _today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def _rerender(
    run: WorkflowRun,
    sbom: Sbom,
    record: RunRecord | None,
    files: dict[str, bytes],
    policy_and_path: tuple[Policy | None, str | None],
    vulns_and_failure: tuple[VulnReport, str | None],
    source: str,
    artifact_name: str,
) -> tuple[ReportData, str]:
    """The report rendered from the artifact's data (the verdict from ``policy``) and the comment
    marker for the PR run's comment key, namespaced (:func:`fork_safe_marker`). A failed scan under
    a policy with vulnerability rules is the verdict ``error``, never a pass: the artifact may have
    made it fail."""
    from ..github.identity import use_identity
    from ..policy import evaluate

    installable = record.installable if record else sbom.meta.installable
    key = record.comment_key if record else use_identity(installable, "fork-safe", env={}).key
    diff = None
    if DIFF_FILE in files:
        diff = loads_diff(files[DIFF_FILE], source=f"{source}: {DIFF_FILE}")
    policy, policy_path = policy_and_path
    vulns, scan_failed = vulns_and_failure
    findings = vulns.result.findings if vulns.result is not None else None
    report = evaluate(policy, sbom, vulnerabilities=findings) if policy is not None else None
    judged_by = (
        f"the verdict is {policy_path}, this repository's policy, applied to them"
        if policy_path
        else "no policy was given here, so none was checked"
    )
    whose = (
        f"reported by the pull request's own run, {run.head_repository} at {run.head_sha[:12]}: its SBOM "
        f"and diff are that run's account, not rebuilt here; {judged_by}"
    )
    verdict: Verdict = report.verdict if report is not None else "pass"
    problems = [whose]
    if scan_failed is not None and policy is not None and policy.vulnerabilities is not None:
        verdict = "error" if verdict == "pass" else verdict
        problems.append(
            f"the vulnerability scan failed here ({scan_failed}), so this repository's vulnerability "
            "rules could not be checked: no pass is given (the artifact's components can make a scan "
            "fail; a re-run after a service failure may pass)"
        )
    data = ReportData(
        installable=installable,
        label=record.label if record else None,
        verdict=verdict,
        counts=Counts.from_sbom(sbom),
        policy=report,
        reproducibility=sbom.meta.reproducibility,
        diff=diff,
        diff_head=sbom if diff is not None else None,
        diff_base_label=diff.base_label if diff is not None else None,
        vulnerabilities=vulns,
        problems=tuple(problems),
        links=Links(run_url=run.html_url, artifact_name=artifact_name),
    )
    return data, fork_safe_marker(key)


def _utf8(data: bytes, source: str, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: {name} is not UTF-8 (byte {exc.start})") from exc
