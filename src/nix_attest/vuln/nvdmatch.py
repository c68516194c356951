"""Matching one component against NVD records: vendor and part respected when known, the configurations'
AND/OR nodes evaluated, versions ordered like Nix with trailing zeros equal.

A configuration matches a component when it holds and one of its vulnerable CPE matches names the
component. A CPE match that is not about the component holds when it describes the environment: the
operating system the build runs on (from the SBOM's system: ``linux_kernel`` for Linux, macOS for
Darwin) or another component of the same SBOM ("running with"). So ``transmission < 1.92`` AND
``linux_kernel`` (vulnerable: false) matches a Linux build, ``esp-idf`` AND the ``esp32`` chip does
not, and a match with ``vulnerable: false`` never produces a finding by itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..nix.versions import compare_release
from .cpe import ANY, NA, Cpe, parse_cpe
from .index import NvdIndex
from .model import Advisory, Finding, MatchMethod, Rating, Target, severity_from_score
from .nvdfeed import Compact

NVD_URL = "https://nvd.nist.gov/vuln/detail/"
_PLATFORMS = {
    "linux": frozenset({("linux", "linux_kernel")}),
    "darwin": frozenset({("apple", "macos"), ("apple", "mac_os_x"), ("apple", "mac_os")}),
}
_METHOD: dict[str, MatchMethod] = {
    "meta": "cpe:meta",
    "possible": "cpe:possible",
    "curated": "cpe:curated",
    "heuristic": "cpe:heuristic",
}


@dataclass(frozen=True, slots=True)
class Environment:
    """What a CPE match that is not about the component can refer to and still hold."""

    platform: frozenset[tuple[str, str]] = frozenset()  # (vendor, product) of the operating system
    vendor_products: frozenset[tuple[str, str]] = frozenset()  # other components with a known vendor
    products: frozenset[str] = frozenset()  # products of every component

    def holds(self, m: list[Any]) -> bool:
        key = (m[2], m[3])
        if m[1] == "o" and key in self.platform:
            return True
        if m[1] != "a":
            return False
        return key in self.vendor_products or (m[2] == ANY and m[3] in self.products)


ANY_SYSTEM = "*"  # the system is not known for sure (a fork's SBOM says it): every platform holds


def environment(system: str | None, targets: Iterable[Target]) -> Environment:
    kernel = (system or "").rsplit("-", 1)[-1]
    platform = (
        frozenset().union(*_PLATFORMS.values())
        if system == ANY_SYSTEM
        else _PLATFORMS.get(kernel, frozenset())
    )
    pairs: set[tuple[str, str]] = set()
    products: set[str] = set()
    for t in targets:
        for c in t.cpes:
            cpe = parse_cpe(c.cpe)
            if cpe is None:
                continue
            products.add(cpe.product)
            if cpe.vendor not in (ANY, NA):
                pairs.add((cpe.vendor, cpe.product))
    return Environment(platform, frozenset(pairs), frozenset(products))


@dataclass(frozen=True, slots=True)
class _Subject:
    """The component as one CPE: vendor ANY for the heuristic, the version to compare.

    ``version`` is the version with the CPE's update appended (``9.3:p1`` -> ``9.3-p1``, which Nix
    orders like ``9.3p1``); ``base`` is the version field alone when the update is a release suffix
    (letters: ``p1``, ``rc2``), None otherwise (ANY, NA, or a number: nixpkgs'
    ``cpePatchVersionInUpdateWithVendor`` writes 8.7.1 as ``8.7:1``, which is simply 8.7.1)."""

    cpe: Cpe
    version: str
    source: str
    base: str | None = None

    @property
    def explicit(self) -> bool:
        return self.source in ("meta", "possible")


def _subject(cpe: Cpe, fallback: str | None, source: str) -> _Subject | None:
    version = cpe.version if cpe.version not in (ANY, NA) else fallback
    if not version:
        return None
    if cpe.update in (ANY, NA):
        return _Subject(cpe, version, source)
    base = None if cpe.update.isdigit() else version
    return _Subject(cpe, f"{version}-{cpe.update}", source, base)


_NUMERIC_BOUND = re.compile(r"[0-9]+(?:\.[0-9]+)*")


def _in_range(m: list[Any], s: _Subject) -> bool:
    """Whether the component's version is one the CPE match names. As NVD matches: an exact criterion
    ``V:U`` wants version V and update U (``*`` any update, ``-`` none); a range bound is compared
    with the version field (``8.7:p1`` is "through 8.7"), unless the bound carries a suffix itself
    (``before 9.3p2``), which is compared with version and update together."""
    exact, update = m[4], m[5]
    if exact == NA:
        return False
    if exact != ANY:
        wanted = exact if update in (ANY, NA) else f"{exact}-{update}"
        if compare_release(s.version, wanted) == 0:
            return True
        return update == ANY and s.base is not None and compare_release(s.base, exact) == 0
    start_incl, start_excl, end_incl, end_excl = m[7], m[8], m[9], m[10]
    if s.base is None:  # the common case: one version string faces every bound
        v = s.version
        if start_incl and compare_release(v, start_incl) < 0:
            return False
        if start_excl and compare_release(v, start_excl) <= 0:
            return False
        if end_incl and compare_release(v, end_incl) > 0:
            return False
        return not (end_excl and compare_release(v, end_excl) >= 0)
    if start_incl and compare_release(_facing(s, start_incl), start_incl) < 0:
        return False
    if start_excl and compare_release(_facing(s, start_excl), start_excl) <= 0:
        return False
    if end_incl and compare_release(_facing(s, end_incl), end_incl) > 0:
        return False
    return not (end_excl and compare_release(_facing(s, end_excl), end_excl) >= 0)


def _facing(s: _Subject, bound: str) -> str:
    """The component's version to compare with a range bound."""
    return s.base if s.base is not None and _NUMERIC_BOUND.fullmatch(bound) else s.version


