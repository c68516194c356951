"""Store path and derivation name helpers (Nix's own rules)."""

from __future__ import annotations

import re

STORE_DIR = "/nix/store"
_HASH_PART = re.compile(r"^[0-9a-df-np-sv-z]{32}-")
# File extensions of archives and compressed files, as fetchurl names sources after the URL's last
# segment (``openssl-3.0.13.tar.gz``). Longest first, so ``.tar.gz`` wins over ``.gz``.
_ARCHIVE = re.compile(
    r"\.(?:tar\.(?:gz|xz|bz2|zst|lz|lzma|lz4|Z)|tgz|tbz2?|txz|tzst|tlz|tar|zip|7z|rar|gem|crate|whl"
    r"|jar|nupkg|deb|rpm|gz|xz|bz2|zst|lz|lzma|lz4)$",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"\.(?:asc|sig|sign)$", re.IGNORECASE)  # a detached signature of the archive
# A suffix that names the kind of path, not the version: ``zlib-1.3.1-src``, ``foo-2.0-source``,
# ``llvm-17.0.6.src`` (LLVM's release tarballs); then an output of a multiple-output package
# (``openssl-3.0.13-dev``: openssl 3.0.13).
_SOURCE_SUFFIX = re.compile(r"[-.](?:src|source)$")
_OUTPUT_SUFFIX = re.compile(r"-(?:bin|dev|out|lib|man|doc|devdoc|info|debug|static)$")
# Debian's source and binary packages: ``name_1.2.3.orig.tar.xz``, ``name_1.2.3-1.debian.tar.xz``,
# ``name_1.2.3-1_amd64.deb`` (the version is between underscores).
_DEBIAN = re.compile(r"([a-z0-9][a-z0-9+.-]*)_(\d[^_]*?)(?:\.orig|\.debian)?(?:_[a-z0-9-]+)?")
# A Python wheel: ``name-version[-build]-python-abi-platform.whl``.
_WHEEL = re.compile(r"([^-]+)-(\d[^-]*)(?:-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl", re.IGNORECASE)
# A tag with a ``v`` (``node-v20.11.1``): Nix's rule finds no version there.
_V_TAG = re.compile(r"(.+?)-[vV](\d.*)")
# A patch file is named after what it fixes, not versioned (``CVE-2023-1234.patch``).
_PATCH = re.compile(r"\.(?:patch|diff)(?:\.(?:gz|xz|bz2))?$", re.IGNORECASE)
# A name that is only a version (a tag archive: ``v1.2.3.tar.gz`` -> ``v1.2.3``).
_BARE_VERSION = re.compile(r"^[vV]?(\d[0-9A-Za-z.+_-]*)$")


def parse_drv_name(name: str) -> tuple[str, str | None]:
    """Split ``name`` like Nix's ``builtins.parseDrvName``: the version starts at the first ``-``
    followed by a digit (``hello-2.12.1`` -> ``("hello", "2.12.1")``)."""
    for i, ch in enumerate(name):
        if ch == "-" and i + 1 < len(name) and name[i + 1].isdigit():
            return name[:i], name[i + 1 :]
    return name, None


def strip_archive_extension(name: str) -> str:
    """``openssl-3.0.13.tar.gz`` -> ``openssl-3.0.13``; other names unchanged."""
    stripped = _ARCHIVE.sub("", name, count=1)
    return stripped or name


def parse_package_name(name: str) -> tuple[str, str | None]:
    """A component's name and version from a derivation or store path name.

    :func:`parse_drv_name` (Nix's rule) after clean-ups Nix does not need but an SBOM does:
    an archive extension (or a signature's) is not part of the version (``openssl-3.0.13.tar.gz`` ->
    ``openssl``, ``3.0.13``), nor is a ``-src``/``-source``/``.src`` suffix (``zlib-1.3.1-src`` ->
    ``zlib``, ``1.3.1``) or an output name (``openssl-3.0.13-dev``); Python wheels and Debian
    packages are read by their own conventions, ``node-v20.11.1`` is node 20.11.1 and
    ``foo-unstable-2024-01-01`` is foo ``unstable-2024-01-01``.
    A name that is only a version (``v1.2.3.tar.gz``, a tag archive) keeps its text as the name and
    gets the number as the version; ``source`` (fetchFromGitHub's default) and patch files
    (``CVE-2023-1234.patch``) have none.
    """
    if _PATCH.search(name):
        return name, None
    name = _SIGNATURE.sub("", name)
    wheel = _WHEEL.fullmatch(name)
    if wheel:
        return wheel.group(1), wheel.group(2)
    stem = strip_archive_extension(name)
    if stem.endswith((".orig", ".debian")) or name.lower().endswith(".deb"):
        debian = _DEBIAN.fullmatch(stem)
        if debian:
            return debian.group(1), debian.group(2)
    pname, version = parse_drv_name(stem)
    if version is None and (tag := _V_TAG.fullmatch(stem)):
        pname, version = tag.group(1), tag.group(2)
    if version is not None:
        trimmed = _OUTPUT_SUFFIX.sub("", _SOURCE_SUFFIX.sub("", version))
        if pname.endswith("-unstable"):  # foo-unstable-2024-01-01: the date alone is no version
            pname, trimmed = pname[: -len("-unstable")], f"unstable-{trimmed}"
        return pname, trimmed or version
    bare = _BARE_VERSION.match(stem)
    if bare:
        return stem, bare.group(1)
    return pname, None


def store_path_name(path: str) -> str:
    """``/nix/store/<hash>-hello-1.0`` -> ``hello-1.0`` (and strips a ``.drv`` suffix)."""
    base = path.rstrip("/").rsplit("/", 1)[-1]
    base = _HASH_PART.sub("", base, count=1)
    return base[:-4] if base.endswith(".drv") else base


def absolute(path: str, store_dir: str = STORE_DIR) -> str:
    """Derivation JSON v3+ prints base names; make them full store paths."""
    return path if path.startswith("/") else f"{store_dir}/{path}"
