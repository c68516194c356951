"""The only place that executes ``nix``: locating it, detecting its version and features, running
commands, streaming progress, and turning Nix's errors into nix-attest errors."""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TextIO

from ..ansi import strip_ansi
from ..childenv import child_env
from ..errors import (
    EvalBudgetExceeded,
    InvalidStorePath,
    NixAttestError,
    NixBuildError,
    NixError,
    NixEvalError,
    NixNotFound,
    UnknownInstallable,
    UsageError,
)
from ..logsafe import raw
from ..sandbox import limit_address_space
from ..untrusted import loads_json
from . import confine
from .budget import EvalBudget, eval_budget
from .installable import Installable

INSTALL_HINT = (
    "install Nix first: on Debian/Ubuntu `apt-get install nix-bin`; in GitHub Actions add "
    "DeterminateSystems/nix-installer-action or cachix/install-nix-action before this step"
)
_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")
_UNKNOWN_PATTERNS = (
    "does not provide attribute",
    "cannot find flake",
    "does not exist",
    "is not a flake",
    "getting status of",
    "cannot find attribute",
    "not a valid flake reference",
    "cannot parse flake",
    "in selection path",
)
_FEATURES = "nix-command flakes"
_TAIL_BYTES = 32 * 1024  # the end of a long command's log, kept for its error message


