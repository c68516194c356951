"""sbom/generate.py without Nix: the graph Nix would print, as records, assembled into components and the
exact dependency map (the real-Nix tests check the same against `nix-store -q`; these pin every field
and edge in milliseconds, which is what mutation testing needs)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from nix_attest.errors import InputError, NixError, UsageError
from nix_attest.nix.drv import Derivation, DrvOutput
from nix_attest.nix.installable import parse_installable
from nix_attest.nix.meta import Maintainer, MetaLicense, PackageMeta
from nix_attest.nix.pathinfo import PathInfo
from nix_attest.nix.runner import Nix
from nix_attest.sbom import generate as gen
from nix_attest.sbom.generate import SbomGenerator, SbomRequest, _Assembler, default_closure
from nix_attest.sbom.model import FixedOutput, Hash, License, OutputCheck, Party, Patch
from nix_attest.sbom.supplier import Origins

S = "/nix/store/"


def p(name: str) -> str:
    """A store path whose hash part is derived from its name."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    letters = "".join("0123456789abcdfghijklmnpqrsvwxyz"[int(c, 16) * 2 % 32] for c in digest[:32])
    return S + letters + "-" + name


def drv(
    name: str,
    *,
    outputs: tuple[str, ...] = ("out",),
    inputs: tuple[str, ...] = (),
    srcs: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    fod: tuple[str, str, str] | None = None,  # method, algo, hex
    system: str = "x86_64-linux",
) -> Derivation:
    outs = tuple(
        DrvOutput(o, p(name if o == "out" else f"{name}-{o}"), *(fod if fod else (None, None, None)))
        for o in outputs
    )
    return Derivation(
        path=p(f"{name}.drv"),
        name=name,
        system=system,
        outputs=outs,
        input_drvs={p(f"{i}.drv"): ("out",) for i in inputs},
        input_srcs=srcs,
        env=env or {},
    )


def info(path: str, *refs: str, deriver: str | None = None, size: int = 10) -> PathInfo:
    return PathInfo(
        path=path,
        nar_hash="sha256:" + "1" * 52,
        nar_sha256="ab" * 32,
        nar_size=size,
        references=refs,
        deriver=deriver,
    )


def meta(d: Derivation, **kw: Any) -> PackageMeta:
    fields: dict[str, Any] = {
        "drv_path": d.path,
        "pname": None,
        "version": None,
        "has_meta": True,
        "description": None,
        "homepage": None,
        "licenses": (),
        "purl": None,
        "cpe": None,
    }
    fields.update(kw)
    return PackageMeta(**fields)


SHA = "8d99142afd92576f30b0cd7cb42a8dc6809998bc5d607d88761f512e26c7db20"
MIT = (MetaLicense("MIT"),)
CRATE_URL = "https://static.crates.io/crates/serde/serde-1.0.200.crate"


@pytest.fixture()
def graph() -> dict[str, Derivation]:
    """app-1.0 (outputs out, dev) built from lib-2.0 and a fetched crate (its src), with builder.sh."""
    return {
        d.path: d
        for d in (
            drv("app-1.0", outputs=("out", "dev"), inputs=("lib-2.0", "serde-1.0.200.crate"),
                srcs=(p("builder.sh"),), env={"src": p("serde-1.0.200.crate")}),
            drv("lib-2.0", srcs=(p("builder.sh"),)),
            drv("serde-1.0.200.crate", fod=("flat", "sha256", SHA),
                env={"urls": f"{CRATE_URL} https://mirror.example.org/serde.crate", "rev": "v1"}),
        )
    }  # fmt: skip


APP, APP_DEV, LIB, CRATE, BUILDER, HELPER = (
    p("app-1.0"), p("app-1.0-dev"), p("lib-2.0"), p("serde-1.0.200.crate"), p("builder.sh"), p("helper.txt")
)  # fmt: skip


# --- buildtime ------------------------------------------------------------------------------------------


