"""The supply-chain difference between two SBOMs: components added, removed, version-changed (matched by
name), licence changes and the runtime closure size delta.

Components are matched by name (the root included). When a name has several versions on one side, the
versions both sides share are unchanged; the rest is a version change when both sides keep some, else
an addition or a removal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import InputError
from .model import Component, Sbom


@dataclass(frozen=True, slots=True)
class ComponentEntry:
    """One component version on one side of the diff."""

    name: str
    version: str | None
    ref: str
    licenses: tuple[str, ...]
    runtime: bool

    def label(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name


@dataclass(frozen=True, slots=True)
class VersionChange:
    name: str
    old: tuple[str, ...]  # versions only in the base ("" for an unversioned component)
    new: tuple[str, ...]  # versions only in the head
    new_refs: tuple[str, ...]  # head refs carrying the new versions


@dataclass(frozen=True, slots=True)
class LicenseChange:
    name: str
    version: str | None  # head version
    old: tuple[str, ...]
    new: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SbomDiff:
    base_label: str
    head_label: str
    added: tuple[ComponentEntry, ...]
    removed: tuple[ComponentEntry, ...]
    changed: tuple[VersionChange, ...]
    license_changes: tuple[LicenseChange, ...]
    base_runtime_size: int | None
    head_runtime_size: int | None

    @property
    def size_delta(self) -> int | None:
        if self.base_runtime_size is None or self.head_runtime_size is None:
            return None
        return self.head_runtime_size - self.base_runtime_size

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.license_changes or self.size_delta)


def _entries(sbom: Sbom) -> dict[str, list[ComponentEntry]]:
    """One entry per name and version. The same name and version twice (several outputs, a .drv and
    its output, or a source tarball named like its package: ``hello-2.12.1.tar.gz``) is one entry
    carrying every licence either copy declares, so the order of store paths cannot hide a change."""
    by_key: dict[tuple[str, str | None], ComponentEntry] = {}
    for c in _all(sbom):
        key = (c.name, c.version)
        licenses = {lic.label() for lic in c.licenses}
        runtime = c.is_runtime or c is sbom.root
        seen = by_key.get(key)
        if seen is not None:
            licenses |= set(seen.licenses)
            runtime = runtime or seen.runtime
        by_key[key] = ComponentEntry(
            name=c.name,
            version=c.version,
            ref=seen.ref if seen is not None else c.ref,
            licenses=tuple(sorted(licenses)),
            runtime=runtime,
        )
    by_name: dict[str, list[ComponentEntry]] = defaultdict(list)
    for entry in by_key.values():
        by_name[entry.name].append(entry)
    return by_name


def _all(sbom: Sbom) -> Iterable[Component]:
    yield sbom.root
    for c in sbom.components:
        if c.ref != sbom.root.ref:
            yield c


def _v(version: str | None) -> str:
    return version or ""


def diff_sboms(base: Sbom, head: Sbom) -> SbomDiff:
    """Compare two SBOMs of the same closure kind; every tuple in the result is sorted."""
    if base.meta.closure != head.meta.closure:
        raise InputError(
            f"cannot compare a {base.meta.closure} SBOM with a {head.meta.closure} SBOM",
            hint="generate both with the same --closure",
        )
    old = _entries(base)
    new = _entries(head)
    added: list[ComponentEntry] = []
    removed: list[ComponentEntry] = []
    changed: list[VersionChange] = []
    licences: list[LicenseChange] = []
    for name in sorted(old.keys() | new.keys()):
        before = old.get(name, [])
        after = new.get(name, [])
        if not before:
            added.extend(after)
            continue
        if not after:
            removed.extend(before)
            continue
        common = {_v(e.version) for e in before} & {_v(e.version) for e in after}
        gone = [e for e in before if _v(e.version) not in common]
        came = [e for e in after if _v(e.version) not in common]
        if gone and came:
            changed.append(
                VersionChange(
                    name=name,
                    old=tuple(sorted(_v(e.version) for e in gone)),
                    new=tuple(sorted(_v(e.version) for e in came)),
                    new_refs=tuple(sorted(e.ref for e in came)),
                )
            )
        elif came:  # a second version appeared next to one we already had
            added.extend(came)
        else:
            removed.extend(gone)
        old_lic = tuple(sorted({lic for e in before for lic in e.licenses}))
        new_lic = tuple(sorted({lic for e in after for lic in e.licenses}))
        if old_lic != new_lic:
            head_version = max((_v(e.version) for e in after), default="") or None
            licences.append(LicenseChange(name, head_version, old_lic, new_lic))
    return SbomDiff(
        base_label=base.meta.installable,
        head_label=head.meta.installable,
        added=tuple(sorted(added, key=lambda e: (e.name, _v(e.version), e.ref))),
        removed=tuple(sorted(removed, key=lambda e: (e.name, _v(e.version), e.ref))),
        changed=tuple(changed),
        license_changes=tuple(licences),
        base_runtime_size=base.runtime_closure_size() if base.meta.closure == "runtime" else None,
        head_runtime_size=head.runtime_closure_size() if head.meta.closure == "runtime" else None,
    )
