"""From an installable to an :class:`Sbom`: evaluate once, build (optionally), read the graph from
Nix (`derivation show -r` for buildtime, `path-info -r` for runtime), attach metadata."""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from .. import __version__
from ..errors import InputError, UsageError
from ..nix import build as nixbuild
from ..nix.derivations import show_derivations, show_derivations_of
from ..nix.drv import Derivation
from ..nix.flake import flake_metadata
from ..nix.installable import Installable, parse_installable
from ..nix.meta import PackageMeta, evaluate
from ..nix.names import parse_package_name, store_path_name
from ..nix.pathinfo import PathInfo
from ..nix.runner import Nix
from ..vuln.identify import choose_cpe, cve_ids, purl_from_git, purl_from_url
from .licenses import is_compound, make_license
from .model import (
    Closure,
    Component,
    ComponentKind,
    FixedOutput,
    FlakeInfo,
    Hash,
    License,
    OutputCheck,
    Patch,
    Sbom,
    SbomMeta,
)
from .purl import nix_purl, valid_purl

_CDX_ALG = {"sha256": "SHA-256", "sha512": "SHA-512", "sha1": "SHA-1", "md5": "MD5"}
_CHUNK = 500  # store paths per `nix path-info` call (stays far below ARG_MAX)
MAX_PATCHES = 200  # per derivation (the flake is untrusted)


@dataclass(frozen=True, slots=True)
class SbomRequest:
    installable: Installable
    closure: Closure | None = None
    build: bool = True
    check_reproducible: bool = False
    timestamp: str | None = None  # ISO 8601, from SOURCE_DATE_EPOCH only
    with_buildtime: bool = False  # also the evaluation-only buildtime SBOM (for a runtime request)


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
) -> Generated:
    """Like :func:`generate_sbom`, with the built outputs and (``with_buildtime``) the buildtime SBOM."""
    request = SbomRequest(
        installable=installable
        if isinstance(installable, Installable)
        else parse_installable(installable, file=file, attr=attr),
        closure=closure,
        build=build,
        check_reproducible=check_reproducible,
        timestamp=source_date_epoch(os.environ.get("SOURCE_DATE_EPOCH")),  # checked before any Nix call
        with_buildtime=with_buildtime,
    )
    return SbomGenerator(nix or Nix(quiet=quiet)).generate(request)


class SbomGenerator:
    def __init__(self, nix: Nix) -> None:
        self.nix = nix

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
                graph = pool.submit(show_derivations_of, self.nix, inst.args, inst.describe())
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

        root_drv = drvs.get(drv_path) if drv_path else None
        sbom_meta = SbomMeta(
            installable=inst.describe(),
            closure=closure,
            tool_version=__version__,
            nix_version=self.nix.version.text,
            system=root_drv.system if root_drv else None,
            flake=flake_info,
            timestamp=req.timestamp,
            reproducibility=checks,
        )
        assembler = _Assembler(drvs, meta, runtime_infos, checks)
        if closure == "runtime":
            root, components, deps = assembler.runtime(drv_path, outputs)
        else:
            assert drv_path is not None, "buildtime closure needs a derivation"
            root, components, deps = assembler.buildtime(drv_path, self._source_infos(drvs))
        sbom = Sbom(root=root, components=components, dependencies=deps, meta=sbom_meta)

        buildtime = None
        if req.with_buildtime and closure == "runtime" and drv_path:
            # exactly what an evaluation-only (--no-build) run gives: no runtime facts, no rebuild
            bt_root, bt_components, bt_deps = _Assembler(drvs, meta, {}, None).buildtime(
                drv_path, self._source_infos(drvs)
            )
            bt_meta = replace(sbom_meta, closure="buildtime", reproducibility=None)
            buildtime = Sbom(root=bt_root, components=bt_components, dependencies=bt_deps, meta=bt_meta)
        return Generated(sbom=sbom, outputs=_main_first(outputs), buildtime=buildtime)

    def _source_infos(self, drvs: dict[str, Derivation]) -> dict[str, PathInfo]:
        srcs = sorted({s for d in drvs.values() for s in d.input_srcs})
        infos: dict[str, PathInfo] = {}
        for i in range(0, len(srcs), _CHUNK):
            infos.update(nixbuild.path_info(self.nix, srcs[i : i + _CHUNK]))
        return infos


def _main_first(outputs: dict[str, str]) -> tuple[str, ...]:
    """The built output paths, the main output (``out``, else the first by name) first."""
    if not outputs:
        return ()
    main = outputs.get("out") or outputs[sorted(outputs)[0]]
    return (main, *sorted(set(outputs.values()) - {main}))