def test_the_buildtime_closure_is_the_derivation_graph(graph: dict[str, Derivation]) -> None:
    app = graph[p("app-1.0.drv")]
    m = {app.path: meta(app, pname="app", version="1.0", licenses=MIT)}
    srcs = {BUILDER: info(BUILDER, HELPER), HELPER: info(HELPER)}
    root, components, deps = _Assembler(graph, m, {}, None).buildtime(app.path, srcs)
    assert (root.ref, root.kind, root.store_path, root.drv_path) == (APP, "application", APP, app.path)
    assert [c.ref for c in components] == sorted([LIB, CRATE, BUILDER, HELPER])
    assert deps == {
        APP: tuple(sorted([LIB, CRATE, BUILDER])),
        BUILDER: (HELPER,),
        CRATE: (),
        HELPER: (),
        LIB: (BUILDER,),
    }
    assert list(deps) == sorted(deps)
    by_ref = {c.ref: c for c in components}
    assert all(c.closures == ("buildtime",) for c in (root, *components))
    # sources no derivation built: files, their NAR facts from path info
    builder = by_ref[BUILDER]
    assert (builder.name, builder.kind, builder.purl, builder.nar_size) == (
        "builder.sh",
        "file",
        "pkg:nix/builder.sh",
        10,
    )
    assert by_ref[HELPER].metadata_found is False and by_ref[HELPER].drv_path is None


def test_a_fetched_source_component(graph: dict[str, Derivation]) -> None:
    app = graph[p("app-1.0.drv")]
    m = {app.path: meta(app, pname="app", version="1.0", licenses=MIT)}
    _, components, _ = _Assembler(graph, m, {}, None).buildtime(app.path, {})
    crate = {c.ref: c for c in components}[CRATE]
    assert (crate.name, crate.version, crate.kind) == ("serde", "1.0.200", "file")
    assert crate.fixed_output == FixedOutput(
        method="flat",
        algo="sha256",
        hash_hex=SHA,
        urls=(CRATE_URL, "https://mirror.example.org/serde.crate"),
        rev="v1",
    )
    assert crate.purl == "pkg:cargo/serde@1.0.200"  # the registry the download names, not pkg:nix
    assert crate.hashes == (Hash("SHA-256", SHA),)  # a flat download's hash can be checked on the file
    # a source of one package with one licence: concluded to be under it, saying where from
    assert crate.licenses == (License(expression="MIT", acknowledgement="concluded"),)
    assert crate.license_from == APP
    lib = {c.ref: c for c in components}[LIB]
    assert (lib.name, lib.version, lib.kind, lib.purl, lib.fixed_output, lib.hashes) == (
        "lib", "2.0", "library", "pkg:nix/lib@2.0", None, ()
    )  # fmt: skip


def test_runtime_paths_and_built_outputs_in_a_buildtime_closure(graph: dict[str, Derivation]) -> None:
    app = graph[p("app-1.0.drv")]
    runtime = {APP: info(APP, LIB, BUILDER), LIB: info(LIB), BUILDER: info(BUILDER)}
    built = {CRATE: info(CRATE, size=77)}
    root, components, _ = _Assembler(graph, {}, runtime, None, built=built).buildtime(app.path, {})
    by_ref = {c.ref: c for c in components}
    assert by_ref[BUILDER].closures == ("buildtime", "runtime")  # a source copied into the output
    assert root.closures == ("buildtime", "runtime") and by_ref[LIB].closures == ("buildtime", "runtime")
    assert by_ref[CRATE].closures == ("buildtime",)
    assert (by_ref[CRATE].nar_size, by_ref[LIB].nar_size, root.nar_size) == (77, 10, 10)
    assert by_ref[BUILDER].nar_size is None  # no path info of the sources given: no invented facts


