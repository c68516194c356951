"""Factories for SBOM records used by the policy tests (no Nix needed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from nix_attest.policy import Policy, load_policy
from nix_attest.sbom.model import Component, FixedOutput, Hash, License, OutputCheck, Sbom, SbomMeta

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.timezone.utc)


def comp(
    name: str,
    version: str | None = "1.0",
    *,
    license: str | Sequence[str] | None = "MIT",
    purl: str | bool | None = True,
    closures: tuple[str, ...] = ("runtime",),
    **kw: Any,
) -> Component:
    """A component with sensible defaults: runtime, MIT, a purl and a SHA-256."""
    path = kw.pop("store_path", f"/nix/store/{'a' * 32}-{name}-{version or 'unknown'}")
    licenses: tuple[License, ...] = ()
    if isinstance(license, str):
        licenses = (License(expression=license),)
    elif license is not None:
        licenses = tuple(License(expression=x) for x in license)
    if purl is True:
        purl = f"pkg:nix/{name}@{version}" if version else f"pkg:nix/{name}"
    kw.setdefault("hashes", (Hash("SHA-256", "ab" * 32),))
    kw.setdefault("nar_size", 1000)
    return Component(
        ref=path,
        name=name,
        version=version,
        store_path=path,
        purl=purl or None,
        licenses=licenses,
        closures=closures,  # type: ignore[arg-type]
        **kw,
    )


def make_sbom(
    components: Sequence[Component],
    *,
    root: Component | None = None,
    reproducibility: tuple[OutputCheck, ...] | None = None,
) -> Sbom:
    root = root or comp("app", "2.0", closures=())
    comps = tuple(sorted(components, key=lambda c: c.ref))
    deps = {root.ref: tuple(c.ref for c in comps)}
    meta = SbomMeta(
        installable=".#app", closure="runtime", tool_version="test", reproducibility=reproducibility
    )
    return Sbom(root=root, components=comps, dependencies=deps, meta=meta)


def fod(name: str, url: str, *, algo: str = "sha256", hash_hex: str = "cd" * 32) -> Component:
    return comp(
        f"{name}-src",
        "1.0",
        closures=("buildtime",),
        fixed_output=FixedOutput(method="flat", algo=algo, hash_hex=hash_hex, urls=(url,)),
    )


@pytest.fixture
def write_policy(tmp_path: Path) -> Callable[[str], Policy]:
    """Write YAML text to a policy file in tmp_path and load it."""

    def _write(text: str, name: str = "policy.yaml") -> Policy:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return load_policy(path)

    return _write
