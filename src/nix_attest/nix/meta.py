"""Nix metadata (pname, version, meta.license/homepage/description/identifiers) for every derivation
reachable from the installable, read in ONE `nix eval --json --apply` over derivation-valued attributes."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from ..errors import InputError, UsageError
from ..untrusted import email, loads_json, one_line, web_url
from .installable import Installable
from .runner import Nix


@dataclass(frozen=True, slots=True)
class MetaLicense:
    spdx_id: str | None
    full_name: str | None = None
    short_name: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Maintainer:
    name: str | None
    email: str | None = None
    github: str | None = None


@dataclass(frozen=True, slots=True)
class PackageMeta:
    drv_path: str
    pname: str | None
    version: str | None
    has_meta: bool
    description: str | None
    homepage: str | None
    licenses: tuple[MetaLicense, ...]
    purl: str | None
    cpe: str | None
    possible_cpes: tuple[str, ...] = ()
    cpe_parts: tuple[str | None, str | None, str | None] = (None, None, None)  # part, vendor, product
    known_vulnerabilities: tuple[str, ...] = ()
    position: str | None = None  # meta.position: "<file>:<line>" of the package's definition
    maintainers: tuple[Maintainer, ...] = ()


@dataclass(frozen=True, slots=True)
class EvalResult:
    drv_path: str
    packages: dict[str, PackageMeta]  # by drv path


# what one package may contribute (the flake is untrusted: a package must not blow up the SBOM, and
# its text is one line each, bounded: no control characters, no line breaks into a log)
MAX_CPES = 20
MAX_KNOWN_VULNERABILITIES = 50
MAX_MAINTAINERS = 20  # a package's contacts in the SBOM (meta.maintainers is hostile input too)
MAX_NAME = 200  # pname, version, licence ids and names, maintainers (Nix store names are <= 211)
MAX_DESCRIPTION = 1000
MAX_IDENTIFIER = 1000  # purl, CPE
MAX_LICENSES = 50


def _string(value: object, limit: int = MAX_NAME) -> str | None:
    return one_line(value, limit)


def _strings(value: object, count: int, limit: int) -> tuple[str, ...]:
    if not value or not isinstance(value, list):  # the common case first: 20k packages, most without
        return ()
    found = (one_line(v, limit) for v in value if isinstance(v, str) and v.strip())
    return tuple(v for v in found if v)[:count]


def _expression() -> str:
    return resources.files("nix_attest.nix").joinpath("meta_expr.nix").read_text(encoding="utf-8")


def evaluate(nix: Nix, installable: Installable) -> EvalResult:
    """Evaluate the installable once: its drvPath and every reachable derivation's metadata."""
    out = nix.run(
        ["eval", "--json", "--apply", _expression(), *nix.installable_args(installable)],
        what="evaluation",
        installable=installable.describe(),
    )
    return parse_eval(out, installable.describe())


def parse_eval(text: str, label: str) -> EvalResult:
    try:
        doc = loads_json(text)
    except ValueError as exc:
        raise InputError(f"unexpected output from nix eval: {exc}") from exc
    if not doc.get("isDerivation") or not doc.get("drvPath"):
        raise UsageError(f"installable {label!r} does not evaluate to a derivation")
    packages: dict[str, PackageMeta] = {}
    seen: dict[tuple[object, ...], tuple[MetaLicense, ...]] = {}
    for p in doc.get("packages") or []:
        lic = _licenses((p.get("licenses") or [])[:MAX_LICENSES], seen)
        packages[p["drvPath"]] = PackageMeta(
            drv_path=p["drvPath"],
            pname=_string(p.get("pname")),
            version=_string(p.get("version")),
            has_meta=bool(p.get("hasMeta")),
            description=_string(p.get("description"), MAX_DESCRIPTION),
            homepage=web_url(p.get("homepage")),
            licenses=lic,
            purl=_string(p.get("purl"), MAX_IDENTIFIER),
            cpe=_string(p.get("cpe"), MAX_IDENTIFIER),
            possible_cpes=_strings(p.get("possibleCPEs"), MAX_CPES, 300),
            cpe_parts=(_string(p.get("cpePart")), _string(p.get("cpeVendor")), _string(p.get("cpeProduct"))),
            known_vulnerabilities=_strings(p.get("knownVulnerabilities"), MAX_KNOWN_VULNERABILITIES, 1000),
            position=_string(p.get("position"), 4096),
            maintainers=_maintainers(p.get("maintainers")),
        )
    return EvalResult(drv_path=str(doc["drvPath"]), packages=packages)


def _licenses(items: Any, seen: dict[tuple[object, ...], tuple[MetaLicense, ...]]) -> tuple[MetaLicense, ...]:
    """A package's meta.license entries. A graph has few distinct licence lists, so each is read once
    per evaluation and then found in ``seen`` by its raw values (0.07 s of the 0.2 s it took to read
    20,000 packages' metadata). A value that cannot be a key (not a JSON scalar) is read uncached."""
    try:
        key = tuple(
            (x.get("spdxId"), x.get("fullName"), x.get("shortName"), x.get("url"))
            if isinstance(x, dict)
            else None
            for x in items
        )
        found = seen.get(key)
    except TypeError:
        return _read_licenses(items)
    if found is None:
        found = seen[key] = _read_licenses(items)
    return found


def _read_licenses(items: Any) -> tuple[MetaLicense, ...]:
    return tuple(
        MetaLicense(
            spdx_id=_string(x.get("spdxId")),
            full_name=_string(x.get("fullName")),
            short_name=_string(x.get("shortName")),
            url=web_url(x.get("url")),
        )
        for x in items
        if isinstance(x, dict)
    )


def _maintainers(items: object) -> tuple[Maintainer, ...]:
    if not items or not isinstance(items, list):
        return ()
    return tuple(
        Maintainer(name=_string(x.get("name")), email=email(x.get("email")), github=_string(x.get("github")))
        for x in items[:MAX_MAINTAINERS]
        if isinstance(x, dict) and (x.get("name") or x.get("email") or x.get("github"))
    )