def test_a_source_shared_by_differently_licensed_packages_is_not_concluded() -> None:
    src = drv("shared-src-1.0.tar.gz", fod=("flat", "sha256", SHA))
    a = drv("a-1.0", inputs=("shared-src-1.0.tar.gz",), env={"src": p("shared-src-1.0.tar.gz")})
    b = drv(
        "b-1.0", inputs=("shared-src-1.0.tar.gz",), env={"srcs": f"{p('shared-src-1.0.tar.gz')} {p('x')}"}
    )
    root = drv("root-1.0", inputs=("a-1.0", "b-1.0"))
    graph = {d.path: d for d in (src, a, b, root)}
    mit, gpl = meta(a, licenses=MIT), meta(b, licenses=(MetaLicense("GPL-3.0-only"),))
    _, components, _ = _Assembler(graph, {a.path: mit, b.path: gpl}, {}, None).buildtime(root.path, {})
    assert {c.ref: c for c in components}[src.outputs[0].path].licenses == ()
    # a consumer declaring no licence says nothing about its source
    _, components, _ = _Assembler(graph, {b.path: gpl}, {}, None).buildtime(root.path, {})
    shared = {c.ref: c for c in components}[src.outputs[0].path]
    assert (shared.licenses, shared.license_from) == (
        (License(expression="GPL-3.0-only", acknowledgement="concluded"),),
        b.outputs[0].path,
    )
    _, components, _ = _Assembler(graph, {}, {}, None).buildtime(root.path, {})
    shared = {c.ref: c for c in components}[src.outputs[0].path]
    assert (shared.licenses, shared.license_from) == ((), None)
    # the same licence from both: concluded (from the first consumer seen)
    same = {a.path: mit, b.path: meta(b, licenses=MIT)}
    _, components, _ = _Assembler(graph, same, {}, None).buildtime(root.path, {})
    shared = {c.ref: c for c in components}[src.outputs[0].path]
    assert shared.licenses == (License(expression="MIT", acknowledgement="concluded"),)
    assert shared.license_from == a.outputs[0].path


def test_no_licence_is_concluded_for_a_package_or_a_licensed_source() -> None:
    lic_src = drv("own-src-1.0.tar.gz", fod=("flat", "sha256", SHA))
    lib = drv("lib-1.0")
    root = drv("root-1.0", inputs=("own-src-1.0.tar.gz", "lib-1.0"),
               env={"srcs": f"{lic_src.outputs[0].path} {lib.outputs[0].path}"})  # fmt: skip
    graph = {d.path: d for d in (lic_src, lib, root)}
    m = {
        root.path: meta(root, licenses=MIT),
        lic_src.path: meta(lic_src, licenses=(MetaLicense("BSD-3-Clause"),)),
    }
    _, components, _ = _Assembler(graph, m, {}, None).buildtime(root.path, {})
    by_ref = {c.ref: c for c in components}
    assert by_ref[lic_src.outputs[0].path].licenses == (
        License(expression="BSD-3-Clause", acknowledgement="declared"),
    )
    assert by_ref[lib.outputs[0].path].licenses == ()  # a package (not a file) is never concluded


# --- runtime --------------------------------------------------------------------------------------------


def test_the_runtime_closure_is_the_path_info_graph(graph: dict[str, Derivation]) -> None:
    app = graph[p("app-1.0.drv")]
    orphan = p("orphan-3.1")
    infos = {
        APP: info(APP, APP, LIB, orphan, deriver=app.path),  # a self-reference is not a dependency
        APP_DEV: info(APP_DEV, APP),
        LIB: info(LIB, LIB),
        orphan: info(orphan, deriver=p("gone-3.1.drv")),
    }
    checks = (OutputCheck(APP, True, None), OutputCheck(LIB, False, "differs"))
    a = _Assembler(graph, {}, infos, checks)
    root, components, deps = a.runtime(app.path, {"dev": APP_DEV, "out": APP})
    assert (root.ref, root.kind, root.closures, root.reproducible) == (APP, "application", ("runtime",), True)
    assert (root.deriver, root.nar_size, root.name, root.drv_path) == (app.path, 10, "app", app.path)
    assert [c.ref for c in components] == sorted([APP_DEV, LIB, orphan])
    assert deps == {APP: tuple(sorted([APP_DEV, LIB, orphan])), APP_DEV: (APP,), LIB: (), orphan: ()}
    by_ref = {c.ref: c for c in components}
    assert by_ref[LIB].reproducible is False and by_ref[APP_DEV].reproducible is None
    assert all(c.closures == ("runtime",) for c in components)
    assert (by_ref[LIB].nar_size, by_ref[LIB].nar_hash, by_ref[LIB].deriver) == (
        10,
        "sha256:" + "1" * 52,
        None,
    )
    assert by_ref[APP_DEV].drv_path == app.path and by_ref[APP_DEV].outputs == ("out", "dev")
    assert (by_ref[orphan].name, by_ref[orphan].version, by_ref[orphan].kind) == ("orphan", "3.1", "file")
    assert by_ref[orphan].deriver == p("gone-3.1.drv") and by_ref[orphan].nar_hash == "sha256:" + "1" * 52


