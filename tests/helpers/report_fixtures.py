"""Records and a two-commit fixture flake shared by the report and diff tests."""

from __future__ import annotations

from pathlib import Path

from nix_attest.policy.model import ComponentRef, PolicyReport, Violation
from nix_attest.sbom.model import Closure, Component, License, Sbom, SbomMeta

from .gitrepo import git


def comp(
    name: str,
    version: str | None,
    *,
    lic: tuple[str, ...] = (),
    closure: Closure = "runtime",
    size: int | None = 100,
    ref: str | None = None,
) -> Component:
    ref = ref or f"/nix/store/{'0' * 32}-{name}-{version}"
    return Component(
        ref=ref,
        name=name,
        version=version,
        store_path=ref,
        closures=(closure,),
        licenses=tuple(License(expression=x) for x in lic),
        nar_size=size,
    )


def sbom(
    root: Component,
    *components: Component,
    closure: Closure = "runtime",
    deps: dict[str, tuple[str, ...]] | None = None,
) -> Sbom:
    return Sbom(
        root=root,
        components=tuple(sorted(components, key=lambda c: c.ref)),
        dependencies=deps if deps is not None else {root.ref: tuple(sorted(c.ref for c in components))},
        meta=SbomMeta(installable=".#default", closure=closure, tool_version="0.1.0"),
    )


def violation(rule: str, severity: str, name: str, message: str = "bad") -> Violation:
    return Violation(
        rule=rule,
        severity=severity,  # type: ignore[arg-type]
        message=message,
        component=ComponentRef(bom_ref=f"/nix/store/{'0' * 32}-{name}", name=name, version="1"),
    )


def report(*violations: Violation, fail_on: str = "error") -> PolicyReport:
    return PolicyReport(policy_path="policy.yml", violations=violations, fail_on=fail_on)  # type: ignore[arg-type]


FLAKE = """{
  outputs = { self }:
    let
      system = "x86_64-linux";
      mk = { pname, version, script ? "echo ${pname} > $out", meta ? { }, extra ? { } }:
        (derivation ({
          name = "${pname}-${version}";
          inherit pname version system;
          builder = "/bin/sh";
          args = [ "-c" script ];
        } // extra)) // { inherit meta; };
      build-tool = mk { pname = "build-tool"; version = "0.9";
                        meta.license = { spdxId = "@TOOL_LICENSE@"; }; };
      libgreet = mk { pname = "libgreet"; version = "@LIBGREET_VERSION@"; meta.license = { spdxId = "MIT"; };
                      extra.nativeBuildInputs = [ build-tool ]; };
      colorize = mk { pname = "colorize"; version = "2.0"; meta.license = { spdxId = "ISC"; }; };
      app = mk { pname = "app"; version = "1.0.0"; meta.license = "GPL-3.0-or-later";
                 extra.buildInputs = [ libgreet ] ++ (if @WITH_COLORIZE@ then [ colorize ] else [ ]); };
    in { packages.${system} = { inherit app build-tool libgreet colorize; default = app; }; };
}
"""


def flake_text(*, libgreet: str, tool_license: str, with_colorize: bool) -> str:
    return (
        FLAKE.replace("@LIBGREET_VERSION@", libgreet)
        .replace("@TOOL_LICENSE@", tool_license)
        .replace("@WITH_COLORIZE@", "true" if with_colorize else "false")
    )


def two_commit_flake(repo: Path) -> None:
    """Commit 1: libgreet 1.2.0, build-tool BSD-3-Clause, no colorize. Commit 2: libgreet 1.3.0,
    build-tool MIT, colorize 2.0 added to app."""
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "flake.nix").write_text(
        flake_text(libgreet="1.2.0", tool_license="BSD-3-Clause", with_colorize=False)
    )
    git(repo, "add", "flake.nix")
    git(repo, "commit", "-q", "-m", "base")
    (repo / "flake.nix").write_text(flake_text(libgreet="1.3.0", tool_license="MIT", with_colorize=True))
    git(repo, "commit", "-q", "-am", "head")
