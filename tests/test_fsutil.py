"""Atomic writes: all or nothing, mode kept, one-line error naming the path."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import threading
import time
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
    write_atomic(tmp_path / "a" / "b" / "c.txt", b"x")  # missing parents are made
    assert (tmp_path / "a" / "b" / "c.txt").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "a" / "b" / "c.txt").read_bytes() == b"x"


def test_text_is_written_as_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_atomic("plain.txt", "zoë ✓")  # a bare file name: written in the current directory
    assert (tmp_path / "plain.txt").read_bytes() == "zoë ✓".encode()


def test_failure_names_the_path_and_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "keep.txt"
    target.write_text("old")
    with pytest.raises(OutputError) as info:
        write_atomic(tmp_path / "keep.txt" / "child", "x")  # parent is a file
    assert str(info.value) == f"cannot write {tmp_path / 'keep.txt' / 'child'}: Not a directory"
    assert target.read_text() == "old"


def test_a_reader_of_the_old_file_never_sees_a_torn_or_new_one(tmp_path: Path) -> None:
    """Atomic means a new file renamed over the old: whoever has the old one open keeps reading it whole."""
    target = tmp_path / "sbom.json"
    target.write_text("old content")
    with open(target, encoding="utf-8") as reader:
        write_atomic(target, "new content, longer")
        assert reader.read() == "old content"
    assert target.read_text() == "new content, longer"


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "sbom.json"
    target.write_text("old")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OutputError) as info:
        write_atomic(target, "new" * 1000)
    assert str(info.value) == f"cannot write {target}: No space left on device"
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["sbom.json"]


def test_a_fifo_is_written_through_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as fh:
            got.append(fh.read())

    reader = threading.Thread(target=read)
    reader.start()
    payload = b"through the pipe\n" * 100_000  # 1.7 MB: far more than a pipe holds, so writes block
    for _ in range(100):  # until the reader has the FIFO open
        try:
            write_atomic(fifo, payload)
            break
        except OutputError as exc:
            assert "nothing is reading" in str(exc)
            time.sleep(0.02)
    reader.join(10)
    assert got == [payload]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_fifo_without_reader_is_an_error_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="nothing is reading from this pipe"):
        write_atomic(fifo, "x")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_link_to_proc_self_fd_writes_to_that_descriptor(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    link = tmp_path / "stdout"
    link.symlink_to(f"/proc/self/fd/{write_end}")
    try:
        write_atomic(link, "to the descriptor")
        os.close(write_end)
        with os.fdopen(read_end, "rb") as fh:
            assert fh.read() == b"to the descriptor"
    finally:
        with contextlib.suppress(OSError):
            os.close(write_end)
    assert link.is_symlink()


def test_a_link_to_dev_null_stays_a_link_and_dev_null_a_device(tmp_path: Path) -> None:
    link = tmp_path / "null"
    link.symlink_to("/dev/null")
    write_atomic(link, "discarded")
    assert link.is_symlink() and os.readlink(link) == "/dev/null"


def test_a_character_device_and_a_link_to_it_are_written_through(tmp_path: Path) -> None:
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # the null device, as root
    except PermissionError:
        pytest.skip("mknod needs privileges")
    write_atomic(device, "discarded")
    link = tmp_path / "out.json"
    link.symlink_to(device)  # a link to a device outside /dev
    write_atomic(link, "discarded")
    assert stat.S_ISCHR(os.lstat(device).st_mode) and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null", "out.json"]


def test_a_device_that_fails_is_one_error_line(tmp_path: Path) -> None:
    link = tmp_path / "out.json"
    link.symlink_to("/dev/full")  # every write: ENOSPC
    with pytest.raises(OutputError) as info:
        write_atomic(link, "x")
    assert str(info.value) == f"cannot write {link}: No space left on device"


def test_dev_stdout_onto_a_longer_file_truncates_it(tmp_path: Path) -> None:
    """``-o /dev/stdout > file``: the descriptor's file gets exactly the new content, as the shell's ``>``."""
    out = tmp_path / "stdout.txt"
    out.write_text("old content that is much longer than the new one")
    fd = os.open(out, os.O_WRONLY)
    try:
        write_atomic(f"/proc/self/fd/{fd}", "new")
    finally:
        os.close(fd)
    assert out.read_text() == "new"


def test_a_socket_is_refused(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        with pytest.raises(OutputError) as info:
            write_atomic(path, "x")
    assert str(info.value) == f"cannot write {path}: not a regular file, character device or pipe"


def test_the_temp_file_is_made_beside_the_target(tmp_path: Path) -> None:
    """The rename is atomic only within one file system: the temp file goes in the target's directory."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tempfile.gettempdir()).st_dev:
        pytest.skip("needs a second file system at /dev/shm")
    target = Path(tempfile.mkdtemp(dir=shm)) / "sbom.json"
    try:
        write_atomic(target, "x")
        assert target.read_text() == "x"
    finally:
        target.unlink(missing_ok=True)
        target.parent.rmdir()


def test_links_to_regular_files_and_directories_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    link = tmp_path / "report.md"
    link.symlink_to(outside)
    with pytest.raises(OutputError, match=r"report\.md: it is a symbolic link \(to .*outside\.txt\)"):
        write_atomic(link, "x")
    assert outside.read_text() == "keep" and link.is_symlink()
    dangling = tmp_path / "sbom.json"
    dangling.symlink_to(tmp_path / "nowhere" / "x")
    with pytest.raises(OutputError, match="symbolic link"):
        write_atomic(dangling, "x")
    assert not (tmp_path / "nowhere").exists()
    with pytest.raises(OutputError, match="it is a directory"):
        write_atomic(tmp_path, "x")


def test_the_half_written_file_is_hidden_and_never_matches_the_targets_glob(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the data is written, the directory holds a dot-file ending in .tmp: a reader globbing
    ``*.json`` (an artifact upload, a watcher) never picks up a partial SBOM."""
    seen: list[str] = []
    real_fsync = os.fsync

    def look(fd: int) -> None:
        seen.extend(p.name for p in tmp_path.iterdir())
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", look)
    write_atomic(tmp_path / "sbom.json", "{}")
    assert len(seen) == 1
    assert seen[0].startswith(".sbom.json.") and seen[0].endswith(".tmp"), seen
    assert not list(tmp_path.glob("*.json.*")) and [p.name for p in tmp_path.iterdir()] == ["sbom.json"]


def test_a_device_that_cannot_be_opened_is_one_error_line(tmp_path: Path) -> None:
    try:
        os.close(os.open("/dev/tty", os.O_WRONLY))
        pytest.skip("this process has a terminal")
    except OSError:
        pass
    link = tmp_path / "out.json"
    link.symlink_to("/dev/tty")
    with pytest.raises(OutputError) as info:
        write_atomic(link, "x")
    assert str(info.value) == f"cannot write {link}: No such device or address"


def test_an_impossible_path_is_one_error_line(tmp_path: Path) -> None:
    target = tmp_path / ("x" * 300)  # longer than any file name may be
    with pytest.raises(OutputError) as info:
        write_atomic(target, "x")
    assert str(info.value) == f"cannot write {target}: File name too long"


def test_a_directory_that_cannot_be_made_is_one_error_line() -> None:
    """The parent directories are made first; when that fails (here: /proc refuses new entries) the
    error names the target and what the system said, and nothing is written."""
    target = Path("/proc/nix-attest-no-such-dir/out.json")
    with pytest.raises(OutputError) as info:
        write_atomic(target, "{}")
    assert str(info.value) == f"cannot write {target}: No such file or directory"
    assert not target.parent.exists()