def test_the_runtime_root_without_an_out_output() -> None:
    d = drv("tool-1.0", outputs=("bin", "lib"))
    bin_, lib = d.outputs[0].path, d.outputs[1].path
    assert bin_ is not None and lib is not None
    infos = {bin_: info(bin_, lib), lib: info(lib)}
    root, components, deps = _Assembler({d.path: d}, {}, infos, None).runtime(
        d.path, {"lib": lib, "bin": bin_}
    )
    assert root.ref == bin_ and [c.ref for c in components] == [lib] and deps[bin_] == (lib,)


def test_a_root_path_with_no_known_derivation() -> None:
    path = p("blob-1.0")
    o = Origins(own=Party(name="octo"))
    root, _, deps = _Assembler({}, {}, {path: info(path)}, None, o).runtime(None, {"out": path})
    assert (root.kind, root.name, root.supplier, deps) == (
        "application",
        "blob",
        Party(name="octo"),
        {path: ()},
    )
    assert root.purl == "pkg:nix/blob@1.0" and root.drv_path is None


# --- one component ----------------------------------------------------------------------------------------


def _one(d: Derivation, m: PackageMeta | None = None, **kw: Any) -> Any:
    a = _Assembler({d.path: d}, {d.path: m} if m else {}, {}, None, kw.pop("where", None))
    ref = kw.pop("ref", None) or _Assembler.drv_ref(d)
    return a.from_drv(d, ref=ref, closures=("buildtime",), **kw)


def test_name_and_version_precedence() -> None:
    d = drv("hello-2.12.1", env={"pname": "hello-env", "version": "2.12.1-env"})
    assert (_one(d).name, _one(d).version) == ("hello-env", "2.12.1-env")  # the derivation's attributes
    both = meta(d, pname="hello", version="2.12.1")
    assert (_one(d, both).name, _one(d, both).version) == ("hello", "2.12.1")  # the metadata first
    only_name = meta(d, pname="hello-meta")
    assert (_one(d, only_name).name, _one(d, only_name).version) == ("hello-meta", "2.12.1-env")
    no_version = drv("hello-2.12.1", env={"pname": "hello-env"})
    assert (_one(no_version).name, _one(no_version).version) == ("hello-env", "2.12.1")
    bare = drv("hello-2.12.1")
    assert (_one(bare).name, _one(bare).version) == ("hello", "2.12.1")  # parsed from the name
    assert (_one(bare, meta(bare, version="9")).name, _one(bare, meta(bare, version="9")).version) == (
        "hello",
        "9",
    )
    hostile = drv("x-1.0", env={"pname": "evil\nname" + "x" * 300})
    name = _one(hostile).name
    assert "\n" not in name and len(name) == gen.MAX_NAME and name.endswith("…")


def test_fields_from_the_metadata() -> None:
    d = drv("hello-2.12.1", system="aarch64-darwin")
    m = meta(
        d, pname="hello", version="2.12.1", description="says hello", homepage="https://example.org",
        licenses=(MetaLicense("GPL-3.0-or-later"), MetaLicense("MIT"), MetaLicense("MIT")),
        purl="pkg:generic/hello@2.12.1", cpe="cpe:2.3:a:gnu:hello:2.12.1:*:*:*:*:*:*:*",
        known_vulnerabilities=("CVE-2099-1",), position="/nix/store/x-src/pkgs/hello.nix:3",
        maintainers=(Maintainer("Ann", "ann@example.org"),),
    )  # fmt: skip
    c = _one(d, m)
    assert (c.description, c.homepage, c.purl, c.known_vulnerabilities) == (
        "says hello", "https://example.org", "pkg:generic/hello@2.12.1", ("CVE-2099-1",)
    )  # fmt: skip
    assert c.licenses == (License(expression="GPL-3.0-or-later AND MIT", acknowledgement="declared"),)
    assert (c.cpe, c.cpe_source) == ("cpe:2.3:a:gnu:hello:2.12.1:*:*:*:*:*:*:*", "meta")
    assert (c.system, c.metadata_found, c.outputs, c.kind) == ("aarch64-darwin", True, ("out",), "library")
    assert c.supplier == Party(contacts=(Party(name="Ann", email="ann@example.org"),))
    assert _one(d, meta(d, purl="not a purl")).purl == "pkg:nix/hello@2.12.1"
    assert _one(d, meta(d, has_meta=False)).metadata_found is False and _one(d).metadata_found is False
    assert _one(drv("x-1", system="")).system is None


