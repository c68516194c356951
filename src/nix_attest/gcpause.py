"""Pausing CPython's cyclic garbage collector while a large SBOM is read, assembled or written.

Making the SBOM of a large graph allocates a few million objects that all stay alive until the
document is written: the parsed JSON of ``nix derivation show`` and ``nix eval`` (22 MB and 9 MB for
20,000 derivations), the derivation and component records, the document's dicts. None of them form
reference cycles, so reference counting frees every one of them; but the cyclic collector re-walks all
live objects on each full collection, and the growing heap triggers several. Measured on the 20,000-
derivation benchmark graph (``bench/sbom_scale.py``, Python 3.11, Nix's output replayed so only Python
runs): 3.0 s of CPU with the collector, 1.5 s with it paused; the same peak RSS (233 MiB), and a
collection right after the paused run found 552 cyclic objects (the interpreter's own, from imports).

Only for bounded work of this kind, which creates no cyclic garbage to speak of (a Nix build it waits
for runs in another process): the collector runs again as soon as the work is done, unless something
else had disabled it before.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic collector off for the ``with`` block, restored to its previous state after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def without_gc(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator: ``fn`` runs inside :func:`paused_gc`."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with paused_gc():
            return fn(*args, **kwargs)

    return wrapper
