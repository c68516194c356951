"""`nix-attest scan SBOM`: known vulnerabilities of the SBOM's components (NVD, OSV, nixpkgs meta).

Exit 0 when scanned, 1 when an active finding is at or above ``--fail-on``, 2 for bad input (including
``--offline`` without a local NVD database), 3 when a source failed."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace

from ..errors import CheckFailed, UsageError
from ..fsutil import write_atomic
from ..github.http import ServiceClient
from ..policy.config import VulnerabilityRules
from ..policy.load import load_policy
from ..policy.vulnerabilities import vulnerability_violations
from ..sbom.read import from_document, load_document
from ..vuln.db import NVD_FEED_URL, NvdCache, feed_files, index_from_feeds, update
from ..vuln.formats import FORMAT_NAMES, ScanReport, formats
from ..vuln.formats.common import summary
from ..vuln.formats.cyclonedx import render_vex
from ..vuln.index import NvdIndex
from ..vuln.kev import KEV_FILE, load_kev
from ..vuln.model import FAIL_ON_SEVERITIES, ScanResult
from ..vuln.scan import scan
from ..vuln.sources import VulnerabilitySource
from ..vuln.sources.nixmeta import NixpkgsMetaSource
from ..vuln.sources.nvd import NvdSource
from ..vuln.sources.osv import OSV_API_URL, OSV_DEADLINE, OsvSource
from ..vuln.targets import targets
from ..vuln.waivers import apply_vex_waivers
from .check import parse_date
from .vulndb import add_cache_arg, cache_from


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "scan",
        help="known vulnerabilities of an SBOM's components (NVD by CPE, OSV by purl, nixpkgs meta)",
        description="Match the SBOM's components against the NVD (CPE, configurations evaluated, patches "
        "honoured), OSV (vendored dependencies by purl, GitHub sources by commit) and meta."
        "knownVulnerabilities. Exit 1 when an active finding is at or above --fail-on, 2 for bad input, "
        "3 when a source failed.",
    )
    p.add_argument("sbom", metavar="SBOM", help="CycloneDX JSON SBOM (nix-attest's or another tool's)")
    p.add_argument(
        "--nvd-feed",
        metavar="FILE_OR_DIR",
        action="append",
        help="NVD 2.0 JSON feed file (.json or .json.gz) or a directory of them; repeatable. Without it "
        "the local database in --cache-dir is used (downloaded first when missing, unless --offline)",
    )
    p.add_argument(
        "--nvd-url", metavar="URL", default=NVD_FEED_URL, help="where NVD feeds are downloaded from"
    )
    p.add_argument("--osv-url", metavar="URL", default=OSV_API_URL, help=f"OSV API (default: {OSV_API_URL})")
    p.add_argument("--no-osv", action="store_true", help="do not query OSV")
    p.add_argument("--offline", action="store_true", help="only local data: no download, no OSV query")
    add_cache_arg(p)
    p.add_argument(
        "--kev",
        metavar="FILE_OR_URL",
        help="CISA Known Exploited Vulnerabilities catalog (JSON) to flag known-exploited findings "
        "(default: DIR/kev.json when 'vulndb update --kev' stored one)",
    )
    p.add_argument("--format", choices=FORMAT_NAMES, default="text", help="report format (default: text)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report here (default: stdout)")
    p.add_argument(
        "--fail-on",
        choices=FAIL_ON_SEVERITIES,
        help="exit 1 when an active finding is at least this severe (default: the policy's "
        "vulnerabilities fail-on, else never)",
    )
    p.add_argument(
        "--policy",
        metavar="FILE",
        help="policy whose vulnerability waivers become VEX statements (and whose vulnerabilities "
        "fail-on is the default --fail-on)",
    )
    p.add_argument(
        "--vex",
        metavar="FILE",
        help="also write a CycloneDX VEX document: the patch and waiver statements, by bom-ref",
    )
    p.add_argument(
        "--date", metavar="YYYY-MM-DD", help="evaluate waiver expiry as of this UTC date (default: today)"
    )
    p.set_defaults(func=run)


@contextmanager
def nvd_index(args: argparse.Namespace) -> Iterator[NvdIndex]:
    """The index of ``--nvd-feed`` files, else the local database (downloaded when missing)."""
    if args.nvd_feed:
        with index_from_feeds(feed_files(args.nvd_feed)) as idx:
            yield idx
        return
    cache: NvdCache = cache_from(args)
    if not cache.has_index():
        if args.offline:
            raise UsageError(
                f"no NVD database in {cache.nvd} and --offline: run 'nix-attest vulndb update' first "
                "(or pass --nvd-feed FILE)"
            )
        sys.stderr.write(
            f"nix-attest: no local NVD database yet: downloading the NVD feeds into {cache.nvd}\n"
        )
        with ServiceClient(args.nvd_url, name="NVD feeds") as client:
            update(cache, client)
    with cache.open_index() as idx:
        yield idx


def known_exploited(args: argparse.Namespace) -> frozenset[str] | None:
    """The KEV catalog's CVE ids: ``--kev``, else the cached copy, else None (no enrichment)."""
    if args.kev:
        if args.offline and args.kev.startswith(("http://", "https://")):
            raise UsageError("--offline: --kev must be a file, not a URL")
        return load_kev(args.kev)
    cached = cache_from(args).root / KEV_FILE
    return load_kev(str(cached)) if cached.is_file() else None