def test_suppliers_by_where_the_package_is_defined() -> None:
    d = drv("hello-2.12.1")
    where = Origins(own=Party(name="octo"), sources=(("/nix/store/x-nixpkgs/", Party(name="NixOS")),))
    inside = meta(d, position="/nix/store/x-nixpkgs/pkgs/hello.nix:3")
    assert _one(d, inside, where=where).supplier == Party(name="NixOS")
    assert _one(d, meta(d, position="/elsewhere.nix:1"), where=where).supplier is None
    assert _one(d, inside, where=where, kind="application").supplier == Party(name="octo")  # the root


def test_a_fixed_output_download() -> None:
    urls = " ".join(f"https://example.org/{i}/src-1.0.tar.gz" for i in range(25))
    d = drv("src-1.0.tar.gz", fod=("flat", "sha512", "cd" * 64), env={"url": urls})
    c = _one(d)
    assert c.fixed_output is not None and len(c.fixed_output.urls) == gen.MAX_URLS
    assert c.fixed_output.urls[0] == "https://example.org/0/src-1.0.tar.gz"
    assert (c.kind, c.hashes, c.fixed_output.rev) == ("file", (Hash("SHA-512", "cd" * 64),), None)
    bad = drv("src-1.0.tar.gz", fod=("flat", "sha256", SHA), env={"urls": "::: not-a-url"})
    assert _one(bad).fixed_output.urls == ()  # type: ignore[union-attr]
    nar = drv("vendor-1.0", fod=("nar", "sha256", SHA))
    assert _one(nar).hashes == () and _one(nar).fixed_output.method == "nar"  # type: ignore[union-attr]
    no_method = drv("f-1.0", fod=("", "md5", "ab" * 16))
    assert _one(no_method).fixed_output.method == "flat"  # type: ignore[union-attr]
    assert _one(no_method).hashes == (Hash("MD5", "ab" * 16),)
    unknown_alg = drv("g-1.0", fod=("flat", "blake3", "ab" * 32))
    assert _one(unknown_alg).hashes == ()
    git = drv(
        "repo-src",
        fod=("nar", "sha256", SHA),
        env={"url": "https://github.com/octo/widgets.git", "rev": "abc123"},
    )
    assert _one(git).purl == "pkg:github/octo/widgets@abc123"


def test_a_derivation_without_outputs_is_named_by_its_drv() -> None:
    d = Derivation(
        path=p("odd-1.0.drv"), name="odd-1.0", system="x", outputs=(), input_drvs={}, input_srcs=(), env={}
    )
    c = _one(d, ref=d.path)
    assert (c.ref, c.store_path, c.outputs) == (d.path, d.path, ())
    assert _Assembler.drv_ref(d) == d.path
    deferred = Derivation(path=p("ca-1.0.drv"), name="ca-1.0", system="x", outputs=(DrvOutput("out", None),),
                          input_drvs={}, input_srcs=(), env={})  # fmt: skip
    assert _Assembler.drv_ref(deferred) == deferred.path


def test_patches_name_the_cves_they_fix() -> None:
    fetched = drv("fix.patch", fod=("flat", "sha256", SHA),
                  env={"url": "https://example.org/patches/CVE-2024-0002.patch"})  # fmt: skip
    local = p("CVE-2024-0001.patch")
    d = drv("openssl-3.0", env={"patches": f"{local} {fetched.outputs[0].path} {p('tidy.patch')}"})
    a = _Assembler({d.path: d, fetched.path: fetched}, {}, {}, None)
    assert a.patches(d) == (
        Patch(name="CVE-2024-0001.patch", path=local, resolves=("CVE-2024-0001",)),
        Patch(name="fix.patch", path=fetched.outputs[0].path or "", resolves=("CVE-2024-0002",)),
        Patch(name="tidy.patch", path=p("tidy.patch"), resolves=()),
    )
    mirrors = "https://example.org/p/CVE-2024-0003.patch https://m.example.org/x.patch"
    by_urls = drv("fix2.patch", fod=("flat", "sha256", SHA), env={"urls": mirrors})
    d2 = drv("openssl-3.1", env={"patches": str(by_urls.outputs[0].path)})
    a2 = _Assembler({d2.path: d2, by_urls.path: by_urls}, {}, {}, None)
    assert a2.patches(d2)[0].resolves == ("CVE-2024-0003",)
    assert a.patches(drv("plain-1.0")) == ()
    assert a.from_drv(d, ref=_Assembler.drv_ref(d), closures=("buildtime",)).patches == a.patches(d)
    many = drv("big-1.0", env={"patches": " ".join(p(f"{i}.patch") for i in range(gen.MAX_PATCHES + 5))})
    assert len(a.patches(many)) == gen.MAX_PATCHES


