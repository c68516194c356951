"""The build graph: `nix derivation show -r` (or `nix show-derivation -r` before Nix 2.15)."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import InputError
from ..untrusted import loads_json
from .drv import Derivation, parse_derivations
from .runner import Nix


def show_derivations(nix: Nix, drv_path: str) -> dict[str, Derivation]:
    """Every derivation in the build closure of the (instantiated) ``drv_path``, keyed by .drv path."""
    return show_derivations_of(nix, ["--", nix.drv_installable(drv_path)], drv_path)


def show_derivations_of(nix: Nix, installable_args: Sequence[str], label: str) -> dict[str, Derivation]:
    """The same for an installable that Nix evaluates itself, so that it can run beside another
    evaluation of it (``installable_args`` from :meth:`Nix.installable_args`: a flake's lock file is
    never updated)."""
    out = nix.run(
        [*nix.derivation_show, "--recursive", *installable_args],
        what="nix derivation show",
        installable=label,
    )
    try:
        doc = loads_json(out)
    except ValueError as exc:
        raise InputError(f"unexpected output from nix derivation show: {exc}") from exc
    return parse_derivations(doc)
