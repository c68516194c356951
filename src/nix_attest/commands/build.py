"""`nix-attest build INSTALLABLE`: build and print the output store paths."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import UsageError
from ..nix import build as nixbuild
from ..nix.meta import evaluate
from ..nix.runner import Nix
from ..sbom.model import OutputCheck
from .common import add_installable_args, installable_from, report_rebuild


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("build", help="build an installable and print its output paths")
    add_installable_args(p)
    p.add_argument("--json", action="store_true", help="print a JSON object instead of one path per line")
    p.add_argument(
        "--check-reproducible",
        action="store_true",
        help="rebuild (nix build --rebuild) and report per output whether it is bit-identical",
    )
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    nix = Nix(quiet=args.quiet)
    inst = installable_from(args)
    drv_path = inst.text if inst.kind == "drv" else None
    if inst.evaluable:
        drv_path = evaluate(nix, inst).drv_path
    results = nixbuild.build(nix, inst, drv_path=drv_path)
    outputs = {name: path for r in results for name, path in r.outputs.items()}
    checks: list[OutputCheck] = []
    if args.check_reproducible:
        drv = drv_path or next((r.drv_path for r in results if r.drv_path), None)
        if drv is None:
            info = nixbuild.path_info(nix, [inst.text])[inst.text]
            drv = info.deriver
        if drv is None:
            raise UsageError(f"cannot rebuild {inst.text}: its deriver is unknown")
        checks = [
            OutputCheck(r.path, r.reproducible, r.detail)
            for r in nixbuild.rebuild(nix, drv, sorted(set(outputs.values())))
        ]
    if args.json:
        doc: dict[str, object] = {"drvPath": drv_path, "outputs": dict(sorted(outputs.items()))}
        if args.check_reproducible:
            doc["reproducible"] = {c.path: c.reproducible for c in checks}
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    else:
        for path in sorted(set(outputs.values())):
            sys.stdout.write(path + "\n")
    if args.check_reproducible:
        report_rebuild(checks, quiet=args.quiet)
    return 0
