"""Test-wide guards: no test may reach the network; only loopback and Unix sockets are allowed."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _check(address: Any) -> None:
    if isinstance(address, (str, bytes)):  # AF_UNIX
        return
    host = address[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError as exc:
        raise RuntimeError(f"test tried to connect to a host name {host!r}: tests stay offline") from exc
    if not ip.is_loopback:
        raise RuntimeError(f"test tried to reach {host}: tests may only use loopback addresses")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check(address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host not in (None, "localhost", b"localhost"):
        try:
            ip = ipaddress.ip_address(host.decode() if isinstance(host, bytes) else host)
        except ValueError as exc:
            raise RuntimeError(f"test tried to resolve {host!r}: tests stay offline") from exc
        if not ip.is_loopback:
            raise RuntimeError(f"test tried to reach {host}: tests may only use loopback addresses")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    mp = pytest.MonkeyPatch()
    mp.setattr(socket.socket, "connect", _guarded_connect)
    mp.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    mp.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)
    yield
    mp.undo()


# Nix in tests: never wait for a binary cache (no network here).
os.environ.setdefault("NIX_CONFIG", "substituters =\nwarn-dirty = false")
# nix-attest's cache (the NVD database) in tests: an empty directory, never the user's ~/.cache
os.environ["NIX_ATTEST_CACHE_DIR"] = tempfile.mkdtemp(prefix="nix-attest-test-cache-")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `nix` need a working nix; in CI a missing nix is a failure, not a skip."""
    if shutil.which("nix") or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="nix is not installed (CI installs it)")
    for item in items:
        if "nix" in item.keywords:
            item.add_marker(skip)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under mutmut (``make mutation``) each mutant's tests run in a process forked from one that has
    already run them, so a memoised function (``functools.cache``/``lru_cache``) would answer from the
    unmutated code and hide its mutants: clear every nix_attest cache before the mutant's tests run."""
    if not os.environ.get("MUTANT_UNDER_TEST"):
        return
    for name, module in list(sys.modules.items()):
        if name == "nix_attest" or name.startswith("nix_attest."):
            for value in list(vars(module).values()):
                clear = getattr(value, "cache_clear", None)
                if callable(clear):
                    clear()
