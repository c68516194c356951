"""NAR sha256 of a real store path (needs Nix): equals the hash Nix records for the path."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from nix_attest.attest.provenance import _nar_digest
from nix_attest.errors import InvalidStorePath
from nix_attest.nix.hashes import to_hex
from nix_attest.nix.store import nar_sha256_hex

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


def test_flake_nar_hash_in_every_nix_encoding() -> None:
    """Older flake.lock files carry ``sha256:<nix base32>``; newer ones SRI: both give the digest."""
    hex_digest = "10551daed7fa467d0b58826e7eb9a0f2af7d693de319f2ef775fffcda244b9f6"
    assert _nar_digest("sha256-EFUdrtf6Rn0LWIJufrmg8q99aT3jGfLvd1//zaJEufY=") == {"sha256": hex_digest}
    assert _nar_digest("sha256:1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h") == {
        "sha256": hex_digest
    }
    assert _nar_digest("md5-xyz") == {}
    assert _nar_digest(None) == {}
