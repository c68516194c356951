"""Confining a Nickel policy's imports to its own directory, before anything is evaluated.

Nickel reads any file a policy names: ``import "/etc/passwd" as 'Text`` puts the file into the report,
the comment and the artifact. Nickel offers no hook to restrict imports, so every file the policy would
read is found statically: the source is lexed like Nickel's own modal lexer does (comments, the three
kinds of strings with their ``%{ }`` interpolations, identifiers, numbers, enum tags), every ``import``
keyword must be followed by a plain string (no interpolation, no escape), and the file it names must
resolve, symlinks followed, inside the policy file's directory and not under a hidden path
(``.git/config`` holds the checkout's token). Imported Nickel files are checked the same way;
``%eval_nix%`` and Nix imports are refused outright. Whatever cannot be lexed is refused too: Nickel
would not run it either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import PolicyFileError
from ..untrusted import MAX_POLICY_BYTES, check_input_file, read_input_text

# The token shapes of Nickel's lexer (core/src/parser/lexer.rs) that decide where code and strings are.
_IDENT = re.compile(r"_*[a-zA-Z][_a-zA-Z0-9\-']*")
_MULTI = re.compile(r"m(%+)\"")
_SYMBOLIC = re.compile(r"[a-zA-Z][_a-zA-Z0-9\-']*-s(%+)\"")
_NUMBER = re.compile(r"0x[A-Fa-f0-9]+|0o[0-7]+|0b[01]+|[0-9]*\.?[0-9]+(?:[eE][+\-]?[0-9]+)?")
_ENUM_TAG = re.compile(r"'_*[a-zA-Z][_a-zA-Z0-9\-']*")
_PRIMOP = re.compile(r"%[a-z_/0-9]+%")
_SPACE = re.compile(r"(?:[ \t\r\n]+|#[^\n]*)*")
_PLAIN_STRING = re.compile(r"\"([^\"\\%]*(?:%(?!\{)[^\"\\%]*)*)\"")

_DATA_FORMATS = {"Json", "Yaml", "Toml", "Text"}
_DATA_SUFFIXES = {".json", ".yaml", ".yml", ".toml", ".txt"}


@dataclass(frozen=True, slots=True)
class Import:
    target: str  # as written
    format: str | None  # 'Json etc. from `as 'Format`, without the quote
    line: int


class _Refused(Exception):
    def __init__(self, offset: int, problem: str) -> None:
        super().__init__(problem)
        self.offset = offset
        self.problem = problem


def _longest(text: str, i: int) -> tuple[str, re.Match[str]] | None:
    """The longest normal-mode token starting at ``i`` among those that matter here."""
    found: list[tuple[int, str, re.Match[str]]] = []
    for kind, pattern in (("symbolic", _SYMBOLIC), ("multi", _MULTI), ("ident", _IDENT), ("number", _NUMBER)):
        m = pattern.match(text, i)
        if m:
            found.append((m.end(), kind, m))
    if not found:
        return None
    _end, kind, m = max(found, key=lambda f: f[0])  # ties: the earlier kind, as logos prefers it
    return kind, m


def find_imports(text: str) -> list[Import]:
    """Every ``import`` in Nickel ``text``; raises :class:`_Refused` for what cannot be checked."""
    imports: list[Import] = []
    # the mode stack: ("normal", open braces) | ("string", 0) | ("multi", number of %)
    modes: list[tuple[str, int]] = [("normal", 0)]
    i, n = 0, len(text)
    while i < n:
        mode, count = modes[-1]
        c = text[i]
        if mode == "string":
            if c == "\\":
                i += 2
            elif c == '"':
                modes.pop()
                i += 1
            elif text.startswith("%{", i):
                modes.append(("normal", 0))
                i += 2
            else:
                i += 1
            continue
        if mode == "multi":
            if c == '"' and text.startswith("%" * count, i + 1):
                run = len(text[i + 1 :]) - len(text[i + 1 :].lstrip("%"))
                if text.startswith("{", i + 1 + run):  # `"%%{`: a quote, then an interpolation
                    i += 1
                    continue
                if run != count:
                    raise _Refused(i, "a multiline string's closing delimiter does not match its opening")
                modes.pop()
                i += 1 + count
            elif c == "%":
                run = len(text[i:]) - len(text[i:].lstrip("%"))
                if run >= count and text.startswith("{", i + run):
                    modes.append(("normal", 0))
                    i += run + 1
                else:
                    i += run
            else:
                i += 1
            continue
        # normal mode
        if c in " \t\r\n":
            i += 1
        elif c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c == '"':
            modes.append(("string", 0))
            i += 1
        elif text.startswith("'\"", i):
            modes.append(("string", 0))
            i += 2
        elif c == "'":
            m = _ENUM_TAG.match(text, i)
            i = m.end() if m else i + 1
        elif c == "{":
            modes[-1] = ("normal", count + 1)
            i += 1
        elif c == "}":
            if count:
                modes[-1] = ("normal", count - 1)
            elif len(modes) > 1:
                modes.pop()  # the end of an interpolation
            else:
                raise _Refused(i, "unmatched '}'")
            i += 1
        elif c == "%":
            m = _PRIMOP.match(text, i)
            if m and m.group(0) == "%eval_nix%":
                raise _Refused(i, "%eval_nix% is not allowed in a policy")
            i = m.end() if m else i + 1
        else:
            token = _longest(text, i)
            if token is None:
                i += 1
                continue
            kind, m = token
            if kind in ("multi", "symbolic"):
                modes.append(("multi", len(m.group(1))))
            elif kind == "ident" and m.group(0) == "import":
                imports.append(_import_at(text, m.end(), i))
            i = m.end()
    if len(modes) > 1:
        raise _Refused(n, "unterminated string or interpolation")
    return imports


def _import_at(text: str, after: int, start: int) -> Import:
    """The plain string after an ``import`` keyword, and its ``as 'Format``."""
    m = _PLAIN_STRING.match(text, _skip_space(text, after))
    if m is None:
        raise _Refused(start, "an import must name a file with a plain string (no interpolation or escape)")
    fmt = None
    k = _skip_space(text, m.end())
    word = _IDENT.match(text, k)
    if word is not None and word.group(0) == "as":
        tag = _ENUM_TAG.match(text, _skip_space(text, word.end()))
        if tag is None:
            raise _Refused(start, "an import's format must be an enum tag such as 'Json")
        fmt = tag.group(0)[1:]
    return Import(m.group(1), fmt, text.count("\n", 0, start) + 1)


