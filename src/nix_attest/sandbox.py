"""Running untrusted computations (CEL rules, Nickel contracts from a pull request) in a child process
with a wall-clock and a memory budget.

The CEL and Nickel interpreters are Rust code called from Python: while they run, Python's signal
handlers cannot fire, so an in-process timeout cannot stop a non-terminating contract or an expression
with nested comprehensions. A forked child can be killed. The child inherits everything already
loaded (compiled programs, component views), so starting it costs about a millisecond, and it sends
its result back pickled through a pipe.
"""

from __future__ import annotations

import contextlib
import faulthandler
import mmap
import os
import pickle
import resource
import selectors
import signal
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar, cast

T = TypeVar("T")
Kind = Literal["time", "memory"]


class BudgetExceeded(Exception):
    """The child ran out of time or memory (or died); ``detail`` says how it died (``signal SIGABRT``,
    ``MemoryError``), ``progress`` is the last value it reported."""

    def __init__(self, kind: Kind, detail: str, progress: int) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.progress = progress


class ChildFailed(Exception):
    """The computation raised in the child; ``str()`` is ``TypeName: message``."""


@dataclass(frozen=True, slots=True)
class Limits:
    seconds: float
    memory: int  # bytes the child may allocate beyond what it inherits


class Progress:
    """One integer the child writes and the parent reads after a kill (e.g. the rule being evaluated)."""

    def __init__(self) -> None:
        self._map = mmap.mmap(-1, 8)
        self.set(-1)

    def set(self, value: int) -> None:
        struct.pack_into("q", self._map, 0, value)

    def get(self) -> int:
        return int(struct.unpack_from("q", self._map, 0)[0])


def _vm_size() -> int:
    """This process's virtual memory size in bytes (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def limit_memory(extra: int) -> None:
    """Cap this process's address space at its current size plus ``extra`` bytes (best effort: macOS
    does not enforce RLIMIT_AS)."""
    limit_address_space(_vm_size() + extra)


def limit_address_space(total: int) -> None:
    """Cap this process's address space at ``total`` bytes (for a child about to exec)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        total = min(total, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (total, hard))


def can_fork() -> bool:
    return hasattr(os, "fork")


def run_limited(fn: Callable[[], T], limits: Limits, progress: Progress | None = None) -> T:
    """``fn()`` in a forked child within ``limits``; its return value must pickle.

    Raises :class:`BudgetExceeded` when the time runs out (the child is killed) or the child dies
    without an answer (an allocation beyond the memory budget aborts the Rust interpreters), and
    :class:`ChildFailed` when ``fn`` raised."""
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        code = 0
        try:
            # the interpreters' own last words (a Rust "memory allocation failed" backtrace, Python's
            # faulthandler on abort) stay quiet
            faulthandler.disable()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            limit_memory(limits.memory)
            try:
                payload = pickle.dumps(("ok", fn()))
            except MemoryError:
                payload = pickle.dumps(("memory", "MemoryError"))
            except BaseException as exc:
                payload = pickle.dumps(("error", f"{type(exc).__name__}: {exc}"))
            with os.fdopen(write_fd, "wb") as out:
                out.write(payload)
        except BaseException:
            code = 70
        finally:
            os._exit(code)
    os.close(write_fd)
    deadline = time.monotonic() + limits.seconds
    chunks: list[bytes] = []
    timed_out = False
    with os.fdopen(read_fd, "rb", buffering=0) as pipe, selectors.DefaultSelector() as sel:
        sel.register(pipe, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                timed_out = True
                break
            chunk = pipe.read(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    at = progress.get() if progress is not None else -1
    if timed_out:
        raise BudgetExceeded("time", "killed", at)
    data = b"".join(chunks)
    if not data:
        code = os.waitstatus_to_exitcode(status)
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
        raise BudgetExceeded("memory", how, at)
    kind, value = pickle.loads(data)
    if kind == "ok":
        return cast(T, value)
    if kind == "memory":
        raise BudgetExceeded("memory", "MemoryError", at)
    raise ChildFailed(value)