def source_date_epoch(raw: str | None) -> str | None:
    """The SBOM timestamp: ``SOURCE_DATE_EPOCH`` (seconds since 1970) as ISO 8601 UTC, else none."""
    if not raw:
        return None
    try:
        return datetime.fromtimestamp(int(raw), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError, OSError) as exc:
        raise UsageError(f"SOURCE_DATE_EPOCH must be seconds since 1970, got {raw!r}") from exc


class _Assembler:
    """Turns Nix's graph and metadata into components and the exact dependency map."""

    def __init__(
        self,
        drvs: dict[str, Derivation],
        meta: dict[str, PackageMeta],
        runtime_infos: dict[str, PathInfo],
        checks: tuple[OutputCheck, ...] | None,
    ) -> None:
        self.drvs = drvs
        self.meta = meta
        self.infos = runtime_infos
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
        env_pname = d.env.get("pname")
        env_version = d.env.get("version")
        parsed_name, parsed_version = parse_package_name(d.name)
        name = (m.pname if m and m.pname else None) or env_pname or parsed_name
        version = (m.version if m and m.version else None) or env_version or parsed_version
        if info is None and ref != d.path:
            info = self.infos.get(ref)
        fod = d.fixed_output
        fixed = None
        if fod is not None and fod.hash_hex and fod.hash_algo:
            urls = tuple((d.env.get("urls") or d.env.get("url") or "").split())
            fixed = FixedOutput(
                method=fod.method or "flat",
                algo=fod.hash_algo,
                hash_hex=fod.hash_hex,
                urls=urls,
                rev=d.env.get("rev") or None,
            )
        choice = choose_cpe(
            name,
            version,
            meta_cpe=m.cpe if m else None,
            possible=m.possible_cpes if m else (),
            parts=m.cpe_parts if m else (None, None, None),
            is_source=fixed is not None,
        )
        ecosystem = _ecosystem_purl(fixed) if fixed else None
        hashes: tuple[Hash, ...] = ()
        if info is not None and info.nar_sha256:
            hashes = (Hash("SHA-256", info.nar_sha256),)
        elif fixed is not None and fixed.algo in _CDX_ALG:
            hashes = (Hash(_CDX_ALG[fixed.algo], fixed.hash_hex),)
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
            hashes=(Hash("SHA-256", info.nar_sha256),) if info and info.nar_sha256 else (),
            nar_hash=info.nar_hash if info else None,
            nar_size=info.nar_size if info else None,
            deriver=info.deriver if info else None,
            metadata_found=False,
        )

    def for_path(
        self, path: str, closures: tuple[Closure, ...], kind: ComponentKind | None = None
    ) -> Component:
        info = self.infos.get(path)
        d = self.out_to_drv.get(path) or (self.drvs.get(info.deriver) if info and info.deriver else None)
        if d is not None:
            return self.from_drv(d, ref=path, closures=closures, kind=kind, info=info)
        c = self.from_path(path, info, closures)
        return replace(c, kind=kind) if kind else c

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
            info = self.infos.get(ref)
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
        for src in sorted({s for d in self.drvs.values() for s in d.input_srcs}):
            if src not in components:
                components[src] = self.from_path(src, src_infos.get(src), closures_of(src))
                deps.setdefault(src, ())
        assert root is not None
        return (
            root,
            tuple(components[k] for k in sorted(components)),
            dict(sorted(deps.items())),
        )


def _ecosystem_purl(fixed: FixedOutput) -> str | None:
    """The package URL a vendored dependency's download names (crates.io, npm, PyPI, Go, GitHub)."""
    for url in fixed.urls:
        purl = purl_from_url(url) or purl_from_git(url, fixed.rev)
        if purl:
            return purl
    return None


def _licenses(m: PackageMeta) -> tuple[License, ...]:
    made = [make_license(x.spdx_id, x.full_name, x.short_name, x.url) for x in m.licenses]
    found = [lic for lic in made if lic is not None]
    if any(lic.expression and is_compound(lic.expression) for lic in found) and len(found) > 1:
        # CycloneDX allows one expression OR a list of single licences: combine conservatively
        parts = [f"({lic.expression})" if lic.expression else None for lic in found]
        if all(parts):
            return (License(expression=" AND ".join(p for p in parts if p)),)
    return _dedupe(found)


def _dedupe(items: Iterable[License]) -> tuple[License, ...]:
    seen: dict[License, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return tuple(seen)
