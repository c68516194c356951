"""From an installable to an :class:`Sbom`: evaluate once, build (optionally), read the graph from
Nix (`derivation show -r` for buildtime, `path-info -r` for runtime), attach metadata."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from .. import __version__
from ..errors import InputError, NixError, UsageError
from ..gcpause import without_gc
from ..nix import build as nixbuild
from ..nix.derivations import show_derivations, show_derivations_of
from ..nix.drv import Derivation
from ..nix.flake import flake_metadata, flake_source_paths
from ..nix.installable import Installable, parse_installable
from ..nix.meta import MAX_NAME, MetaLicense, PackageMeta, evaluate
from ..nix.names import parse_package_name, store_path_name
from ..nix.pathinfo import PathInfo
from ..nix.runner import Nix
from ..untrusted import any_url, one_line
from ..vuln.identify import choose_cpe, cve_ids, ecosystem_purl
from .filehash import file_hashes
from .licenses import combine, make_license
from .model import (
    Closure,
    Component,
    ComponentKind,
    FixedOutput,
    FlakeInfo,
    Hash,
    License,
    OutputCheck,
    Party,
    Patch,
    Sbom,
    SbomMeta,
)
from .purl import nix_purl, valid_purl
from .supplier import Origins, default_author, github_owner, origins
from .timestamp import document_timestamp, source_date_epoch

__all__ = ["Generated", "SbomGenerator", "SbomRequest", "generate", "generate_sbom", "source_date_epoch"]

_CDX_ALG = {"sha256": "SHA-256", "sha512": "SHA-512", "sha1": "SHA-1", "md5": "MD5"}
_CHUNK = 500  # store paths per `nix path-info` call (stays far below ARG_MAX)
MAX_PATCHES = 200  # per derivation (the flake is untrusted)
MAX_URLS = 20  # download URLs of a fixed-output derivation


@dataclass(frozen=True, slots=True)
class SbomRequest:
    installable: Installable
    closure: Closure | None = None
    build: bool = True
    check_reproducible: bool = False
    timestamp: str | None = None  # ISO 8601, from SOURCE_DATE_EPOCH (else see sbom.timestamp)
    with_buildtime: bool = False  # also the evaluation-only buildtime SBOM (for a runtime request)
    author: Party | None = None  # who the SBOM is by (--author, else the GitHub repository owner)
    owner: Party | None = None  # who supplies the repository's own packages (repository owner)


@dataclass(frozen=True)
class Generated:
    """What one run of the generator gives: the SBOM, the output paths it built (main output first;
    empty when nothing was built) and, when asked for beside a runtime SBOM, the buildtime SBOM that
    ``--no-build`` would give, assembled from the same evaluation instead of a second one."""

    sbom: Sbom
    outputs: tuple[str, ...] = ()
    buildtime: Sbom | None = None


def default_closure(installable: Installable, build: bool) -> Closure:
    """``runtime`` when the installable is built (or already a store path), ``buildtime`` otherwise."""
    return "runtime" if build or installable.kind == "store-path" else "buildtime"


def generate_sbom(
    installable: str | Installable | None,
    *,
    file: str | None = None,
    attr: str | None = None,
    closure: Closure | None = None,
    build: bool = True,
    check_reproducible: bool = False,
    quiet: bool = False,
    nix: Nix | None = None,
    author: Party | None = None,
) -> Sbom:
    return generate(
        installable,
        file=file,
        attr=attr,
        closure=closure,
        build=build,
        check_reproducible=check_reproducible,
        quiet=quiet,
        nix=nix,
        author=author,
    ).sbom


def generate(
    installable: str | Installable | None,
    *,
    file: str | None = None,
    attr: str | None = None,
    closure: Closure | None = None,
    build: bool = True,
    check_reproducible: bool = False,
    with_buildtime: bool = False,
    quiet: bool = False,
    nix: Nix | None = None,
    author: Party | None = None,
) -> Generated:
    """Like :func:`generate_sbom`, with the built outputs and (``with_buildtime``) the buildtime SBOM.
    ``author`` defaults, on GitHub Actions, to the repository owner."""
    env = os.environ
    on_github = github_owner(env)
    request = SbomRequest(
        installable=installable
        if isinstance(installable, Installable)
        else parse_installable(installable, file=file, attr=attr),
        closure=closure,
        build=build,
        check_reproducible=check_reproducible,
        timestamp=source_date_epoch(env.get("SOURCE_DATE_EPOCH")),  # checked before any Nix call
        with_buildtime=with_buildtime,
        author=default_author(env, author),
        owner=on_github[1] if on_github else author,
    )
    return SbomGenerator(nix or Nix(quiet=quiet)).generate(request)


class SbomGenerator:
    def __init__(self, nix: Nix) -> None:
        self.nix = nix

    @without_gc  # Nix's JSON and the records made from it are millions of objects (see gcpause)
    def generate(self, req: SbomRequest) -> Generated:
        inst = req.installable
        closure = req.closure or default_closure(inst, req.build)
        if req.check_reproducible and not req.build:
            raise UsageError("--check-reproducible needs a build; drop --no-build")
        if closure == "runtime" and not req.build and inst.kind != "store-path":
            raise UsageError("a runtime closure needs a build: drop --no-build or use --closure buildtime")

        meta: dict[str, PackageMeta] = {}
        drv_path: str | None = None
        graph: Future[dict[str, Derivation]] | None = None
        flake: Future[FlakeInfo] | None = None
        _ = self.nix.version  # detect the CLI once, before the threads use it
        with ThreadPoolExecutor(max_workers=2) as pool:
            if inst.flake_ref:
                flake = pool.submit(flake_metadata, self.nix, inst.flake_ref)
            if inst.evaluable:
                # Nix prints the build graph while the metadata evaluation runs (2 cores, ~30% faster)
                args = self.nix.installable_args(inst)  # checked before either thread runs Nix
                graph = pool.submit(show_derivations_of, self.nix, args, inst.describe())
                result = evaluate(self.nix, inst)
                drv_path, meta = result.drv_path, result.packages
            elif inst.kind == "drv":
                if not Path(inst.text).exists():
                    raise InputError(f"derivation not found: {inst.text}")
                drv_path = inst.text
            else:  # store path: it must be valid; its deriver gives the build graph when present
                deriver = nixbuild.path_info(self.nix, [inst.text])[inst.text].deriver
                drv_path = deriver if deriver and Path(deriver).exists() else None
                if drv_path is None and req.check_reproducible:
                    raise UsageError(f"cannot rebuild {inst.text}: its deriver is unknown")
            drvs = graph.result() if graph else show_derivations(self.nix, drv_path) if drv_path else {}
            flake_info = flake.result() if flake else None
        source_paths = (
            self._source_paths(inst.flake_ref)
            if inst.flake_ref and flake_info and flake_info.lock_tree
            else None
        )
        where = origins(flake=flake_info, kind=inst.kind, owner=req.owner, source_paths=source_paths)
        timestamp, timestamp_source = document_timestamp(req.timestamp, flake_info, inst)
        if drv_path and drv_path not in drvs:
            raise InputError(f"nix derivation show did not list {drv_path}")

        outputs: dict[str, str] = {}
        if inst.kind == "store-path":
            outputs = {"out": inst.text}
        elif req.build:
            assert drv_path is not None
            for res in nixbuild.build(self.nix, inst, drv_path=drv_path):
                outputs.update(res.outputs)

        runtime_infos = (
            nixbuild.path_info(self.nix, sorted(set(outputs.values())), recursive=True) if outputs else {}
        )
        checks: tuple[OutputCheck, ...] | None = None
        if req.check_reproducible and drv_path:
            checks = tuple(
                OutputCheck(r.path, r.reproducible, r.detail)
                for r in nixbuild.rebuild(self.nix, drv_path, sorted(set(outputs.values())))
            )

        # what was built (or substituted) for a buildtime closure: its outputs can be hashed too
        built = self._present_outputs(drvs) if closure == "buildtime" and req.build else {}
        root_drv = drvs.get(drv_path) if drv_path else None
        sbom_meta = SbomMeta(
            installable=inst.describe(),
            closure=closure,
            tool_version=__version__,
            nix_version=self.nix.version.text,
            system=root_drv.system if root_drv else None,
            flake=flake_info,
            timestamp=timestamp,
            timestamp_source=timestamp_source,
            reproducibility=checks,
            authors=(req.author,) if req.author else (),
        )
        assembler = _Assembler(drvs, meta, runtime_infos, checks, where, built)
        if closure == "runtime":
            root, components, deps = assembler.runtime(drv_path, outputs)
        else:
            assert drv_path is not None, "buildtime closure needs a derivation"
            root, components, deps = assembler.buildtime(drv_path, self._source_infos(drvs))
        sbom = Sbom(root=root, components=components, dependencies=deps, meta=sbom_meta)

        buildtime = None
        if req.with_buildtime and closure == "runtime" and drv_path:
            # exactly what an evaluation-only (--no-build) run gives: no runtime facts, no rebuild
            bt_root, bt_components, bt_deps = _Assembler(drvs, meta, {}, None, where).buildtime(
                drv_path, self._source_infos(drvs)
            )
            bt_meta = replace(sbom_meta, closure="buildtime", reproducibility=None)
            buildtime = Sbom(root=bt_root, components=bt_components, dependencies=bt_deps, meta=bt_meta)
        return Generated(sbom=sbom, outputs=_main_first(outputs), buildtime=buildtime)

    def _source_paths(self, flake_ref: str) -> dict[tuple[str, ...], str] | None:
        """Where the flake and its inputs are in the store, for attributing suppliers; a failure only
        leaves suppliers unknown (they are not worth failing the SBOM for)."""
        try:
            return flake_source_paths(self.nix, flake_ref)
        except (NixError, InputError) as exc:
            if not self.nix.quiet:
                sys.stderr.write(f"nix-attest: suppliers of flake inputs unknown: {exc}\n")
            return None

    def _source_infos(self, drvs: dict[str, Derivation]) -> dict[str, PathInfo]:
        """Path info of the derivations' sources and of what those refer to: a source can refer to
        other sources (``builtins.toFile`` text naming another), which Nix puts into the build too
        although no derivation lists them (usually none, so no further call)."""
        infos = self._infos(sorted({s for d in drvs.values() for s in d.input_srcs}))
        asked = set(infos)
        while missing := {r for i in infos.values() for r in i.references} - asked:
            asked |= missing
            infos.update(self._infos(sorted(missing)))
        return infos

    def _present_outputs(self, drvs: dict[str, Derivation]) -> dict[str, PathInfo]:
        """Path info of every derivation output that is in the local store (a substituted build
        leaves out build-only dependencies; those keep their declared facts only)."""
        paths = sorted(
            {o.path for d in drvs.values() for o in d.outputs if o.path and os.path.lexists(o.path)}
        )
        return self._infos(paths)

    def _infos(self, paths: list[str]) -> dict[str, PathInfo]:
        infos: dict[str, PathInfo] = {}
        for i in range(0, len(paths), _CHUNK):
            infos.update(nixbuild.path_info(self.nix, paths[i : i + _CHUNK]))
        return infos


def _main_first(outputs: dict[str, str]) -> tuple[str, ...]:
    """The built output paths, the main output (``out``, else the first by name) first."""
    if not outputs:
        return ()
    main = outputs.get("out") or outputs[sorted(outputs)[0]]
    return (main, *sorted(set(outputs.values()) - {main}))


class _Assembler:
    """Turns Nix's graph and metadata into components and the exact dependency map."""

    def __init__(
        self,
        drvs: dict[str, Derivation],
        meta: dict[str, PackageMeta],
        runtime_infos: dict[str, PathInfo],
        checks: tuple[OutputCheck, ...] | None,
        where: Origins | None = None,
        built: dict[str, PathInfo] | None = None,
    ) -> None:
        self.drvs = drvs
        self.meta = meta
        self.infos = runtime_infos
        self.origins = where or Origins()
        self.built = built or {}  # buildtime outputs present in the store (not in the runtime closure)
        self.checks = {c.path: c.reproducible for c in checks or ()}
        self.out_to_drv: dict[str, Derivation] = {}
        for d in drvs.values():
            for o in d.outputs:
                if o.path:
                    self.out_to_drv[o.path] = d

    # --- one component ----------------------------------------------------------------------

    @staticmethod
    def drv_ref(d: Derivation) -> str:
        main = d.main_output
        return main.path if main and main.path else d.path

    def from_drv(
        self,
        d: Derivation,
        *,
        ref: str,
        closures: tuple[Closure, ...],
        kind: ComponentKind | None = None,
        info: PathInfo | None = None,
    ) -> Component:
        m = self.meta.get(d.path)
        # the metadata's, else the derivation's attributes (any text), else the name as Nix parses it,
        # cleaned up (that only when needed: it is a few regexes, for 20,000 components)
        name = (m.pname if m and m.pname else None) or one_line(d.env.get("pname"), MAX_NAME)
        version = (m.version if m and m.version else None) or one_line(d.env.get("version"), MAX_NAME)
        if not name or not version:
            parsed_name, parsed_version = parse_package_name(d.name)
            name = name or parsed_name
            version = version or parsed_version
        fod = d.fixed_output
        fixed = None
        if fod is not None and fod.hash_hex and fod.hash_algo:
            found = (any_url(u) for u in (d.env.get("urls") or d.env.get("url") or "").split()[:MAX_URLS])
            fixed = FixedOutput(
                method=fod.method or "flat",
                algo=fod.hash_algo,
                hash_hex=fod.hash_hex,
                urls=tuple(u for u in found if u),
                rev=one_line(d.env.get("rev"), MAX_NAME),
            )
        choice = choose_cpe(
            name,
            version,
            meta_cpe=m.cpe if m else None,
            possible=m.possible_cpes if m else (),
            parts=m.cpe_parts if m else (None, None, None),
            is_source=fixed is not None,
        )
        ecosystem = ecosystem_purl(fixed.urls, fixed.rev) if fixed else None
        hashes = _hashes(ref if info is not None else None, fixed)
        return Component(
            ref=ref,
            name=name,
            version=version,
            store_path=ref if not ref.endswith(".drv") else d.path,
            kind=kind or ("file" if fixed else "library"),
            purl=(valid_purl(m.purl) if m else None) or ecosystem or nix_purl(name, version),
            drv_path=d.path,
            closures=closures,
            description=m.description if m else None,
            homepage=m.homepage if m else None,
            licenses=_licenses(m) if m else (),
            cpe=choice.cpe if choice else None,
            cpe_source=choice.source if choice else None,
            cpe_candidates=choice.candidates if choice else (),
            patches=self.patches(d),
            known_vulnerabilities=m.known_vulnerabilities if m else (),
            supplier=self.origins.supplier(
                m.position if m else None, m.maintainers if m else (), root=kind == "application"
            ),
            hashes=hashes,
            nar_hash=info.nar_hash if info else None,
            nar_size=info.nar_size if info else None,
            deriver=info.deriver if info else None,
            fixed_output=fixed,
            metadata_found=bool(m and m.has_meta),
            reproducible=self.checks.get(ref),
            system=d.system or None,
            outputs=tuple(o.name for o in d.outputs),
        )

    def patches(self, d: Derivation) -> tuple[Patch, ...]:
        """The derivation's ``patches``, each with the CVE ids its file name (or, for a fetched patch,
        its URL) names: fixed by the derivation, whatever the upstream version says."""
        out = []
        for path in (d.env.get("patches") or "").split()[:MAX_PATCHES]:
            name = store_path_name(path)
            fetched = self.out_to_drv.get(path)
            urls = (fetched.env.get("urls") or fetched.env.get("url") or "").split() if fetched else []
            out.append(Patch(name=name, path=path, resolves=cve_ids(name, *urls)))
        return tuple(out)

    def from_path(self, path: str, info: PathInfo | None, closures: tuple[Closure, ...]) -> Component:
        """A store path no derivation in the graph produced (a source added to the store, or a path
        whose deriver is unknown)."""
        name, version = parse_package_name(store_path_name(path))
        return Component(
            ref=path,
            name=name,
            version=version,
            store_path=path,
            kind="file",
            purl=nix_purl(name, version),
            closures=closures,
            hashes=_hashes(path if info is not None else None, None),
            nar_hash=info.nar_hash if info else None,
            nar_size=info.nar_size if info else None,
            deriver=info.deriver if info else None,
            metadata_found=False,
            supplier=self.origins.supplier(None),
        )

    def for_path(
        self, path: str, closures: tuple[Closure, ...], kind: ComponentKind | None = None
    ) -> Component:
        info = self.infos.get(path)
        d = self.out_to_drv.get(path) or (self.drvs.get(info.deriver) if info and info.deriver else None)
        if d is not None:
            return self.from_drv(d, ref=path, closures=closures, kind=kind, info=info)
        c = self.from_path(path, info, closures)
        if kind == "application":  # the root: what the user asked for
            return replace(c, kind=kind, supplier=self.origins.supplier(None, root=True))
        return replace(c, kind=kind) if kind else c

    def _source_licences(
        self, refs: dict[str, str], components: dict[str, Component]
    ) -> dict[str, tuple[str, tuple[License, ...]]]:
        """Sources with no licence of their own (a fetched tarball) that are the ``src`` of packages
        declaring one licence: the source is concluded to be under that licence. A source several
        packages with different licences share gets none."""
        found: dict[str, dict[tuple[License, ...], str]] = {}
        for path, d in self.drvs.items():
            consumer = components.get(refs[path])
            if consumer is None or not consumer.licenses:
                continue
            for src in _consumers(d):
                target = components.get(src)
                if target is not None and not target.licenses and target.kind == "file":
                    found.setdefault(src, {}).setdefault(consumer.licenses, consumer.ref)
        out: dict[str, tuple[str, tuple[License, ...]]] = {}
        for src, options in found.items():
            if len(options) == 1:
                lics, origin = next(iter(options.items()))
                out[src] = (origin, tuple(replace(lic, acknowledgement="concluded") for lic in lics))
        return out

    # --- closures -----------------------------------------------------------------------------

    def runtime(
        self, drv_path: str | None, outputs: dict[str, str]
    ) -> tuple[Component, tuple[Component, ...], dict[str, tuple[str, ...]]]:
        main = outputs.get("out") or sorted(outputs.items())[0][1]
        root = self.for_path(main, ("runtime",), kind="application")
        deps: dict[str, tuple[str, ...]] = {}
        components = []
        for path in sorted(self.infos):
            info = self.infos[path]
            deps[path] = tuple(r for r in info.references if r != path)
            if path != main:
                components.append(self.for_path(path, ("runtime",)))
        # other outputs of the root derivation are part of what was built: the root depends on them
        extra = sorted(p for p in set(outputs.values()) if p != main)
        if extra:
            deps[main] = tuple(sorted(set(deps.get(main, ())) | set(extra)))
        return root, tuple(components), dict(sorted(deps.items()))

    def buildtime(
        self, drv_path: str, src_infos: dict[str, PathInfo]
    ) -> tuple[Component, tuple[Component, ...], dict[str, tuple[str, ...]]]:
        runtime_paths = set(self.infos)
        refs = {p: self.drv_ref(d) for p, d in self.drvs.items()}

        def closures_of(path: str) -> tuple[Closure, ...]:
            return ("buildtime", "runtime") if path in runtime_paths else ("buildtime",)

        components: dict[str, Component] = {}
        deps: dict[str, tuple[str, ...]] = {}
        root: Component | None = None
        for path, d in self.drvs.items():
            ref = refs[path]
            info = self.infos.get(ref) or self.built.get(ref)
            comp = self.from_drv(
                d,
                ref=ref,
                closures=closures_of(ref),
                info=info,
                kind="application" if path == drv_path else None,
            )
            if path == drv_path:
                root = comp
            else:
                components[ref] = comp
            deps[ref] = tuple(sorted({refs[i] for i in d.input_drvs if i in refs} | set(d.input_srcs)))
        for src in sorted({s for d in self.drvs.values() for s in d.input_srcs} | set(src_infos)):
            if src not in components and src not in deps:
                info = src_infos.get(src)
                components[src] = self.from_path(src, info, closures_of(src))
                deps[src] = tuple(sorted({r for r in info.references if r != src})) if info else ()
        assert root is not None
        for ref, lic_from in self._source_licences(refs, {**components, root.ref: root}).items():
            c = components[ref]
            components[ref] = replace(c, licenses=lic_from[1], license_from=lic_from[0])
        return (
            root,
            tuple(components[k] for k in sorted(components)),
            dict(sorted(deps.items())),
        )


