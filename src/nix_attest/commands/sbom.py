"""`nix-attest sbom INSTALLABLE -o FILE`: derive the SBOM (CycloneDX or SPDX) from the Nix graph."""

from __future__ import annotations

import argparse
import sys

from ..fsutil import write_atomic
from ..sbom import cyclonedx, spdx
from ..sbom.formats import FORMATS, dumps, get_format, spec_version
from ..sbom.generate import generate_sbom
from ..sbom.supplier import parse_author
from .common import add_installable_args, installable_from, report_rebuild

VERSIONS = sorted({*cyclonedx.SPEC_VERSIONS, *spdx.SPEC_VERSIONS})


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "sbom",
        help="derive a CycloneDX or SPDX SBOM from the Nix dependency graph",
        description=(
            "Derive a CycloneDX (or SPDX 2.3) JSON SBOM from the real Nix graph. The closure defaults to "
            "'runtime' when the installable is built (the default) or is a store path, and to 'buildtime' "
            "with --no-build."
        ),
    )
    add_installable_args(p)
    p.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="where to write the SBOM ('-' = stdout)"
    )
    p.add_argument("--closure", choices=("runtime", "buildtime"), help="which closure to describe")
    p.add_argument("--no-build", action="store_true", help="derive the buildtime SBOM from evaluation alone")
    p.add_argument("--format", choices=sorted(FORMATS), default="cyclonedx", help="SBOM format (cyclonedx)")
    p.add_argument(
        "--spec-version",
        choices=VERSIONS,
        help=f"format version: CycloneDX {', '.join(sorted(cyclonedx.SPEC_VERSIONS))} (default "
        f"{cyclonedx.SPEC_VERSIONS[0]}); SPDX {', '.join(spdx.SPEC_VERSIONS)}",
    )
    p.add_argument(
        "--author",
        metavar="'NAME <EMAIL|URL>'",
        help="who the SBOM is by (default on GitHub Actions: the repository owner and its URL)",
    )
    p.add_argument(
        "--check-reproducible",
        action="store_true",
        help="rebuild and record whether each output is bit-identical",
    )
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    fmt = get_format(args.format)
    version = spec_version(fmt, args.spec_version)  # a wrong version is a usage error before any Nix call
    sbom = generate_sbom(
        installable_from(args),
        closure=args.closure,
        build=not args.no_build,
        check_reproducible=args.check_reproducible,
        quiet=args.quiet,
        author=parse_author(args.author) if args.author else None,
    )
    text = dumps(sbom, fmt.name, version)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        write_atomic(args.output, text)
    if not args.quiet:
        version_text = f" {sbom.root.version}" if sbom.root.version else ""
        sys.stderr.write(
            f"nix-attest: wrote {args.output} ({fmt.label} {version}): {len(sbom.components)} components + "
            f"root ({sbom.meta.closure} closure of {sbom.root.name}{version_text})\n"
        )
        if sbom.meta.timestamp is None:
            sys.stderr.write(
                "nix-attest: no deterministic creation time is known (no SOURCE_DATE_EPOCH, flake "
                "lastModified or git commit)"
                + (": SPDX requires one, the current time was used\n" if fmt.name == "spdx" else "\n")
            )
    if sbom.meta.reproducibility is not None:
        report_rebuild(sbom.meta.reproducibility, quiet=args.quiet)  # the SBOM is written either way
    return 0