def _skip_space(text: str, i: int) -> int:
    """The position after any whitespace and comments at ``i``."""
    m = _SPACE.match(text, i)
    return m.end() if m else i


def _is_nickel(target: Path, fmt: str | None) -> bool:
    if fmt is not None:
        if fmt in _DATA_FORMATS:
            return False
        if fmt == "Nickel":
            return True
        raise ValueError(f"import format '{fmt} is not allowed in a policy")
    return target.suffix.lower() not in _DATA_SUFFIXES


def _file_problem(target: Path) -> str | None:
    try:
        check_input_file(target, MAX_POLICY_BYTES)  # a FIFO or device would hang Nickel
    except FileNotFoundError:
        return "no such file in the directory"
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def check_imports(policy: str | Path) -> None:
    """Refuse (exit 2, naming file and line) a Nickel policy that imports anything outside its
    directory, anything hidden, or anything that cannot be checked; follows imported Nickel files."""
    start = Path(policy).absolute()
    root = start.parent.resolve()
    todo = [start]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        real = path.resolve()
        if real in seen:
            continue
        seen.add(real)
        try:
            text = read_input_text(real, MAX_POLICY_BYTES)
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyFileError(f"{path}: cannot read: {exc}") from exc
        try:
            imports = find_imports(text)
        except _Refused as exc:
            line = text.count("\n", 0, exc.offset) + 1
            raise PolicyFileError(f"{path}:{line}: {exc.problem}") from None
        for imp in imports:
            where = f"{path}:{imp.line}"
            target = (path.parent / imp.target).resolve()
            if not target.is_relative_to(root):
                raise PolicyFileError(
                    f"{where}: import {imp.target!r} is outside the policy's directory {root}"
                )
            if any(part.startswith(".") for part in target.relative_to(root).parts):
                raise PolicyFileError(f"{where}: import {imp.target!r} names a hidden file or directory")
            problem = _file_problem(target)
            if problem:
                raise PolicyFileError(f"{where}: import {imp.target!r}: {problem}")
            if target.suffix == ".nix":
                raise PolicyFileError(f"{where}: import {imp.target!r}: Nix files cannot be imported")
            try:
                nickel = _is_nickel(target, imp.format)
            except ValueError as exc:
                raise PolicyFileError(f"{where}: {exc}") from None
            if nickel:
                todo.append(target)


def check_policy_location(policy: str | Path) -> None:
    """The policy file itself must not be a link out of its own directory."""
    given = Path(policy).absolute()
    if not given.resolve().is_relative_to(given.parent.resolve()):
        raise PolicyFileError(f"{policy}: the policy file is a link to a file outside its directory")
