"""Fixtures for the vulnerability tests: the fixture flake (tests/data/vuln/flake) and its SBOMs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers.nvd_data import DATA, real_cves, write_feed

from nix_attest.github import http
from nix_attest.sbom.generate import generate_sbom
from nix_attest.sbom.model import Sbom

FLAKE = DATA / "flake"


def copy_flake(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for f in FLAKE.iterdir():
        shutil.copy(f, dest / f.name)
    return dest


@pytest.fixture(scope="session")
def vuln_flake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_flake(tmp_path_factory.mktemp("vulnflake") / "flake")


@pytest.fixture(scope="session")
def vuln_sbom(vuln_flake: Path) -> Sbom:
    """The fixture's buildtime SBOM (evaluation only: the vendored sources are in it)."""
    return generate_sbom(f"path:{vuln_flake}#default", closure="buildtime", build=False, quiet=True)


@pytest.fixture(scope="session")
def nvd_feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every real NVD record in one NVD 2.0 feed file."""
    d = tmp_path_factory.mktemp("feeds")
    return write_feed(d / "nvdcve-2.0-fixture.json.gz", list(real_cves().values()))


@pytest.fixture(autouse=True)
def retry_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The shared HTTP client's waits (backoff, Retry-After), recorded instead of slept."""
    waits: list[float] = []
    monkeypatch.setattr(http, "_sleep", waits.append)
    return waits
