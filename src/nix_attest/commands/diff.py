"""`nix-attest diff BASE_SBOM HEAD_SBOM`: the supply-chain difference between two SBOMs."""

from __future__ import annotations

import argparse
import sys

from ..fsutil import write_atomic
from ..report import sections
from ..report.diffjson import dumps_diff
from ..report.model import ReportData
from ..report.sections import Budget
from ..sbom.diff import diff_sboms
from ..sbom.read import load_sbom


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "diff",
        help="compare two SBOMs: components added/removed/changed, licences, closure size",
        description="Compare two SBOMs (CycloneDX or SPDX) written by nix-attest (same --closure): "
        "components added, removed and version-changed (matched by name), licence changes and the "
        "runtime closure size delta.",
    )
    p.add_argument("base", metavar="BASE_SBOM", help="the base SBOM (CycloneDX or SPDX JSON)")
    p.add_argument("head", metavar="HEAD_SBOM", help="the head SBOM (CycloneDX or SPDX JSON)")
    p.add_argument(
        "--format", choices=("markdown", "json"), default="markdown", help="output format (markdown)"
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout (-: stdout)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    base = load_sbom(args.base)
    head = load_sbom(args.head)
    diff = diff_sboms(base, head)
    if args.format == "json":
        text = dumps_diff(diff)
    else:
        data = ReportData(
            installable=head.meta.installable,
            verdict="pass",
            diff=diff,
            diff_head=head,
            diff_base_label=args.base,
        )
        text = sections.diff(data, Budget(shown=100_000, folded=0)) + "\n"
    if args.output and args.output != "-":
        write_atomic(args.output, text)
    else:
        sys.stdout.write(text)
    return 0
