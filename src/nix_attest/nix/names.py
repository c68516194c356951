"""Store path and derivation name helpers (Nix's own rules)."""

from __future__ import annotations

import re

STORE_DIR = "/nix/store"
_HASH_PART = re.compile(r"^[0-9a-df-np-sv-z]{32}-")


def parse_drv_name(name: str) -> tuple[str, str | None]:
    """Split ``name`` like Nix's ``builtins.parseDrvName``: the version starts at the first ``-``
    followed by a digit (``hello-2.12.1`` -> ``("hello", "2.12.1")``)."""
    for i, ch in enumerate(name):
        if ch == "-" and i + 1 < len(name) and name[i + 1].isdigit():
            return name[:i], name[i + 1 :]
    return name, None


def store_path_name(path: str) -> str:
    """``/nix/store/<hash>-hello-1.0`` -> ``hello-1.0`` (and strips a ``.drv`` suffix)."""
    base = path.rstrip("/").rsplit("/", 1)[-1]
    base = _HASH_PART.sub("", base, count=1)
    return base[:-4] if base.endswith(".drv") else base


def absolute(path: str, store_dir: str = STORE_DIR) -> str:
    """Derivation JSON v3+ prints base names; make them full store paths."""
    return path if path.startswith("/") else f"{store_dir}/{path}"
