"""The build graph: `nix derivation show -r` (or `nix show-derivation -r` before Nix 2.15)."""

from __future__ import annotations

import json

from ..errors import InputError
from .drv import Derivation, parse_derivations
from .runner import Nix


def show_derivations(nix: Nix, drv_path: str) -> dict[str, Derivation]:
    """Every derivation in the build closure of ``drv_path``, keyed by .drv path."""
    out = nix.run(
        [*nix.derivation_show, "--recursive", nix.drv_installable(drv_path)],
        what="nix derivation show",
        installable=drv_path,
    )
    try:
        return parse_derivations(json.loads(out))
    except json.JSONDecodeError as exc:
        raise InputError(f"unexpected output from nix derivation show: {exc}") from exc