def test_file_hashes_of_a_present_single_file(tmp_path: Path) -> None:
    f = tmp_path / "x"
    f.write_bytes(b"data")
    sha256, sha512 = hashlib.sha256(b"data").hexdigest(), hashlib.sha512(b"data").hexdigest()
    assert gen._hashes(str(f), None) == (Hash("SHA-256", sha256), Hash("SHA-512", sha512))
    declared = FixedOutput(method="flat", algo="sha256", hash_hex="ee" * 32)
    # the declared hash is the one stated when both exist (it is what the download was checked against)
    assert gen._hashes(str(f), declared) == (Hash("SHA-256", "ee" * 32), Hash("SHA-512", sha512))
    sha1 = FixedOutput(method="flat", algo="sha1", hash_hex="aa" * 20)
    assert gen._hashes(str(f), sha1) == (
        Hash("SHA-1", "aa" * 20),
        Hash("SHA-256", sha256),
        Hash("SHA-512", sha512),
    )
    assert gen._hashes(None, None) == () and gen._hashes(str(tmp_path), None) == ()
    assert gen._hashes(None, FixedOutput(method="flat", algo="sha256", hash_hex="")) == ()


def test_a_present_output_is_hashed_in_the_component(tmp_path: Path) -> None:
    f = tmp_path / "tool"
    f.write_bytes(b"#!/bin/sh\n")
    digest = hashlib.sha256(b"#!/bin/sh\n").hexdigest()
    d = Derivation(path=p("tool-1.0.drv"), name="tool-1.0", system="x", outputs=(DrvOutput("out", str(f)),),
                   input_drvs={}, input_srcs=(), env={})  # fmt: skip
    c = _Assembler({d.path: d}, {}, {str(f): info(str(f))}, None).for_path(str(f), ("runtime",))
    assert (c.name, c.version, c.sha256) == ("tool", "1.0", digest)  # a built single-file output
    assert _Assembler({d.path: d}, {}, {}, None).for_path(str(f), ("runtime",)).hashes == ()  # not present
    c = _Assembler({}, {}, {str(f): info(str(f))}, None).for_path(str(f), ("runtime",))
    assert c.sha256 == digest  # a path no derivation is known for
    assert _Assembler({}, {}, {}, None).for_path(str(f), ("runtime",)).hashes == ()


# --- small helpers ----------------------------------------------------------------------------------------


def test_main_output_first() -> None:
    assert gen._main_first({}) == ()
    assert gen._main_first({"dev": "/d", "out": "/o", "bin": "/b"}) == ("/o", "/b", "/d")
    assert gen._main_first({"lib": "/l", "bin": "/b"}) == ("/b", "/l")


def test_default_closure() -> None:
    flake = parse_installable(".#app")
    store = parse_installable(p("hello-2.12.1"))
    assert default_closure(flake, True) == "runtime" and default_closure(flake, False) == "buildtime"
    assert default_closure(store, False) == "runtime"


def test_licences_declared_once_each() -> None:
    d = drv("x-1")
    m = meta(
        d, licenses=(MetaLicense("MIT"), MetaLicense(None, full_name="Unknown thing"), MetaLicense("MIT"))
    )
    assert gen._licenses(m) == gen._licenses(m)
    assert [lic.acknowledgement for lic in gen._licenses(m)] == ["declared"] * len(gen._licenses(m))
    assert "MIT AND MIT" not in str(gen._licenses(m))


# --- the generator: refused requests, the sources' path info, failures that only cost suppliers -------


class NoNix(Nix):
    """Any call to Nix is a test failure."""

    def __init__(self) -> None:
        super().__init__(binary="/nonexistent/nix", quiet=True)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"build": False, "check_reproducible": True}, "--check-reproducible needs a build; drop --no-build"),
        ({"build": False, "closure": "runtime"},
         "a runtime closure needs a build: drop --no-build or use --closure buildtime"),
    ],
)  # fmt: skip
def test_requests_refused_before_nix_runs(kw: dict[str, Any], message: str) -> None:
    req = SbomRequest(installable=parse_installable(".#app"), **kw)
    with pytest.raises(UsageError) as info_:
        SbomGenerator(NoNix()).generate(req)
    assert str(info_.value) == message


