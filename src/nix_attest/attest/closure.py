"""``verify --closure``: the runtime closure of a store path on this machine must be exactly the set of
store paths the verified SBOM attestation lists (its root and its runtime components).

This turns "the closure I deploy is the closure that was built, reviewed and attested" into a check:
a path the SBOM does not list (something was swapped in or added, e.g. by a substituter) fails, and so
does a listed path that is not in the closure (the SBOM describes another build).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..nix.build import path_info
from ..nix.names import parse_drv_name, store_path_name
from ..nix.runner import Nix
from ..sbom.model import Component, Sbom

SHOWN = 3  # paths named in the one-line message, per direction


@dataclass(frozen=True, slots=True)
class ClosureCheck:
    store_path: str
    closure_size: int  # paths in the runtime closure on this machine
    sbom_size: int  # store paths in the attested SBOM (root + runtime components)
    not_in_sbom: tuple[str, ...] = ()  # in the closure, not in the SBOM ("name version (path)"), sorted
    not_in_closure: tuple[str, ...] = ()  # in the SBOM, not in the closure
    problem: str | None = None  # the SBOM cannot be compared at all (a buildtime SBOM)

    @property
    def ok(self) -> bool:
        return self.problem is None and not self.not_in_sbom and not self.not_in_closure

    def summary(self) -> str:
        if self.problem:
            return f"closure check failed for {self.store_path}: {self.problem}"
        if self.ok:
            return (
                f"runtime closure of {self.store_path} ({self.closure_size} store paths) equals the store "
                "paths in the attested SBOM"
            )
        parts = []
        if self.not_in_sbom:
            parts.append(
                f"{len(self.not_in_sbom)} path(s) in the closure are not in the attested SBOM: "
                + _first(self.not_in_sbom)
            )
        if self.not_in_closure:
            parts.append(
                f"{len(self.not_in_closure)} path(s) in the attested SBOM are not in the closure: "
                + _first(self.not_in_closure)
            )
        return f"closure check failed for {self.store_path}: " + "; ".join(parts)


def _first(items: tuple[str, ...]) -> str:
    more = len(items) - SHOWN
    return ", ".join(items[:SHOWN]) + (f" and {more} more" if more > 0 else "")


def _label(name: str, version: str | None, path: str) -> str:
    return f"{name} {version} ({path})" if version else f"{name} ({path})"


def _component_label(c: Component) -> str:
    return _label(c.name, c.version, c.store_path)


def _path_label(path: str) -> str:
    name, version = parse_drv_name(store_path_name(path))
    return _label(name, version, path)


def attested_runtime_paths(sbom: Sbom) -> dict[str, str]:
    """Store path -> label, for the SBOM's root and runtime components."""
    out = {c.store_path: _component_label(c) for c in sbom.runtime_components}
    out[sbom.root.store_path] = _component_label(sbom.root)
    return out


def compare_closure(store_path: str, closure: Iterable[str], sbom: Sbom) -> ClosureCheck:
    """Compare a runtime closure (store paths) with the store paths of a verified SBOM."""
    paths = set(closure)
    if sbom.meta.closure != "runtime":
        return ClosureCheck(
            store_path,
            len(paths),
            0,
            problem=f"the attested SBOM describes the {sbom.meta.closure} closure, not the runtime closure",
        )
    attested = attested_runtime_paths(sbom)
    return ClosureCheck(
        store_path=store_path,
        closure_size=len(paths),
        sbom_size=len(attested),
        not_in_sbom=tuple(_path_label(p) for p in sorted(paths - attested.keys())),
        not_in_closure=tuple(attested[p] for p in sorted(attested.keys() - paths)),
    )


def runtime_closure(nix: Nix, store_path: str) -> set[str]:
    """The runtime closure of ``store_path`` in the local store (``nix path-info -r``, via the runner)."""
    return set(path_info(nix, [store_path], recursive=True))
