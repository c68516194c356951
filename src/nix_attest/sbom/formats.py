"""SBOM formats behind one interface: one module per format (``cyclonedx``, ``spdx``), chosen by name
when writing (``--format``) and by the document's own header when reading (``read.from_document``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..errors import UsageError
from . import cyclonedx, spdx
from .model import Sbom


class SbomFormat(Protocol):
    @property
    def name(self) -> str: ...  # "cyclonedx" | "spdx"
    @property
    def label(self) -> str: ...  # for people: "CycloneDX", "SPDX"
    @property
    def versions(self) -> tuple[str, ...]: ...  # first = default
    @property
    def predicate_type(self) -> str: ...  # in-toto predicate type of a signed SBOM in this format
    @property
    def suffix(self) -> str: ...  # file name suffix: ".cdx.json", ".spdx.json"

    def dumps(self, sbom: Sbom, version: str, *, validate: bool = True) -> str: ...


@dataclass(frozen=True)
class CycloneDx:
    name: str = "cyclonedx"
    label: str = "CycloneDX"
    versions: tuple[str, ...] = cyclonedx.SPEC_VERSIONS
    predicate_type: str = "https://cyclonedx.org/bom"
    suffix: str = ".cdx.json"

    def dumps(self, sbom: Sbom, version: str, *, validate: bool = True) -> str:
        return cyclonedx.dumps_sbom(sbom, version, validate=validate)


@dataclass(frozen=True)
class Spdx:
    name: str = "spdx"
    label: str = "SPDX"
    versions: tuple[str, ...] = spdx.SPEC_VERSIONS
    predicate_type: str = spdx.PREDICATE_TYPE
    suffix: str = ".spdx.json"

    def dumps(self, sbom: Sbom, version: str, *, validate: bool = True) -> str:
        return spdx.dumps_sbom(sbom, validate=validate)


FORMATS: dict[str, SbomFormat] = {"cyclonedx": CycloneDx(), "spdx": Spdx()}
PREDICATE_TYPES = tuple(f.predicate_type for f in FORMATS.values())


def get_format(name: str) -> SbomFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise UsageError(f"unknown SBOM format {name!r} (choose {', '.join(FORMATS)})") from None


def spec_version(fmt: SbomFormat, version: str | None) -> str:
    """The version to write: the given one when the format has it, else the format's default."""
    if version is None:
        return fmt.versions[0]
    if version not in fmt.versions:
        raise UsageError(
            f"{fmt.label} has no version {version!r} here (choose {', '.join(sorted(fmt.versions))})"
        )
    return version


def dumps(
    sbom: Sbom, format_name: str = "cyclonedx", version: str | None = None, *, validate: bool = True
) -> str:
    fmt = get_format(format_name)
    return fmt.dumps(sbom, spec_version(fmt, version), validate=validate)
