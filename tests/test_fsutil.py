"""Atomic writes: all or nothing, mode kept, one-line error naming the path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nix_attest.errors import OutputError
from nix_attest.fsutil import write_atomic


def test_replaces_content_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "secret.json"
    target.write_text("old")
    os.chmod(target, 0o600)
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret.json"]  # no temp file left behind


def test_new_file_is_0644(tmp_path: Path) -> None:
    write_atomic(tmp_path / "a" / "b.txt", b"x")
    assert (tmp_path / "a" / "b.txt").stat().st_mode & 0o777 == 0o644


def test_failure_names_the_path_and_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "keep.txt"
    target.write_text("old")
    with pytest.raises(OutputError, match="cannot write"):
        write_atomic(tmp_path / "keep.txt" / "child", "x")  # parent is a file
    assert target.read_text() == "old"