def trim_nix_error(stderr: str, limit: int = 400) -> str:
    """The meaningful part of Nix's error output, on one line."""
    lines = [strip_ansi(line).rstrip() for line in stderr.splitlines()]
    start = None
    for i, line in enumerate(lines):
        if line.lstrip().startswith("error:"):
            start = i  # the last "error:" block is the most specific
    chosen = lines[start:] if start is not None else [ln for ln in lines if ln.strip()][-3:]
    text = " ".join(ln.strip() for ln in chosen if ln.strip() and not ln.strip().startswith("…"))
    text = text.removeprefix("error:").strip()
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class NixVersion:
    text: str  # full `nix --version` output, e.g. "nix (Determinate Nix 3.6.2) 2.29.0"
    major: int
    minor: int
    patch: int

    @property
    def number(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def at_least(self, major: int, minor: int) -> bool:
        return (self.major, self.minor) >= (major, minor)


def parse_version(text: str) -> NixVersion:
    matches = _VERSION.findall(text)
    if not matches:
        raise NixError(f"cannot parse the Nix version from {text.strip()!r}")
    major, minor, patch = matches[-1]  # Determinate Nix prints its own version first
    return NixVersion(text.strip(), int(major), int(minor), int(patch or 0))


@dataclass
class Nix:
    """A handle on the ``nix`` binary. ``quiet`` silences progress; ``extra_args`` go to every call."""

    binary: str | None = None
    quiet: bool = False
    extra_args: Sequence[str] = ()
    progress_stream: TextIO | None = field(default=None, repr=False)
    budget: EvalBudget = field(default_factory=eval_budget)  # of every quick command (see .budget)

    def __post_init__(self) -> None:
        found = self.binary or shutil.which("nix")
        if not found:
            raise NixNotFound("nix is not installed or not on PATH", hint=INSTALL_HINT)
        self.binary = found

    @cached_property
    def version(self) -> NixVersion:
        out = self._exec([str(self.binary), "--version"], what="nix --version").stdout
        return parse_version(out)

    @property
    def derivation_show(self) -> list[str]:
        """`nix derivation show` (2.15+) or `nix show-derivation` (older)."""
        return ["derivation", "show"] if self.version.at_least(2, 15) else ["show-derivation"]

    def drv_installable(self, drv_path: str) -> str:
        """A .drv as an installable for building all its outputs (``^*`` since Nix 2.13)."""
        return f"{drv_path}^*" if self.version.at_least(2, 13) else drv_path

    @cached_property
    def search_path(self) -> list[str]:
        """The user's Nix search path (``builtins.nixPath``, default channels included) as ``-I``
        arguments; our own expression, evaluated before any pull-request code."""
        out = self.run(["eval", "--json", "--impure", "--expr", "builtins.nixPath"], what="nix eval")
        try:
            return confine.search_path_args(loads_json(out))
        except ValueError as exc:
            raise NixError(f"unexpected output from nix eval builtins.nixPath: {exc}") from exc

    def installable_args(self, installable: Installable) -> list[str]:
        """The installable as ``nix`` arguments, its evaluation confined (see :mod:`.confine`): a Nix
        file under ``restrict-eval``; a flake's lock file checked and never updated."""
        if installable.kind == "file":
            assert installable.file is not None
            return [*confine.file_eval_args(installable.file, self.search_path), *installable.args]
        if installable.kind == "flake":
            assert installable.flake_ref is not None
            confine.check_flake_lock(installable.flake_ref)
            return ["--no-update-lock-file", *installable.args]
        return installable.args

    # --- running -----------------------------------------------------------------------------

    def command(self, args: Sequence[str]) -> list[str]:
        return [str(self.binary), "--extra-experimental-features", _FEATURES, *self.extra_args, *args]

    def run(
        self, args: Sequence[str], *, what: str, installable: str | None = None, timeout: float | None = None
    ) -> str:
        """Run a quick nix command (evaluation, derivation show, flake metadata, path-info) within
        :attr:`budget` and return stdout; stderr is kept for error messages. Over the budget is an
        :class:`EvalBudgetExceeded` (exit 2). With a shorter ``timeout`` (seconds) a command still
        running then is killed and is a :class:`NixError`."""
        proc = self._exec(self.command(args), what=what, installable=installable, timeout=timeout)
        return proc.stdout

    def run_long(self, args: Sequence[str], *, what: str, installable: str | None = None) -> str:
        """Run a long command (build, rebuild) showing progress: Nix's progress bar on a terminal,
        plain ``nix: `` log lines otherwise, nothing with ``quiet``. Nix's last output is kept either
        way, so a failure is explained (and classified) the same on a terminal and off it."""
        stream = self.progress_stream or sys.stderr
        live = stream.isatty() and not self.quiet
        if live:
            stream = raw(stream)  # Nix's own progress display, as `nix build` itself shows it
        cmd = self.command(["--log-format", "bar-with-logs" if live else "raw", *args])
        tail = bytearray()
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        partial = ""
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env()) as proc:
            assert proc.stderr is not None and proc.stdout is not None
            out_pipe = proc.stdout
            chunks: list[bytes] = []
            reader = threading.Thread(target=lambda: chunks.append(out_pipe.read()), daemon=True)
            reader.start()  # drain stdout while the log streams, so neither pipe can fill up
            while chunk := os.read(proc.stderr.fileno(), 65536):
                tail += chunk
                del tail[:-_TAIL_BYTES]
                if self.quiet:
                    continue
                text = decoder.decode(chunk)
                if live:
                    stream.write(text)
                    stream.flush()
                    continue
                *lines, partial = (partial + text).split("\n")
                for line in lines:
                    stream.write(f"nix: {strip_ansi(line).rstrip()}\n")
            if partial.strip() and not live and not self.quiet:
                stream.write(f"nix: {strip_ansi(partial).rstrip()}\n")
            reader.join()
            code = proc.wait()
        if code != 0:
            raise _classify(what, tail.decode("utf-8", errors="replace"), installable, build=True)
        return b"".join(chunks).decode("utf-8", errors="replace")

    def _exec(
        self, cmd: Sequence[str], *, what: str, installable: str | None = None, timeout: float | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``cmd`` within :attr:`budget` (``timeout``, when shorter, is the caller's own limit: a
        :class:`NixError`)."""
        budget = self.budget
        ours = timeout is None or (budget.seconds is not None and budget.seconds < timeout)
        seconds = budget.seconds if ours else timeout
        memory = budget.memory
        try:
            proc = subprocess.Popen(
                list(cmd),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=_env(),
                preexec_fn=None if memory is None else lambda: limit_address_space(memory),
            )
        except FileNotFoundError as exc:
            raise NixNotFound("nix is not installed or not on PATH", hint=INSTALL_HINT) from exc
        subject = f" of {installable!r}" if installable else ""
        try:
            stdout, stderr = proc.communicate(timeout=seconds)
        except subprocess.TimeoutExpired:
            _kill(proc)
            if ours:
                raise EvalBudgetExceeded(f"{what}{subject} {budget.over_time()}") from None
            raise NixError(f"{what} took longer than {seconds:g} s") from None
        except BaseException:  # Ctrl-C: Nix may not stop by itself
            _kill(proc)
            raise
        if proc.returncode != 0:
            how = _out_of_memory(proc.returncode, stderr) if memory is not None else None
            if how:
                raise EvalBudgetExceeded(f"{what}{subject} {budget.over_memory(how)}")
            raise _classify(what, stderr, installable, build=False)
        return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def _out_of_memory(code: int, stderr: str) -> str | None:
    """How a Nix that ran under an address-space limit died of it, if it did: Boehm GC's ``error: out
    of memory``, a C++ ``std::bad_alloc``, or a signal (an allocation failing where Nix cannot say so)."""
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    if "error: out of memory" in stderr or "std::bad_alloc" in stderr:
        return "out of memory"
    return None


def _kill(proc: subprocess.Popen[str]) -> None:
    """Kill Nix (``SIGKILL``: it ignores ``SIGTERM`` while it evaluates) and reap it. Our ends of its
    pipes are closed rather than read to the end: a git or ssh Nix started may still hold them. Nix
    stays in our process group, so a cancelled job's signal reaches it and what it started."""
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    proc.wait()


def _env() -> dict[str, str]:
    """The environment of every nix call: the job's, without its secrets (see :mod:`..childenv`)."""
    env = child_env()
    env.setdefault("NIX_PAGER", "cat")
    return env


def _classify(what: str, stderr: str, installable: str | None, *, build: bool) -> NixAttestError:
    message = trim_nix_error(stderr) if stderr else ""
    lowered = message.lower()
    subject = f" {installable!r}" if installable else ""
    if "is not valid" in lowered or "is not in the nix store" in lowered:
        return InvalidStorePath(f"store path not valid: {message}")
    if "requires lock file changes" in lowered:  # every flake command runs with --no-update-lock-file
        return UsageError(
            f"the lock file of{subject or ' the flake'} is missing or out of date: run `nix flake lock` and "
            "commit flake.lock (nix-attest never fetches an input the lock file does not pin)"
        )
    if any(p in lowered for p in _UNKNOWN_PATTERNS):
        return UnknownInstallable(f"unknown installable{subject}: {message}")
    if build:
        return NixBuildError(
            f"{what} of{subject or ' the installable'} failed: {message or 'see the log above'}"
        )
    if "error" in stderr.lower() or message:
        return NixEvalError(f"{what} failed{' for' + subject if subject else ''}: {message}")
    return NixError(f"{what} failed")
