"""Version ordering as Nix does it (``builtins.compareVersions``), and the variant vulnerability matching
uses, where trailing zero components do not count (``153.0`` equals ``153.0.0``)."""

from __future__ import annotations

import re
from functools import lru_cache

_COMPONENT = re.compile(r"[0-9]+|[^0-9.\-]+")


def components(version: str) -> tuple[str, ...]:
    """Nix's split: runs of digits, or runs of anything but digits, ``.`` and ``-``."""
    return tuple(_COMPONENT.findall(version))


def _is_number(component: str) -> bool:
    """Only ASCII digits make a number (``str.isdigit`` also accepts ``²`` and other scripts' digits)."""
    return component.isdigit() and component.isascii()


def _number_less(a: str, b: str) -> bool:
    """``int(a) < int(b)`` without ``int``: a version from an SBOM can have a component longer than
    Python's 4,300-digit conversion limit (and converting long ones is quadratic)."""
    a, b = a.lstrip("0"), b.lstrip("0")
    return (len(a), a) < (len(b), b)


def _less(a: str, b: str) -> bool:
    """Nix's ``componentsLT``: numbers numerically, "" < number, "pre" < everything, letters < numbers.
    (Nix treats a number too large for an ``int`` as a letter; here it stays a number.)"""
    a_num, b_num = _is_number(a), _is_number(b)
    if a_num and b_num:
        return _number_less(a, b)
    if a == "" and b_num:
        return True
    if a == "pre" and b != "pre":
        return True
    if b == "pre":
        return False
    if b_num:
        return True
    if a_num:
        return False
    return a < b


def _compare(ca: tuple[str, ...], cb: tuple[str, ...]) -> int:
    for i in range(max(len(ca), len(cb))):
        x = ca[i] if i < len(ca) else ""
        y = cb[i] if i < len(cb) else ""
        if _less(x, y):
            return -1
        if _less(y, x):
            return 1
    return 0


@lru_cache(maxsize=65536)
def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 like ``builtins.compareVersions a b`` (``2.3a < 2.3.1``, ``1.0pre1 < 1.0``)."""
    return _compare(components(a), components(b))


_NUMERIC = re.compile(r"[0-9]{1,18}(?:\.[0-9]{1,18})*")  # an int each (longer ones: the general rule)


@lru_cache(maxsize=262144)
def _numeric_key(version: str) -> tuple[int, ...] | None:
    """``1.2.0`` -> ``(1, 2)`` for purely numeric dotted versions (most of them), else None."""
    if not _NUMERIC.fullmatch(version):
        return None
    parts = [int(x) for x in version.split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def compare_release(a: str, b: str) -> int:
    """Like :func:`compare_versions`, except that a missing component facing a number counts as ``0``,
    so trailing zero components are equal: Nix orders ``153.0 < 153.0.0``, which made a package at
    ``153.0`` look inside a range ending ``< 153.0.0`` (a known vulnix false positive). Facing a letter
    or ``pre``, a missing component stays Nix's empty one (``1.0pre1 < 1.0 < 1.0a``)."""
    ka, kb = _numeric_key(a), _numeric_key(b)
    if ka is not None and kb is not None:  # numeric only: a tuple comparison says the same, faster
        return (ka > kb) - (ka < kb)
    return _compare_release(a, b)


@lru_cache(maxsize=262144)
def _compare_release(a: str, b: str) -> int:
    """Like :func:`compare_versions`, except that a missing component facing a number counts as ``0``,
    so trailing zero components are equal: Nix orders ``153.0 < 153.0.0``, which made a package at
    ``153.0`` look inside a range ending ``< 153.0.0`` (a known vulnix false positive). Facing a letter
    or ``pre``, a missing component stays Nix's empty one (``1.0pre1 < 1.0 < 1.0a``)."""
    ca, cb = components(a), components(b)
    for i in range(max(len(ca), len(cb))):
        y = cb[i] if i < len(cb) else ""
        x = ca[i] if i < len(ca) else ("0" if _is_number(y) else "")
        if i >= len(cb) and _is_number(x):
            y = "0"
        if _less(x, y):
            return -1
        if _less(y, x):
            return 1
    return 0
