from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture
def offline_nix(monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("nix") is None:
        pytest.skip("nix not installed")
    monkeypatch.setenv("NIX_CONFIG", "substituters =\n" + os.environ.get("NIX_CONFIG", ""))