def test_sources_referring_to_sources_are_followed(monkeypatch: pytest.MonkeyPatch) -> None:
    """``builtins.toFile`` text naming another source: Nix puts both into the build; path info is asked
    for what is still missing until nothing is, in chunks of at most 500 paths."""
    refs = {BUILDER: (HELPER,), HELPER: (p("deep"),), p("deep"): (BUILDER,)}
    asked: list[list[str]] = []

    def path_info(nix: Nix, paths: list[str], recursive: bool = False) -> dict[str, PathInfo]:
        asked.append(list(paths))
        return {x: info(x, *refs.get(x, ())) for x in paths}

    monkeypatch.setattr(gen.nixbuild, "path_info", path_info)
    d = drv("lib-2.0", srcs=(BUILDER,))
    got = SbomGenerator(NoNix())._source_infos({d.path: d})
    assert set(got) == {BUILDER, HELPER, p("deep")} and asked == [[BUILDER], [HELPER], [p("deep")]]
    asked.clear()
    many = [p(f"s{i}") for i in range(1001)]
    assert len(SbomGenerator(NoNix())._infos(sorted(many))) == 1001
    assert [len(a) for a in asked] == [500, 500, 1]


def test_only_outputs_present_in_the_store_get_path_info(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    asked: list[list[str]] = []
    monkeypatch.setattr(
        gen.nixbuild, "path_info", lambda nix, paths, recursive=False: asked.append(paths) or {}
    )
    here = tmp_path / "present"
    here.write_text("x")
    d = Derivation(path=p("a.drv"), name="a", system="x", outputs=(DrvOutput("out", str(here)),
                   DrvOutput("dev", str(tmp_path / "absent")), DrvOutput("ca", None)), input_drvs={},
                   input_srcs=(), env={})  # fmt: skip
    SbomGenerator(NoNix())._present_outputs({d.path: d})
    assert asked == [[str(here)]]


def test_unknown_flake_input_paths_cost_only_suppliers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(nix: Nix, ref: str) -> dict[tuple[str, ...], str]:
        raise NixError("flake archive failed")

    monkeypatch.setattr(gen, "flake_source_paths", broken)
    assert SbomGenerator(Nix(binary="/nonexistent/nix", quiet=False))._source_paths(".") is None
    assert capsys.readouterr().err == "nix-attest: suppliers of flake inputs unknown: flake archive failed\n"
    assert SbomGenerator(NoNix())._source_paths(".") is None
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(gen, "flake_source_paths", lambda nix, ref: (_ for _ in ()).throw(InputError("bad")))
    assert SbomGenerator(NoNix())._source_paths(".") is None


def test_the_request_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[SbomRequest] = []
    monkeypatch.setattr(SbomGenerator, "generate", lambda self, req: seen.append(req) or "made")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_REPOSITORY", "octo/widgets")
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    assert gen.generate(".#app", closure="buildtime", build=False, with_buildtime=True, nix=NoNix()) == "made"
    req = seen[-1]
    assert (req.installable.describe(), req.closure, req.build, req.with_buildtime) == (
        ".#app",
        "buildtime",
        False,
        True,
    )
    assert req.timestamp == "2023-11-14T22:13:20Z" and req.check_reproducible is False
    assert req.owner == Party(name="octo", url="https://github.com/octo/widgets")  # supplies its packages
    assert req.author == Party(name="octo", url="https://github.com/octo")  # the SBOM is by the owner
    gen.generate(".#app", author=Party(name="Ann"), nix=NoNix())
    assert seen[-1].author == Party(name="Ann") and seen[-1].owner == req.owner
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(UsageError):
        gen.generate(".#app", nix=NoNix())


def test_cpes_from_the_metadata_or_made_up() -> None:
    d = drv("frobnicator-2.0")
    c = _one(d)
    assert (c.cpe, c.cpe_source, c.cpe_candidates) == (
        "cpe:2.3:a:*:frobnicator:2.0:*:*:*:*:*:*:*",
        "heuristic",
        (),
    )
    possible = (
        "cpe:2.3:a:frob:frobnicator:2.0:*:*:*:*:*:*:*",
        "cpe:2.3:a:other:frobnicator:2.0:*:*:*:*:*:*:*",
    )
    c = _one(d, meta(d, possible_cpes=possible))
    assert (c.cpe, c.cpe_source, c.cpe_candidates) == (possible[0], "possible", possible[1:])
    c = _one(d, meta(d, cpe_parts=("a", "Frob", "Frobnicator")))
    assert (c.cpe, c.cpe_source) == ("cpe:2.3:a:frob:frobnicator:2.0:*:*:*:*:*:*:*", "meta")
    # a downloaded source is identified by its URL, not by a CPE made from its name
    src = drv("frobnicator-2.0.tar.gz", fod=("flat", "sha256", SHA))
    assert _one(src).cpe is None
    assert _one(drv("frobnicator")).cpe is None  # no version: nothing could match


def test_paths_found_by_their_deriver() -> None:
    """A runtime path that is no listed output of its deriver (Nix printed the graph of another
    output set) is still that derivation's component."""
    d = drv("lib-2.0")
    odd = p("lib-2.0-extra")
    c = _Assembler({d.path: d}, {}, {odd: info(odd, deriver=d.path)}, None).for_path(odd, ("runtime",))
    assert (c.name, c.version, c.drv_path, c.nar_size) == ("lib", "2.0", d.path, 10)
    unknown = _Assembler({}, {}, {odd: info(odd, deriver=p("gone.drv"))}, None).for_path(odd, ("runtime",))
    assert (unknown.name, unknown.drv_path, unknown.closures) == ("lib", None, ("runtime",))


def test_every_package_is_the_owners_when_the_flake_defines_all() -> None:
    own = Origins(own=Party(name="octo"), everything_own=True)
    path = p("blob-1.0")
    c = _Assembler({}, {}, {path: info(path)}, None, own).for_path(path, ("runtime",))
    assert c.supplier == Party(name="octo")


def test_generate_sbom_passes_every_option(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[tuple[SbomRequest, Nix]] = []

    class Made:
        sbom = "the sbom"

    def fake(self: SbomGenerator, req: SbomRequest) -> Made:
        seen.append((req, self.nix))
        return Made()

    monkeypatch.setattr(SbomGenerator, "generate", fake)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    ann = Party(name="Ann")
    f = tmp_path / "default.nix"
    f.write_text("{}")
    made = gen.generate_sbom(
        None, file=str(f), attr="app", closure="buildtime", build=False, check_reproducible=True, author=ann
    )
    assert made == "the sbom"
    req, nix = seen[-1]
    assert (req.installable.describe(), req.closure, req.build, req.check_reproducible, req.author) == (
        f"-f {f} -A app", "buildtime", False, True, ann
    )  # fmt: skip
    assert nix.quiet is False
    gen.generate_sbom(".#app", quiet=True)
    assert seen[-1][1].quiet is True and seen[-1][0].check_reproducible is False
    gen.generate(".#app", check_reproducible=True, quiet=True)
    assert seen[-1][0].check_reproducible is True and seen[-1][1].quiet is True
    gen.generate(".#app")
    assert seen[-1][1].quiet is False


def test_the_flake_inputs_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    nix = NoNix()
    monkeypatch.setattr(gen, "flake_source_paths", lambda n, ref: {("input",): f"{ref} by {n is nix}"})
    assert SbomGenerator(nix)._source_paths("github:octo/widgets") == {
        ("input",): "github:octo/widgets by True"
    }


def test_script_urls_from_a_hostile_derivation_stay_out_of_the_sbom() -> None:
    """A pull request's fixed-output derivation can set any `urls`; SBOM consumers (Dependency-Track,
    SPDX viewers) render download locations as links, so a script or inline-data URL must not get in.
    Schemes Nix's fetchers use stay."""
    hostile = [
        "javascript:alert(1)",
        "JavaScript://x.org/%0Aalert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
    ]
    kept = [
        "mirror://gnu/hello/hello-2.12.tar.gz",
        "git+https://example.org/r.git",
        "ftp://ftp.example.org/a.tgz",
    ]
    d = drv("src-1.0.tar.gz", fod=("flat", "sha256", SHA), env={"urls": " ".join(hostile + kept)})
    assert _one(d).fixed_output.urls == tuple(kept)  # type: ignore[union-attr]
