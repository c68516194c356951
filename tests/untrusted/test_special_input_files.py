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
