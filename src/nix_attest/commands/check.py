"""`nix-attest check SBOM [--policy FILE] [--format ...] [-o FILE]`: policy contracts over an SBOM."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from ..errors import CheckFailed, PolicyFileError, UsageError
from ..fsutil import write_atomic
from ..github import actions
from ..policy import (
    DEFAULT_POLICY,
    PolicyReport,
    evaluate,
    load_policy,
    render_json,
    render_markdown,
    render_sarif,
    render_text,
)
from ..policy.render import counts, summary_line
from ..sbom.read import from_document, load_document
from ..vuln.read import findings_from_document

FORMATS = ("text", "json", "sarif", "markdown")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "check",
        help="check an SBOM against a policy (licences, packages, sources, CEL rules, Nickel contracts)",
        description=(
            "Check a CycloneDX or SPDX SBOM against a policy file (YAML, or Nickel with a .ncl extension). "
            "Exit 1 when the policy's fail-on threshold is met, 2 when the policy or SBOM is malformed."
        ),
    )
    p.add_argument("sbom", metavar="SBOM", help="CycloneDX or SPDX JSON SBOM written by nix-attest")
    p.add_argument("--policy", metavar="FILE", help=f"policy file (default: {DEFAULT_POLICY})")
    p.add_argument("--format", choices=FORMATS, default="text", help="report format (default: text)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report here (default: stdout)")
    p.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="evaluate as of this UTC date (waiver expiry, CEL `now`); default: today",
    )
    p.add_argument(
        "--job-summary",
        action="store_true",
        help="also append the Markdown report to the job summary (GITHUB_STEP_SUMMARY) and set the step "
        "outputs verdict, violations (active) and report-path (GITHUB_OUTPUT), each when set",
    )
    p.set_defaults(func=run)


def parse_date(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"--date: not a date (YYYY-MM-DD): {text!r}") from exc
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


def render(report: PolicyReport, fmt: str, sbom_path: str) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "sarif":
        return render_sarif(report, Path(sbom_path).as_posix())
    if fmt == "markdown":
        return render_markdown(report)
    return render_text(report)


def run(args: argparse.Namespace) -> int:
    policy_path = args.policy or DEFAULT_POLICY
    if args.policy is None and not Path(policy_path).is_file():
        raise PolicyFileError(f"no policy file: {DEFAULT_POLICY} not found (pass --policy FILE)")
    now = parse_date(args.date)
    policy = load_policy(policy_path)  # compiled and validated before the SBOM is read
    doc = load_document(args.sbom)
    sbom = from_document(doc, source=args.sbom)
    report = evaluate(policy, sbom, now, vulnerabilities=findings_from_document(doc, sbom))
    text = render(report, args.format, args.sbom)
    if args.output and args.output != "-":
        write_atomic(args.output, text)
        sys.stderr.write(f"nix-attest: wrote {args.output}: {summary_line(report)}\n")
    else:
        sys.stdout.write(text)
    if args.job_summary:
        actions.append_summary(render_markdown(report))
        actions.set_output("verdict", report.verdict)
        actions.set_output("violations", len(report.active))
        if args.output and args.output != "-":
            actions.set_output("report-path", str(Path(args.output).resolve()))
    if report.failed:
        n = counts(report)
        raise CheckFailed(
            f"policy {policy_path} failed: {n['error']} error(s), {n['warning']} warning(s) "
            f"active (fail-on: {report.fail_on})"
        )
    return 0