def _about(m: list[Any], s: _Subject) -> bool:
    """The CPE match names the component (part, vendor unless unknown, product, target software)."""
    cpe = s.cpe
    if m[1] != cpe.part or m[3] != cpe.product:
        return False
    if cpe.vendor != ANY and m[2] != cpe.vendor:
        return False
    target_sw = m[6]
    if target_sw not in (ANY, NA) and target_sw != cpe.target_sw:
        # ecosystem-specific entries (node.js, wordpress, python, ...) only for explicit identifiers
        return s.explicit and cpe.target_sw == ANY
    return True


def _evaluate(record: Compact, s: _Subject, env: Environment) -> list[Any] | None:
    """The vulnerable CPE match through which the record applies to the component, or None."""
    for op, negate, nodes in record.get("c") or ():
        results = []
        hit: list[Any] | None = None
        for node_op, node_negate, matches in nodes:
            truths = []
            node_hit = None
            for m in matches:
                about = _about(m, s)
                if about and _in_range(m, s):
                    truths.append(True)
                    if m[0] and node_hit is None:
                        node_hit = m
                else:
                    truths.append(not about and env.holds(m))
            truth = all(truths) if node_op == "AND" else any(truths)
            if node_negate:
                truth, node_hit = not truth, None
            results.append(truth)
            if truth and node_hit is not None and hit is None:
                hit = node_hit
        holds = all(results) if op == "AND" else any(results)
        if negate:
            holds, hit = not holds, None
        if holds and hit is not None:
            return hit
    return None


def _only_or(record: Compact) -> bool:
    for op, negate, nodes in record.get("c") or ():
        if (op == "AND" and len(nodes) > 1) or negate:
            return False
        for node_op, node_negate, matches in nodes:
            if node_negate or (node_op == "AND" and len(matches) > 1):
                return False
    return True


def describe_match(m: list[Any]) -> str:
    criteria = Cpe(m[1], m[2], m[3], m[4], m[5], m[6]).formatted()
    bounds = [f"{op} {v}" for op, v in ((">=", m[7]), (">", m[8]), ("<=", m[9]), ("<", m[10])) if v]
    return f"{criteria} ({', '.join(bounds)})" if bounds else criteria


def advisory(record: Compact) -> Advisory:
    ratings = []
    for method, severity, score, vector, source in record.get("r") or ():
        value = float(score) if isinstance(score, (int, float)) else None
        level = severity if severity in ("critical", "high", "medium", "low", "none") else None
        ratings.append(Rating(method, level or severity_from_score(value), value, vector, source))
    return Advisory(
        id=record["id"],
        source="NVD",
        summary=record.get("d"),
        ratings=tuple(ratings),
        published=record.get("p"),
        modified=record.get("m"),
        url=NVD_URL + record["id"],
    )


class NvdMatcher:
    """Matches targets against an :class:`NvdIndex` in a given environment."""

    def __init__(self, index: NvdIndex, env: Environment) -> None:
        self.index = index
        self.env = env
        self._advisories: dict[int, Advisory] = {}

    def _subjects(self, target: Target) -> Iterable[_Subject]:
        for cpe_id in target.cpes:
            cpe = parse_cpe(cpe_id.cpe)
            s = _subject(cpe, target.version, cpe_id.source) if cpe is not None else None
            if cpe is None or s is None:
                continue
            yield s
            if cpe_id.source == "heuristic" and "-" in cpe.product:  # NVD writes http_server, not http-server
                under = Cpe(cpe.part, cpe.vendor, cpe.product.replace("-", "_"), cpe.version, cpe.update)
                yield replace(s, cpe=under)

    def match(self, target: Target) -> list[Finding]:
        found: dict[str, Finding] = {}
        seen: set[int] = set()
        for s in self._subjects(target):
            for n, matches in self.index.entries(s.cpe.product):
                if n in seen:
                    continue  # already matched through a better identifier
                applies = next((m for m in matches if _about(m, s) and _in_range(m, s)), None)
                if applies is None:
                    continue  # none of its vulnerable matches names this component at this version
                record = self.index.record(n)
                # only OR nodes: the applying match is enough; AND/negated nodes need the whole tree
                hit = applies if _only_or(record) else _evaluate(record, s, self.env)
                if hit is None:
                    continue
                seen.add(n)
                adv = self._advisories.get(n)
                if adv is None:
                    adv = self._advisories[n] = advisory(record)
                found[adv.id] = Finding(
                    advisory=adv,
                    ref=target.ref,
                    name=target.name,
                    version=target.version,
                    method=_METHOD[s.source],
                    evidence=describe_match(hit),
                    closures=target.closures,
                    purl=target.purl,
                    fixed_in=hit[10] or None,
                )
        return list(found.values())

    def match_all(self, targets: Sequence[Target]) -> list[Finding]:
        out: list[Finding] = []
        for t in targets:
            out.extend(self.match(t))
        return out
