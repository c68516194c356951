"""Building, rebuilding (reproducibility check) and querying the store."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import InputError, NixBuildError, NixError
from ..untrusted import loads_json
from .installable import Installable
from .pathinfo import PathInfo, parse_path_info
from .runner import Nix, trim_nix_error


@dataclass(frozen=True, slots=True)
class BuildResult:
    drv_path: str | None
    outputs: dict[str, str]  # output name -> store path

    @property
    def main_output(self) -> str:
        return self.outputs.get("out") or next(iter(sorted(self.outputs.items())))[1]


@dataclass(frozen=True, slots=True)
class RebuildResult:
    path: str
    reproducible: bool
    detail: str


def build(nix: Nix, installable: Installable, *, drv_path: str | None = None) -> list[BuildResult]:
    """Build and return the outputs. With ``drv_path`` (already evaluated) the derivation is built
    directly, so the expression is not evaluated a second time."""
    target = ["--", nix.drv_installable(drv_path)] if drv_path else nix.installable_args(installable)
    out = nix.run_long(
        ["build", "--no-link", "--json", *target], what="build", installable=installable.describe()
    )
    return parse_build_json(out)


def parse_build_json(text: str) -> list[BuildResult]:
    try:
        doc = loads_json(text)
    except ValueError as exc:
        raise InputError(f"unexpected output from nix build: {exc}") from exc
    results = []
    for entry in doc:
        outputs = {str(k): str(v) for k, v in (entry.get("outputs") or {}).items() if v}
        if not outputs and entry.get("path"):  # a store path "built" (already valid)
            outputs = {"out": str(entry["path"])}
        results.append(BuildResult(drv_path=entry.get("drvPath"), outputs=outputs))
    return results


def path_info(nix: Nix, paths: Sequence[str], *, recursive: bool = False) -> dict[str, PathInfo]:
    """Path info (NAR hash/size, references, deriver) for ``paths`` (and their closure)."""
    if not paths:
        return {}
    args = ["path-info", "--json", *(["--recursive"] if recursive else []), "--", *paths]
    out = nix.run(args, what="nix path-info", installable=paths[0] if len(paths) == 1 else None)
    try:
        doc = loads_json(out)
    except ValueError as exc:
        raise InputError(f"unexpected output from nix path-info: {exc}") from exc
    return parse_path_info(doc)


_DIFFERS = re.compile(r"output '([^']+)' (?:of '[^']+' )?differs")


def rebuild(nix: Nix, drv_path: str, outputs: Sequence[str]) -> list[RebuildResult]:
    """Rebuild the derivation (``nix build --rebuild``) and report per output whether it is
    bit-identical to the existing one."""
    try:
        nix.run_long(
            ["build", "--no-link", "--rebuild", "--", nix.drv_installable(drv_path)],
            what="rebuild",
            installable=drv_path,
        )
    except NixBuildError as err:
        text = str(err)
        differing = set(_DIFFERS.findall(text))
        if "may not be deterministic" not in text and not differing:
            raise
        if not differing:  # Nix named no output: treat all as suspect
            differing = set(outputs)
        return [
            RebuildResult(
                p,
                p not in differing,
                "differs from the first build" if p in differing else "bit-identical",
            )
            for p in sorted(outputs)
        ]
    except NixError as err:
        raise NixBuildError(f"rebuild of {drv_path} failed: {trim_nix_error(str(err))}") from err
    return [RebuildResult(p, True, "bit-identical") for p in sorted(outputs)]
