"""GitHub Actions I/O through actions-toolkit: inputs, outputs, masking, groups, annotations, job summary.

Outside Actions (no ``GITHUB_ACTIONS=true``) nothing is written as a workflow command: warnings and
errors go to stderr as plain lines, groups and masks are no-ops, outputs need ``GITHUB_OUTPUT``.
Annotations are issued without properties (the toolkit emits empty ``key=`` pairs when given some).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from actions_toolkit import core

from ..errors import InputError
from ..fsutil import write_atomic
from ..logsafe import commands
from .limits import MAX_SUMMARY_BYTES, truncate

_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})


def in_actions(env: Mapping[str, str] | None = None) -> bool:
    return (env if env is not None else os.environ).get("GITHUB_ACTIONS") == "true"


def get_input(name: str, default: str = "") -> str:
    """An input as the composite step passes it (``INPUT_<NAME>``, dashes as underscores), trimmed."""
    value = str(core.get_input(name.replace("-", "_")))
    return value if value else default


def get_bool_input(name: str, default: bool = False) -> bool:
    value = get_input(name)
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InputError(f"input {name} must be true or false, got {value!r}")


def get_choice_input(name: str, choices: tuple[str, ...], default: str) -> str:
    value = get_input(name, default)
    if value not in choices:
        raise InputError(f"input {name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def set_output(name: str, value: str | int) -> None:
    """Write a step output to ``GITHUB_OUTPUT`` (random heredoc delimiter); no-op without the file."""
    if os.environ.get("GITHUB_OUTPUT"):
        core.set_output(name, str(value))


def set_secret(secret: str) -> None:
    if secret and in_actions():
        with commands():
            core.set_secret(secret)


def _annotate(kind: str, message: str) -> None:
    """One line: an annotation in Actions (``nix-attest: <message>``), ``nix-attest: kind: ...`` elsewhere."""
    line = " ".join(message.split())
    if in_actions():
        with commands():
            {"warning": core.warning, "error": core.error, "notice": core.notice}[kind](f"nix-attest: {line}")
    else:
        sys.stderr.write(f"nix-attest: {kind}: {line}\n" if kind != "notice" else f"nix-attest: {line}\n")


def warning(message: str) -> None:
    _annotate("warning", message)


def error(message: str) -> None:
    _annotate("error", message)


def notice(message: str) -> None:
    _annotate("notice", message)


@contextmanager
def group(title: str) -> Iterator[None]:
    """A foldable log group in Actions; a plain heading line on stderr elsewhere."""
    if in_actions():
        with commands():
            core.start_group(title)
        try:
            yield
        finally:
            with commands():
                core.end_group()
    else:
        sys.stderr.write(f"nix-attest: {title}\n")
        yield


def summary_path() -> Path | None:
    value = os.environ.get("GITHUB_STEP_SUMMARY")
    return Path(value) if value else None


def append_summary(markdown: str, path: Path | None = None) -> Path | None:
    """Append Markdown to the step summary, keeping the file under 1 MiB; returns the path or None."""
    target = path or summary_path()
    if target is None:
        return None
    try:
        existing = target.read_bytes()
    except FileNotFoundError:
        existing = b""
    except OSError as exc:
        raise InputError(f"cannot read the job summary {target}: {exc.strerror or exc}") from exc
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    room = max(0, MAX_SUMMARY_BYTES - len(existing))
    note = "\n\n_(job summary truncated at GitHub's 1 MiB limit)_\n"
    addition = truncate(text, room, note, in_bytes=True).encode("utf-8")
    write_atomic(target, existing + addition)
    return target