def _consumers(d: Derivation) -> set[str]:
    """The store paths a derivation takes as its source (``src``, ``srcs``)."""
    return set((d.env.get("src") or "").split()) | set((d.env.get("srcs") or "").split())


def _licenses(m: PackageMeta) -> tuple[License, ...]:
    """meta.license as the package declares it: several licences become one SPDX expression joined with
    AND (a nixpkgs list means the package is under all of them, as the policy engine reads it)."""
    return _declared(m.licenses)


@lru_cache(maxsize=4096)
def _declared(licenses: tuple[MetaLicense, ...]) -> tuple[License, ...]:
    """(cached: a large graph has few distinct licence lists)"""
    made = [make_license(x.spdx_id, x.full_name, x.short_name, x.url) for x in licenses]
    return combine(_dedupe(lic for lic in made if lic is not None), "declared")


def _hashes(path: str | None, fixed: FixedOutput | None) -> tuple[Hash, ...]:
    """Hashes anyone can check against the file itself: a flat fixed-output derivation's declared
    hash, and SHA-256 + SHA-512 of a single-file store path that is present. A directory has none here
    (its NAR hash is stated as such, ``nix:narinfo:nar_hash``)."""
    found: dict[str, str] = {}
    if fixed is not None and fixed.method == "flat" and fixed.algo in _CDX_ALG and fixed.hash_hex:
        found[_CDX_ALG[fixed.algo]] = fixed.hash_hex
    if path is not None:
        for h in file_hashes(path):
            found.setdefault(h.alg, h.content)
    return tuple(Hash(alg, found[alg]) for alg in _ALG_ORDER if alg in found)


_ALG_ORDER = ("MD5", "SHA-1", "SHA-256", "SHA-512")


def _dedupe(items: Iterable[License]) -> tuple[License, ...]:
    seen: dict[License, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return tuple(seen)
