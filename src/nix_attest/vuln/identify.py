"""Identification: the identifiers scanners match on, derived from Nix data when the SBOM is built.

- CPE, a ladder from the most to the least trustworthy: ``meta.identifiers.cpe`` (or ``cpeParts``
  with a vendor and product), else ``possibleCPEs``, else the curated vendor:product map shipped as
  data (``cpe-products.json``), else the pname as product with any vendor (low confidence). The SBOM
  says which rung gave the CPE (``nix-attest:cpe:source``).
- Ecosystem package URLs of vendored dependencies, from the URLs of fixed-output derivations
  (crates.io, npm, PyPI, the Go module proxy, GitHub archives and git checkouts).
- CVE ids named by patch files (``CVE-2024-1234.patch``, ``fetchpatch { name = "CVE-…"; }``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from urllib.parse import unquote, urlsplit

from packageurl import PackageURL

from ..nix.names import strip_archive_extension
from .cpe import ANY, MAX_LENGTH, Cpe, parse_cpe, well_formed
from .model import CpeSource

_CVE = re.compile(r"CVE-(\d{4})-(\d{4,})", re.IGNORECASE)
_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_PLAUSIBLE = re.compile(r"^[a-z0-9][a-z0-9._+-]*[a-z0-9+]$")
_PLAIN = re.compile(r"[A-Za-z0-9._-]+")  # a CPE value that needs no escaping and is well-formed


@dataclass(frozen=True, slots=True)
class CpeChoice:
    cpe: str
    source: CpeSource
    candidates: tuple[str, ...] = ()  # further CPEs to match (possibleCPEs, other curated vendors)


@cache
def curated() -> dict[str, tuple[Cpe, ...]]:
    text = resources.files("nix_attest.vuln").joinpath("cpe-products.json").read_text(encoding="utf-8")
    out: dict[str, tuple[Cpe, ...]] = {}
    for name, entries in json.loads(text).items():
        if name.startswith("_"):
            continue
        out[name] = tuple(Cpe(*entry.split(":")) for entry in entries)
    return out


def choose_cpe(
    name: str,
    version: str | None,
    *,
    meta_cpe: str | None = None,
    possible: Iterable[str] = (),
    parts: tuple[str | None, str | None, str | None] = (None, None, None),
    is_source: bool = False,
) -> CpeChoice | None:
    """The best CPE for a component, and where it comes from.

    Called for every component of the SBOM (20,000 in the benchmark), so the common case, a package
    with no identifiers in its meta, takes the short way: no list for an empty ``possible``, and the
    heuristic CPE written directly when product and version need no escaping (the string
    ``Cpe.formatted`` makes, and well-formed; ``test_cpe_heuristic_fast_path_agrees`` checks both)."""
    # a CPE from the flake is used as written only when it is one (well-formed), as is one made here
    possible_ok = [c for c in possible if parse_cpe(c) is not None and well_formed(c)] if possible else []
    if meta_cpe and parse_cpe(meta_cpe) is not None and well_formed(meta_cpe):
        return CpeChoice(meta_cpe, "meta", tuple(c for c in possible_ok if c != meta_cpe))
    part, vendor, product = parts
    if vendor and product:
        cpe = Cpe(part if part in ("a", "o", "h") else "a", vendor.lower(), product.lower(), version or ANY)
        text = cpe.formatted()
        if well_formed(text):
            return CpeChoice(text, "meta", tuple(possible_ok))
    if possible_ok:
        return CpeChoice(possible_ok[0], "possible", tuple(possible_ok[1:]))
    if is_source or not version:
        return None  # a source archive is identified by its URL; without a version nothing can match
    known = curated().get(name.lower())
    if known:
        made = [text for c in known if well_formed(text := c.with_version(version).formatted())]
        return CpeChoice(made[0], "curated", tuple(made[1:])) if made else None
    product = name.lower()
    if not _PLAUSIBLE.match(product):
        return None
    if "+" not in product and _PLAIN.fullmatch(version):
        text = f"cpe:2.3:a:*:{product}:{version}:*:*:*:*:*:*:*"
        if len(text) <= MAX_LENGTH:
            return CpeChoice(text, "heuristic")
    text = Cpe("a", ANY, product, version).formatted()
    return CpeChoice(text, "heuristic") if well_formed(text) else None  # a version CPE cannot say


def candidate_source(source: CpeSource) -> CpeSource:
    """The rung of the further CPEs recorded beside a chosen one."""
    return "possible" if source in ("meta", "possible") else source


def cve_ids(*texts: str) -> tuple[str, ...]:
    """The CVE ids named in ``texts`` (patch file names, patch URLs), upper case, sorted, once each."""
    found = {f"CVE-{m.group(1)}-{m.group(2)}" for text in texts for m in _CVE.finditer(text)}
    return tuple(sorted(found))


# --- ecosystem purls of vendored dependencies ---------------------------------------------------------


def _purl(kind: str, name: str, version: str | None, namespace: str | None = None) -> str | None:
    if not name or not version:
        return None
    try:
        return str(PackageURL(type=kind, namespace=namespace or None, name=name, version=version).to_string())
    except ValueError:
        return None


def _pypi_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _github(owner: str, repo: str, rev: str) -> str | None:
    repo = repo[:-4] if repo.endswith(".git") else repo
    return _purl("github", repo.lower(), rev, owner.lower())


def purl_from_url(url: str) -> str | None:
    """``pkg:cargo|npm|pypi|golang|github`` for a download URL of a known registry, else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    segs = [unquote(s) for s in parts.path.split("/") if s]
    if (
        host == "crates.io"
        and len(segs) >= 6
        and segs[:3] == ["api", "v1", "crates"]
        and segs[5] == "download"
    ):
        return _purl("cargo", segs[3], segs[4])
    if host == "static.crates.io" and len(segs) == 3 and segs[0] == "crates":
        stem = segs[2].removesuffix(".crate")
        if stem.startswith(segs[1] + "-"):
            return _purl("cargo", segs[1], stem[len(segs[1]) + 1 :])
    if host == "registry.npmjs.org" and "-" in segs:
        dash = segs.index("-")
        package = segs[:dash]
        if len(package) in (1, 2) and dash + 1 < len(segs):
            short = package[-1]
            file = segs[dash + 1]
            if file.startswith(short + "-") and file.endswith(".tgz"):
                scope = package[0] if len(package) == 2 else None
                return _purl("npm", short, file[len(short) + 1 : -4], scope)
    if host in ("files.pythonhosted.org", "pypi.org", "pypi.python.org") and segs:
        return _pypi_file(segs[-1])
    if host == "proxy.golang.org" and "@v" in segs:
        at = segs.index("@v")
        module = "/".join(segs[:at])
        module = re.sub(r"!([a-z])", lambda m: m.group(1).upper(), module)
        if at + 1 < len(segs) and segs[at + 1].endswith(".zip"):
            namespace, _, name = module.rpartition("/")
            return _purl("golang", name, segs[at + 1][:-4], namespace)
    if host == "github.com" and len(segs) >= 4 and segs[2] == "archive":
        rev = strip_archive_extension("/".join(segs[3:]))
        rev = rev.removeprefix("refs/tags/").removeprefix("refs/heads/")
        return _github(segs[0], segs[1], rev)
    if host == "codeload.github.com" and len(segs) >= 4 and segs[2] in ("tar.gz", "zip"):
        return _github(segs[0], segs[1], "/".join(segs[3:]).removeprefix("refs/tags/"))
    return None


def _pypi_file(file: str) -> str | None:
    if file.endswith(".whl"):
        fields = file[:-4].split("-")
        return _purl("pypi", _pypi_name(fields[0]), fields[1]) if len(fields) >= 5 else None
    stem = strip_archive_extension(file)
    if stem == file:
        return None
    name, sep, version = stem.rpartition("-")
    return _purl("pypi", _pypi_name(name), version) if sep and version[:1].isdigit() else None


def ecosystem_purl(urls: Iterable[str], rev: str | None) -> str | None:
    """The package URL a vendored dependency's download names (crates.io, npm, PyPI, Go, GitHub)."""
    for url in urls:
        purl = purl_from_url(url) or purl_from_git(url, rev)
        if purl:
            return purl
    return None


def purl_from_git(url: str, rev: str | None) -> str | None:
    """A git checkout of a GitHub repository at a commit or tag (fetchgit / fetchFromGitHub with git)."""
    if not rev:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    segs = [s for s in parts.path.split("/") if s]
    if (parts.hostname or "").lower() == "github.com" and len(segs) >= 2:
        return _github(segs[0], segs[1], rev.removeprefix("refs/tags/"))
    return None


def is_commit(rev: str) -> bool:
    return bool(_HEX40.match(rev))
