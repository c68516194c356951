"""Arguments and output helpers shared by the commands that take an installable."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable

from ..errors import CheckFailed
from ..nix.installable import Installable, parse_installable
from ..sbom.model import OutputCheck


def add_installable_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "installable",
        nargs="?",
        metavar="INSTALLABLE",
        help="flake ref with attribute (.#pkg, path:./dir#pkg, github:o/r#pkg), a store path, or a .drv",
    )
    p.add_argument("-f", "--file", metavar="FILE", help="legacy: a .nix file (with -A ATTR)")
    p.add_argument("-A", "--attr", metavar="ATTR", help="legacy: attribute of the -f FILE expression")


def installable_from(args: argparse.Namespace) -> Installable:
    """The installable the arguments name (a positional, or legacy ``-f FILE -A ATTR``)."""
    return parse_installable(args.installable, file=args.file, attr=args.attr)


def report_rebuild(checks: Iterable[OutputCheck], *, quiet: bool = False) -> None:
    """Print one line per output; raise :class:`CheckFailed` naming every non-reproducible output."""
    checks = list(checks)
    if not quiet:
        for c in checks:
            mark = "reproducible (bit-identical)" if c.reproducible else "NOT reproducible"
            sys.stderr.write(f"nix-attest: {c.path}: {mark}\n")
    bad = [c.path for c in checks if not c.reproducible]
    if bad:
        raise CheckFailed(f"not reproducible: {', '.join(bad)} (a rebuild gave different bytes)")
