"""What nix-attest prints to a terminal or a GitHub Actions log cannot command either.

Names, versions, licences and messages come from pull requests (an SBOM artifact, a policy file, a
builder's log). In a job's log the runner executes workflow commands: ``::name::data`` at the start
of a line (after leading white space) and the legacy ``##[name]data`` *anywhere* in a line, where a
line also ends at a lone carriage return. A component named ``x ##[error]all good`` would add an
annotation, ``##[add-mask]fail`` hide every "fail", ``##[stop-commands]t`` silence the job's own
commands. On a terminal, escape sequences set the title, the clipboard or hide text.

So, when the output is a terminal or a pipe in GitHub Actions (never a regular file: a redirected
document keeps its bytes), every line nix-attest writes to stdout and stderr gets: ``##[`` broken by a
zero-width joiner, a leading ``::`` too, and control characters (escape, lone carriage return,
backspace, C1) and bidirectional overrides shown as U+FFFD. nix-attest's own workflow commands
(annotations, masks, groups) are written through :func:`commands`, and Nix's own progress display on
a terminal through :func:`raw`.
"""

from __future__ import annotations

import io
import os
import re
import stat
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

ZWJ = "\u200d"
# C0 controls but tab and newline, DEL, C1 controls, bidi overrides and isolates
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_COMMAND_START = re.compile(r"^(\s*)::")


def inert_line(line: str) -> str:
    """One line (no newline in it) that no runner or terminal reads as a command."""
    if not line.isprintable() or "##[" in line or "::" in line:
        line = _CONTROLS.sub("\ufffd", line).replace("##[", "##" + ZWJ + "[")
        line = _COMMAND_START.sub(lambda m: m.group(1) + ZWJ + "::", line)
    return line


def inert_text(text: str) -> str:
    return "\n".join(inert_line(line) for line in text.replace("\r\n", "\n").split("\n"))


class InertWriter(io.TextIOBase):
    """A text stream that writes :func:`inert_line` lines to ``stream`` (whole lines: a partial line
    waits for its newline or a flush)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._partial = ""
        self._lock = threading.Lock()

    def write(self, s: str) -> int:
        with self._lock:
            *lines, self._partial = (self._partial + s).replace("\r\n", "\n").split("\n")
            if lines:
                self.stream.write("".join(inert_line(line) + "\n" for line in lines))
        return len(s)

    def _drain(self) -> None:
        if self._partial:
            self.stream.write(inert_line(self._partial))
            self._partial = ""

    def flush(self) -> None:
        with self._lock:
            self._drain()
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", "utf-8") or "utf-8"

    def writable(self) -> bool:
        return True


def _needs_guard(stream: TextIO) -> bool:
    """A terminal, or in GitHub Actions anything but a regular file (the runner reads a pipe)."""
    try:
        if stream.isatty():
            return True
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError, io.UnsupportedOperation):
        mode = 0  # an in-memory stream (tests): treated like a pipe
    return os.environ.get("GITHUB_ACTIONS") == "true" and not stat.S_ISREG(mode)


@contextmanager
def guarded() -> Iterator[None]:
    """For the duration of a command: ``sys.stdout`` and ``sys.stderr`` made inert where they need it."""
    saved = sys.stdout, sys.stderr
    if _needs_guard(sys.stdout):
        sys.stdout = InertWriter(saved[0])
    if _needs_guard(sys.stderr):
        sys.stderr = InertWriter(saved[1])
    try:
        yield
    finally:
        for wrapped in (sys.stdout, sys.stderr):
            if isinstance(wrapped, InertWriter):
                wrapped.flush()
        sys.stdout, sys.stderr = saved


def raw(stream: TextIO) -> TextIO:
    """The stream under an :class:`InertWriter` (for output nix-attest vouches for)."""
    if isinstance(stream, InertWriter):
        stream.flush()
        return stream.stream
    return stream


@contextmanager
def commands() -> Iterator[None]:
    """While nix-attest writes its own workflow commands: ``sys.stdout`` and ``sys.stderr`` unguarded."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = raw(saved[0]), raw(saved[1])
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
