"""NAR sha256 of a real store path (needs Nix): equals the hash Nix records for the path."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from nix_attest.attest.digest import nar_sha256_hex, sri_to_hex
from nix_attest.errors import InvalidStorePath
from nix_attest.nix.hashes import to_hex

pytestmark = pytest.mark.nix


@pytest.fixture()
def store_path(tmp_path: Path) -> str:
    if shutil.which("nix-store") is None:
        pytest.skip("nix-store not installed")
    f = tmp_path / "nix-attest-nar-probe.txt"
    f.write_text("nar probe\n")
    out = subprocess.run(
        ["nix-store", "--option", "substituters", "", "--add", str(f)],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_nar_hash_matches_nix_database(store_path: str) -> None:
    recorded = subprocess.run(
        ["nix-store", "--query", "--hash", store_path], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert nar_sha256_hex(store_path) == to_hex(recorded)[1]


def test_missing_store_path_is_input_error() -> None:
    if shutil.which("nix-store") is None:
        pytest.skip("nix-store not installed")
    with pytest.raises(InvalidStorePath):
        nar_sha256_hex("/nix/store/00000000000000000000000000000000-missing")


def test_sri_to_hex() -> None:
    assert sri_to_hex("sha256-" + "A" * 43 + "=") == ("sha256", "00" * 32)
    assert sri_to_hex("sha256:" + "ab" * 32) == ("sha256", "ab" * 32)
    assert sri_to_hex("md5-xyz") is None
