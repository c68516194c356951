"""Byte sizes as people write them (``2 GiB``, ``512MiB``, ``1.5 GB``) and as messages show them."""

from __future__ import annotations

import re

GiB = 2**30
MiB = 2**20

_SIZE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*([KMGT]i?B|B)$")
_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
_UNITS.update({"KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40})


def parse_size(value: int | str) -> int:
    """A byte count: an int as is, or a number and a unit (``ValueError`` otherwise)."""
    if isinstance(value, int):
        return value
    m = _SIZE.match(value.strip())
    if m is None:
        raise ValueError(f"bad size {value!r}")
    return int(float(m.group(1)) * _UNITS[m.group(2)])


def describe_size(n: int) -> str:
    for unit, size in (("GiB", GiB), ("MiB", MiB)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} bytes"
