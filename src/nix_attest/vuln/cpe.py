"""CPE 2.3 formatted strings (``cpe:2.3:part:vendor:product:version:update:...``), as NVD and nixpkgs
write them: split on unescaped colons, backslash escapes removed, ``*`` = ANY, ``-`` = NA."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

ANY = "*"
NA = "-"
_SPLIT = re.compile(r"(?<!\\):")
_FIELD = re.compile(r"((?:[^:\\]|\\.)*)(:|\Z)")  # one field, escapes kept, and what ends it
_ESCAPE = re.compile(r"\\(.)")
_PARTS = ("a", "o", "h")
_PLAIN = re.compile(r"[A-Za-z0-9._-]*")
_UNSAFE = re.compile(r"([^A-Za-z0-9._-])")
MAX_LENGTH = 1000  # of a formatted string nix-attest writes or accepts (see well_formed)


@dataclass(frozen=True, slots=True)
class Cpe:
    part: str  # "a" application, "o" operating system, "h" hardware
    vendor: str
    product: str
    version: str = ANY
    update: str = ANY
    target_sw: str = ANY
    target_hw: str = ANY

    def formatted(self) -> str:
        """The CPE 2.3 formatted string (fields not kept here are ANY)."""

        def esc(value: str) -> str:
            if value in (ANY, NA) or _PLAIN.fullmatch(value):
                return value
            return _UNSAFE.sub(r"\\\1", value)

        fields = (self.part, self.vendor, self.product, self.version, self.update, ANY, ANY, ANY)
        tail = (self.target_sw, self.target_hw, ANY)
        return "cpe:2.3:" + ":".join(esc(f) if i > 0 else f for i, f in enumerate((*fields, *tail)))

    def with_version(self, version: str) -> Cpe:
        return Cpe(self.part, self.vendor, self.product, version, self.update, self.target_sw, self.target_hw)


# The CPE 2.3 formatted-string binding (NISTIR 7695, 6.2): a value is `*`, `-`, or characters that
# are letters, digits, `.`, `-`, `_` or a backslash-quoted punctuation mark, with `*`/`?` wildcards
# only at its ends; the language field is an RFC 5646 tag. SPDX's `cpe23Type` references are checked
# against this grammar, and CPE consumers (NVD, Dependency-Track) refuse what breaks it.
_VALUE = r"(?:[*-]|(?:\?+|\*)?(?:[A-Za-z0-9._-]|\\[\\*?!\"#$%&'()+,/:;<=>@\[\]^`{|}~])+(?:\?+|\*)?)"
_LANGUAGE = r"(?:[A-Za-z]{2,3}(?:-(?:[A-Za-z]{2}|[0-9]{3}))?|[*-])"
_WELL_FORMED = re.compile(rf"cpe:2\.3:[aho*-](?::{_VALUE}){{5}}:{_LANGUAGE}(?::{_VALUE}){{4}}")


def well_formed(text: str) -> bool:
    """Whether ``text`` is a CPE 2.3 formatted string by the binding's grammar (``parse_cpe`` is
    lenient: it reads what NVD and nixpkgs write, which is not always well-formed)."""
    return len(text) <= MAX_LENGTH and _WELL_FORMED.fullmatch(text) is not None


def _split_escaped(body: str) -> list[str] | None:
    """The fields of a formatted string holding an escaped backslash (``1.0\\\\:beta``: the colon
    after it separates); None when a backslash escapes nothing."""
    fields, pos = [], 0
    while True:
        m = _FIELD.match(body, pos)
        if m is None:
            return None
        fields.append(m.group(1))
        if not m.group(2):
            return fields
        pos = m.end()


@lru_cache(maxsize=65536)
def parse_cpe(text: str) -> Cpe | None:
    """A CPE 2.3 formatted string, or None when it is not one (wrong prefix, too few fields, bad part)."""
    if not text.startswith("cpe:2.3:"):
        return None
    fields = _SPLIT.split(text[8:]) if "\\\\" not in text else _split_escaped(text[8:])
    if fields is None or len(fields) != 11:
        return None
    values = [_ESCAPE.sub(r"\1", f).lower() if "\\" in f else f.lower() for f in fields]
    part, vendor, product, version, update = values[:5]
    if part not in _PARTS or not product or product in (ANY, NA):
        return None
    return Cpe(part, vendor, product, version or ANY, update or ANY, values[8] or ANY, values[9] or ANY)