def run_scan(args: argparse.Namespace, stack: ExitStack) -> tuple[ScanReport, VulnerabilityRules]:
    """Scan; the report and the rules that decide the exit code (the policy's vulnerabilities section,
    ``--fail-on`` overriding its threshold; without a policy only ``--fail-on``)."""
    now = parse_date(args.date)
    policy = load_policy(args.policy) if args.policy else None  # validated before anything is read
    doc = load_document(args.sbom)
    sbom = from_document(doc, source=args.sbom)
    notes: list[str] = []
    index = stack.enter_context(nvd_index(args))
    if sbom.meta.system is None:
        notes.append("the SBOM names no system: CVEs that require an operating system were not matched")
    sources: list[VulnerabilitySource] = [NvdSource(index, sbom.meta.system)]
    if args.offline or args.no_osv:
        notes.append(f"OSV not queried ({'--offline' if args.offline else '--no-osv'})")
    else:
        client = stack.enter_context(
            ServiceClient(args.osv_url, name="OSV", retry_post=True, deadline=OSV_DEADLINE)
        )
        sources.append(OsvSource(client))
    sources.append(NixpkgsMetaSource())
    kev = known_exploited(args)
    if kev is not None:
        notes.append(f"known-exploited flags from the CISA KEV catalog ({len(kev)} CVEs)")
    result: ScanResult = scan(targets(sbom), sources, known_exploited=kev or (), notes=notes)
    rules = VulnerabilityRules(fail_on="never", known_exploited="ignore")
    if policy is not None:
        day = (now or dt.datetime.now(dt.timezone.utc)).date()
        waived, waiver_notes = apply_vex_waivers(result.findings, policy.waivers, day)
        result = replace(result, findings=tuple(waived), notes=(*result.notes, *waiver_notes))
        rules = policy.vulnerabilities or rules
    if args.fail_on:
        rules = replace(rules, fail_on=args.fail_on)
    return ScanReport(result, sbom, doc, args.sbom, rules.fail_on, policy.path if policy else None), rules


def run(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        report, rules = run_scan(args, stack)
    text = formats()[args.format].render(report)
    result = report.result
    if args.output and args.output != "-":
        write_atomic(args.output, text)
        sys.stderr.write(f"nix-attest: wrote {args.output}: {summary(result.findings)}\n")
    else:
        sys.stdout.write(text)
    if args.vex:
        write_atomic(args.vex, render_vex(report))
    for note in result.notes:
        if "waiver" in note:
            sys.stderr.write(f"nix-attest: {note}\n")
    failing = [v for v in vulnerability_violations(rules, result.active) if v.severity == "error"]
    if failing:
        ids = list(dict.fromkeys(v.advisories[0] for v in failing))
        more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
        why = f"at or above {rules.fail_on}" + (
            ", or known exploited" if rules.known_exploited == "fail" else ""
        )
        raise CheckFailed(f"{len(ids)} active finding(s) {why}: {', '.join(ids[:5])}{more}")
    return 0
