"""SPDX licence expressions against allow/deny lists.

An expression is allowed when some choice satisfies the lists: ``OR`` needs one allowed branch, ``AND``
needs every operand allowed, ``L WITH E`` is one unit (listed as a unit it decides alone; otherwise it
follows ``L``, unless ``E`` is denied). ``X-or-later`` (or ``X+``) offers every known version of the
family from ``X`` on. Unknown ids (not on the SPDX list and not named by the policy) make the result
"unknown" unless another branch decides it. Decisions are cached per distinct expression.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from license_expression import ExpressionError, Licensing, get_spdx_licensing

Status = Literal["allowed", "denied", "not-allowed", "unknown"]

_VERSIONED = re.compile(r"^(?P<family>.+?)-(?P<version>\d+(?:\.\d+)*)$")


@lru_cache(maxsize=1)
def _licensing() -> Licensing:
    return get_spdx_licensing()


@lru_cache(maxsize=1)
def _families() -> dict[str, tuple[tuple[tuple[int, ...], str], ...]]:
    """SPDX family -> sorted ((version), "<family>-<version>-only") for ids with an "-only" form."""
    found: dict[str, list[tuple[tuple[int, ...], str]]] = {}
    for key in _licensing().known_symbols:
        if not key.endswith("-only"):
            continue
        m = _VERSIONED.match(key[: -len("-only")])
        if m:
            version = tuple(int(p) for p in m.group("version").split("."))
            found.setdefault(m.group("family"), []).append((version, key))
    return {family: tuple(sorted(ids)) for family, ids in found.items()}


def _or_later_base(key: str) -> str | None:
    if key.endswith("-or-later"):
        return key[: -len("-or-later")]
    if key.endswith("+"):
        return key[:-1]
    return None


@lru_cache(maxsize=4096)
def choices(key: str) -> frozenset[str]:
    """The concrete licences a licensee may pick for one id (``GPL-2.0-or-later`` -> 2.0-only, 3.0-only)."""
    base = _or_later_base(key)
    if base is None:
        return frozenset({key})
    m = _VERSIONED.match(base)
    known = _families().get(m.group("family"), ()) if m else ()
    if not m or not known:
        return frozenset({key})
    floor = tuple(int(p) for p in m.group("version").split("."))
    return frozenset(k for version, k in known if version >= floor)


def _normalise(entry: str) -> str:
    """An allow/deny entry in canonical form: ``mit`` -> ``MIT``, ``GPL-2.0+`` -> ``GPL-2.0-or-later``."""
    try:
        parsed = _licensing().parse(entry, validate=False)
    except ExpressionError:
        return entry.strip()
    return str(parsed.render()) if parsed is not None else entry.strip()


def _expand(entries: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for entry in entries:
        key = _normalise(entry)
        out.add(key)
        out.update(choices(key))
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class LicenseVerdict:
    status: Status
    culprits: tuple[str, ...] = ()  # the ids that made it fail (denied, not allowed or unknown)

    @property
    def ok(self) -> bool:
        return self.status == "allowed"


_OK = LicenseVerdict("allowed")
_FAIL_ORDER: dict[Status, int] = {"denied": 0, "not-allowed": 1, "unknown": 2, "allowed": 3}


def _merge(status: Status, parts: Iterable[LicenseVerdict]) -> LicenseVerdict:
    culprits: list[str] = []
    for p in parts:
        for c in p.culprits:
            if c not in culprits:
                culprits.append(c)
    return LicenseVerdict(status, tuple(culprits))


class LicenseJudge:
    """Decides expressions against one allow/deny pair; memoises per distinct expression tuple."""

    def __init__(self, allow: Iterable[str] | None = None, deny: Iterable[str] = ()) -> None:
        self._allow = _expand(allow) if allow is not None else None
        self._deny = _expand(deny)
        self._named = (self._allow or frozenset()) | self._deny
        self._known = _licensing().known_symbols
        self._cache: dict[tuple[str, ...], LicenseVerdict] = {}

    def judge(self, expressions: tuple[str, ...]) -> LicenseVerdict:
        """All expressions must hold (a component's licences are ANDed); no expression: unknown."""
        cached = self._cache.get(expressions)
        if cached is None:
            cached = self._judge_all(expressions)
            self._cache[expressions] = cached
        return cached

    def _judge_all(self, expressions: tuple[str, ...]) -> LicenseVerdict:
        if not expressions:
            return LicenseVerdict("unknown", ("no licence",))
        verdicts = []
        for text in expressions:
            try:
                parsed = _licensing().parse(text, validate=False)
            except ExpressionError:
                verdicts.append(LicenseVerdict("unknown", (text,)))
                continue
            if parsed is None:
                verdicts.append(LicenseVerdict("unknown", ("no licence",)))
                continue
            verdicts.append(self._node(parsed))
        return self._and(verdicts)

    def _and(self, verdicts: list[LicenseVerdict]) -> LicenseVerdict:
        failing = [v for v in verdicts if not v.ok]
        if not failing:
            return _OK
        worst = min(failing, key=lambda v: _FAIL_ORDER[v.status]).status
        if worst == "unknown":
            return _merge("unknown", failing)
        hard = [v for v in failing if v.status != "unknown"]
        return _merge(worst, hard)

    def _or(self, verdicts: list[LicenseVerdict]) -> LicenseVerdict:
        if any(v.ok for v in verdicts):
            return _OK
        unknown = [v for v in verdicts if v.status == "unknown"]
        if unknown:
            return _merge("unknown", unknown)
        worst = max(verdicts, key=lambda v: _FAIL_ORDER[v.status]).status  # "not-allowed" beats "denied"
        return _merge(worst, verdicts)

    def _node(self, node: Any) -> LicenseVerdict:
        name = type(node).__name__
        if name == "OR":
            return self._or([self._node(a) for a in node.args])
        if name == "AND":
            return self._and([self._node(a) for a in node.args])
        if name == "LicenseWithExceptionSymbol":
            return self._with(node)
        return self._symbol(str(node.key))

    def _with(self, node: Any) -> LicenseVerdict:
        unit = str(node.render())
        if unit in self._deny:
            return LicenseVerdict("denied", (unit,))
        if self._allow is not None and unit in self._allow:
            return _OK
        exception = str(node.exception_symbol.key)
        if exception in self._deny:
            return LicenseVerdict("denied", (unit,))
        if exception not in self._known and exception not in self._named:
            return LicenseVerdict("unknown", (exception,))
        base = self._symbol(str(node.license_symbol.key))
        return base if base.ok else LicenseVerdict(base.status, (unit,))

    def _symbol(self, key: str) -> LicenseVerdict:
        picks = choices(key)
        if picks <= self._deny or key in self._deny:
            return LicenseVerdict("denied", (key,))
        if self._allow is not None:
            if any(p in self._allow and p not in self._deny for p in picks):
                return _OK
            if key not in self._known and key not in self._named:
                return LicenseVerdict("unknown", (key,))
            return LicenseVerdict("not-allowed", (key,))
        if key not in self._known and key not in self._named:
            return LicenseVerdict("unknown", (key,))
        return _OK


@lru_cache(maxsize=256)
def _judge_for(allow: tuple[str, ...]) -> LicenseJudge:
    return LicenseJudge(allow=allow)


def spdx_allows(expression: str, allow: Iterable[str]) -> bool:
    """True when some choice in ``expression`` uses only licences from ``allow`` (the CEL helper)."""
    return _judge_for(tuple(sorted(allow))).judge((expression,)).ok
