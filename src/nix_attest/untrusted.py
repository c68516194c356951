"""Reading JSON that may come from a pull request (SBOMs, bundles, trust roots, event payloads, policy
reports, Nix's output about PR derivations): nesting is bounded, so a deeply nested document is one
readable error instead of a ``RecursionError`` somewhere downstream (schema validation, pydantic models
and our own readers all recurse)."""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from typing import Any
from urllib.parse import urlsplit

MAX_DEPTH = 100  # CycloneDX SBOMs and Sigstore bundles nest < 15 levels


class TooDeep(ValueError):
    """The document nests deeper than the limit."""


def exceeds_depth(doc: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``doc`` (parsed JSON/YAML data: dicts, lists, scalars) nests deeper than ``limit``.

    Level by level rather than recursively, so it is itself immune to depth; ~0.1 s for 17 MB of SBOM,
    0.08 s + 0.04 s for the 22 MB + 9 MB that Nix prints for 20,000 derivations. Measured and slower
    there: scanning the text instead (strings cut out by a regex, then the brackets' nesting; 2-3x),
    and the same walk with C-level ``map``/``compress`` filtering (1.4x) or a per-container
    ``isdisjoint`` pre-check (no gain). The C decoder cannot bound depth portably (its limit is the
    interpreter's recursion limit on 3.11, a fixed C-stack limit from 3.12 on)."""
    level = [doc] if type(doc) is dict or type(doc) is list else []
    for _ in range(limit):
        if not level:
            return False
        below: list[Any] = []
        for item in level:
            values = item.values() if type(item) is dict else item
            below += [v for v in values if type(v) is dict or type(v) is list]
        level = below
    return bool(level)


def loads_json(text: str | bytes, *, limit: int = MAX_DEPTH) -> Any:
    """``json.loads`` that raises :class:`TooDeep` beyond ``limit`` levels (never ``RecursionError``);
    malformed JSON raises ``json.JSONDecodeError`` as usual (both are ``ValueError``s)."""
    try:
        doc = json.loads(text)
    except RecursionError:
        raise TooDeep(f"nested deeper than {limit} levels") from None
    if exceeds_depth(doc, limit):
        raise TooDeep(f"nested deeper than {limit} levels")
    return doc


def json_problem(exc: ValueError) -> str:
    """What is wrong, for a one-line message: ``not JSON: Expecting value at line 1`` or the depth."""
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON: {exc.msg} at line {exc.lineno}"
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(exc, TooDeep):
        return str(exc)
    return f"not JSON: {exc}"


def loads_input_json(text: str | bytes, source: str) -> Any:
    """:func:`loads_json` for an input a user or a pull request gave: nested too deep or not JSON is
    :class:`~nix_attest.errors.InputError` (exit 2) naming ``source``."""
    from .errors import InputError

    try:
        return loads_json(text)
    except ValueError as exc:
        raise InputError(f"{source} is {json_problem(exc)}") from exc


# --- files a pull request may have placed ---------------------------------------------------------

MiB = 2**20
MAX_POLICY_BYTES = 16 * MiB  # a policy (or a file it imports), a trusted root, a report to post
MAX_SBOM_BYTES = 1024 * MiB  # an SBOM or a policy report (20,000 components: ~20 MB)


class NotRegularFile(OSError):
    """A device, FIFO, socket or directory where a file was expected."""


class FileTooLarge(OSError):
    """A file over the size limit for what it should be."""


def input_file_problem(info: os.stat_result, limit: int) -> OSError | None:
    """Why a file with this ``stat`` cannot be input: not a regular file, or over ``limit`` bytes."""
    if not stat.S_ISREG(info.st_mode):
        return NotRegularFile(errno.EINVAL, "not a regular file (a device, FIFO or directory)")
    if info.st_size > limit:
        return FileTooLarge(errno.EFBIG, f"larger than {limit // MiB} MiB")
    return None


def check_input_file(path: str | os.PathLike[str], limit: int) -> None:
    """Raise the :func:`input_file_problem` of ``path`` (symbolic links followed), for a file another
    program reads (Nix, Nickel); a missing file is ``FileNotFoundError``."""
    problem = input_file_problem(os.stat(path), limit)
    if problem is not None:
        raise problem


def read_input_bytes(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of the regular file ``path`` (symbolic links followed), at most ``limit`` of them.

    A policy, SBOM or bundle in a pull request's checkout can be a link to ``/dev/zero`` (reading never
    ends) or a FIFO (opening it waits for a writer forever), or simply huge: these are an ``OSError``
    with a readable ``strerror`` (:class:`NotRegularFile`, :class:`FileTooLarge`), like a missing file,
    so every caller's existing "cannot read" message covers them."""
    # O_NONBLOCK: opening a FIFO returns at once (and fstat then refuses it); O_NOCTTY: opening a terminal
    # device does not make it ours. Neither changes how a regular file is read.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        problem = input_file_problem(os.fstat(fd), limit)
        if problem is not None:
            raise problem
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
        if len(data) > limit:  # it grew while we read
            raise FileTooLarge(errno.EFBIG, f"larger than {limit // MiB} MiB")
        return data
    finally:
        os.close(fd)


def read_input_text(path: str | os.PathLike[str], limit: int) -> str:
    """:func:`read_input_bytes` decoded as UTF-8 (``UnicodeDecodeError`` when it is not)."""
    return read_input_bytes(path, limit).decode("utf-8")


# --- text from a pull request's Nix metadata ---------------------------------------------------------

# Characters that end or disguise a line: C0/C1 controls (line breaks, ANSI escapes, backspace), the
# Unicode line and paragraph separators, and bidirectional overrides and isolates ("Trojan Source").
# A line break in a package name printed to the job's log would start a workflow command (`::error::`).
_LINE_BREAKERS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_EMAIL = re.compile(r"[^@\s<>()\[\]\\,;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")
_URL_SAFE = re.compile(r"[^\s<>\"{}|\\^`\x00-\x1f\x7f-\x9f]+")  # what an IRI never holds unencoded
# The common web URL: http(s), a plain dotted host name (no user, port or IP literal), URL-safe rest.
_PLAIN_WEB_URL = re.compile(
    r"([Hh][Tt][Tt][Pp][Ss]?)://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:[/?#][^\s<>\"{}|\\^`\x00-\x1f\x7f-\x9f]*)?"
)
MAX_URL = 2000


def one_line(value: object, limit: int) -> str | None:
    """``value`` (a string, else None) as one line of at most ``limit`` characters: line breaks,
    controls and bidi overrides become U+FFFD (visible), and a longer text ends in ``…``."""
    if not isinstance(value, str) or not value:
        return None
    if not value.isprintable():  # fast path: almost every name, version and description
        value = _LINE_BREAKERS.sub("\ufffd", value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def email(value: object) -> str | None:
    """An e-mail address as written in metadata, or None when it is not one."""
    return value if isinstance(value, str) and len(value) <= 254 and _EMAIL.fullmatch(value) else None


def web_url(value: object, schemes: tuple[str, ...] = ("https", "http")) -> str | None:
    """An absolute URL with one of ``schemes`` and a host name (``https://example.org/x``), or None:
    a homepage or licence link that is not one (``javascript:``, text with spaces) is left out rather
    than failing the SBOM or pointing its readers somewhere odd.

    The common case (``https://host.example/path``) is recognised by one regex instead of ``urlsplit``:
    measured 0.5 us instead of 3 us a URL, 0.05 s of the 0.2 s it takes to read the metadata of 20,000
    packages (``bench/sbom_scale.py``); ``test_web_url_short_way_agrees`` checks it against
    :func:`_web_url` (``urlsplit``), which decides everything else."""
    if isinstance(value, str) and len(value) <= MAX_URL:
        plain = _PLAIN_WEB_URL.fullmatch(value)
        if plain and plain.group(1).lower() in schemes:
            return value
    return _web_url(value, schemes)


def _web_url(value: object, schemes: tuple[str, ...]) -> str | None:
    if not isinstance(value, str) or len(value) > MAX_URL or not _URL_SAFE.fullmatch(value):
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return None
    return value if parts.scheme.lower() in schemes and host and "." in host.strip(".") else None


def any_url(value: object) -> str | None:
    """A URL of any scheme Nix's fetchers may use (``mirror://gnu/hello/...``, ``git+https://...``)
    that is a valid IRI, or None. Script and inline-data schemes are refused: SBOM consumers render
    download locations as links, and a pull request's derivation chooses them."""
    if not isinstance(value, str) or len(value) > MAX_URL or not _URL_SAFE.fullmatch(value):
        return None
    scheme, sep, rest = value.partition(":")
    if not (sep and rest and _SCHEME.fullmatch(scheme)) or scheme.lower() in _ACTIVE_SCHEMES:
        return None
    return value


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_ACTIVE_SCHEMES = frozenset({"javascript", "vbscript", "data", "livescript", "mocha"})
