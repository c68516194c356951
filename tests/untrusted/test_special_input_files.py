"""A file a pull request places where nix-attest reads one (the policy, an SBOM, a bundle, a Nickel
import) may be a link to /dev/zero (reading never ends), a FIFO (opening it waits forever), a directory
or huge: one line, exit 2, at once; never a hang or a memory blow-up."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.hostile import write_sbom

VECTORS = Path(__file__).resolve().parents[1] / "data" / "sigstore-vectors"
BUNDLE = VECTORS / "new_bundle.txt.sigstore.json"
ROOT = VECTORS / "production_trusted_root.json"
KINDS = ["dev-zero", "fifo", "directory", "huge"]


def _special(path: Path, kind: str) -> Path:
    if kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:  # sparse: 1.1 GiB on paper, no disk used
        with path.open("wb") as f:
            f.truncate(1100 * 2**20)
    return path


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nix_attest.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,  # a hang fails the test instead of the suite
        check=False,
        env={**os.environ, "GITHUB_ACTIONS": ""},
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "command",
    [
        ["check", "sbom.json", "--policy", "SPECIAL"],
        ["check", "SPECIAL", "--policy", "p.yaml"],
        ["diff", "SPECIAL", "sbom.json"],
        ["comment", "--body-file", "SPECIAL", "--pr", "1"],
        ["verify", "SPECIAL", "--file", "sbom.json", "--repository", "o/r", "--trust-root", str(ROOT)],
        ["verify", str(BUNDLE), "--file", "sbom.json", "--repository", "o/r", "--trust-root", "SPECIAL"],
        ["check", "sbom.json", "--policy", "p.ncl"],
    ],
    ids=["policy", "sbom", "diff", "body-file", "bundle", "trust-root", "nickel-import"],
)
def test_special_input_files_are_refused_at_once(command: list[str], kind: str, tmp_path: Path) -> None:
    write_sbom(tmp_path / "sbom.json", "zlib")
    special = _special(tmp_path / "special", kind)
    (tmp_path / "p.yaml").write_text("version: 1\n")
    (tmp_path / "p.ncl").write_text('{ version = 1, x = import "special" as \'Text }\n')
    proc = _run([str(special) if a == "SPECIAL" else a for a in command], tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    # a link to /dev/zero from a Nickel policy is refused first as a file outside the policy's directory
    expected = "not a regular file|larger than|outside the policy's directory"
    assert re.search(expected, proc.stderr), proc.stderr


FLAKE = """{ outputs = { self }: { packages.x86_64-linux.default = derivation {
  name = "a-1.0"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo > $out" ]; }; }; }
"""


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("target", ["flake.lock", "flake.nix", "file"])
def test_special_nix_files_are_refused_before_nix_reads_them(target: str, kind: str, tmp_path: Path) -> None:
    """Nix reads a flake.lock, flake.nix or ``-f`` file that is a link to /dev/zero until the evaluation
    budget kills it (600 s by default): refused at once instead."""
    if target == "file" and kind == "directory":
        pytest.skip("-f DIR is DIR/default.nix, which is the 'file' case")
    flake = tmp_path / "fl"
    flake.mkdir()
    if target == "file":
        special = _special(flake / "x.nix", kind)
        args = ["-f", str(special)]
    else:
        (flake / "flake.nix").write_text(FLAKE)
        if target == "flake.nix":
            (flake / "flake.nix").unlink()
        _special(flake / target, kind)
        args = [f"{flake}#default"]
    proc = _run(["sbom", "--no-build", "--quiet", *args, "-o", str(tmp_path / "sbom.json")], tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    name = "x.nix" if target == "file" else target
    assert re.search(f"{name}:? cannot be read: (not a regular file|larger than)", proc.stderr), proc.stderr
    assert not (tmp_path / "sbom.json").exists()
