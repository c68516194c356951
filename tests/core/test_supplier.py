"""Who made the SBOM and who supplies each component: parsing, the lock tree, the mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from nix_attest.errors import UsageError
from nix_attest.nix.flake import LockedRef, parse_flake_metadata
from nix_attest.nix.meta import Maintainer
from nix_attest.sbom.licenses import combine
from nix_attest.sbom.model import License, Party
from nix_attest.sbom.supplier import default_author, locked_supplier, origins, parse_author


@pytest.mark.parametrize(
    ("text", "party"),
    [
        ("ACME Corp <sbom@acme.example>", Party(name="ACME Corp", email="sbom@acme.example")),
        ("ACME <https://acme.example/sbom>", Party(name="ACME", url="https://acme.example/sbom")),
        ("Jane Doe", Party(name="Jane Doe")),
        ("<jane@example.org>", Party(email="jane@example.org")),
    ],
)
def test_parse_author(text: str, party: Party) -> None:
    assert parse_author(text) == party


@pytest.mark.parametrize("bad", ["<>", "a <b>", "a <javascript:alert(1)>", "x\ny", "a" * 400])
def test_bad_author(bad: str) -> None:
    with pytest.raises(UsageError, match="--author"):
        parse_author(bad)


def test_default_author_on_github() -> None:
    env = {"GITHUB_REPOSITORY": "octo/widgets", "GITHUB_SERVER_URL": "https://ghe.example/"}
    assert default_author(env) == Party(name="octo", url="https://ghe.example/octo")
    assert default_author(env, Party(name="given")) == Party(name="given")
    assert default_author({}) is None


LOCK = {
    "nodes": {
        "root": {"inputs": {"nixpkgs": "nixpkgs", "utils": "utils"}},
        "nixpkgs": {"locked": {"type": "github", "owner": "NixOS", "repo": "nixpkgs", "rev": "a" * 40}},
        "utils": {
            "inputs": {"nixpkgs": ["nixpkgs"], "systems": "systems"},
            "locked": {"type": "git", "url": "https://git.example.org/utils.git", "rev": "b" * 40},
        },
        "systems": {"locked": {"type": "path", "path": "/home/me/systems"}},
    },
    "root": "root",
    "version": 7,
}


def test_lock_tree_resolves_follows_and_names_owners() -> None:
    info = parse_flake_metadata(
        {"locked": {"type": "path", "path": "/src"}, "locks": LOCK, "path": "/nix/store/x-source"}, "."
    )
    tree = dict(info.lock_tree)
    assert set(tree) == {("nixpkgs",), ("utils",), ("utils", "systems")}  # the follows is nixpkgs itself
    assert info.local and info.path == "/nix/store/x-source"
    assert locked_supplier(tree[("nixpkgs",)]) == Party(name="NixOS", url="https://github.com/NixOS/nixpkgs")
    assert locked_supplier(tree[("utils",)]) == Party(url="https://git.example.org/utils.git")
    assert locked_supplier(tree[("utils", "systems")]) is None  # a local path names nobody
    assert locked_supplier(LockedRef("git", url="file:///home/me/x")) is None


def test_lock_tree_survives_a_cyclic_or_broken_lock() -> None:
    lock = {
        "nodes": {
            "root": {"inputs": {"a": "a", "b": ["missing", "x"], "c": 5}},
            "a": {"inputs": {"r": "root"}},
        },
        "root": "root",
    }
    info = parse_flake_metadata({"locked": {}, "locks": lock}, ".")
    assert info.lock_tree == ()  # `a` has no locked ref; nothing loops


def test_suppliers_follow_meta_position() -> None:
    info = parse_flake_metadata(
        {"locked": {"type": "path", "path": "/src"}, "locks": LOCK, "path": "/nix/store/app-source"}, "."
    )
    owner = Party(name="octo", url="https://github.com/octo/widgets")
    where = origins(
        flake=info,
        kind="flake",
        owner=owner,
        source_paths={(): "/nix/store/app-source", ("nixpkgs",): "/nix/store/np-source"},
    )
    jane = Maintainer(name="Jane", email="jane@example.org", github="jane")
    nixos = Party(name="NixOS", url="https://github.com/NixOS/nixpkgs")
    assert where.supplier("/nix/store/np-source/pkgs/zlib.nix:10", [jane]) == Party(
        name="NixOS", url=nixos.url, contacts=(Party(name="Jane", email="jane@example.org"),)
    )
    assert where.supplier("/nix/store/np-source/pkgs/zlib.nix:10") == nixos
    assert where.supplier("/nix/store/app-source/flake.nix:3") == owner
    assert where.supplier("/nix/store/np-source-other/x.nix:1") is None  # a prefix, not a directory
    assert where.supplier(None) is None
    assert where.supplier(None, root=True) == owner


def test_a_flake_without_inputs_supplies_everything_itself() -> None:
    info = parse_flake_metadata(
        {"locked": {"type": "github", "owner": "octo", "repo": "w"}, "url": "github:octo/w"}, "x"
    )
    where = origins(flake=info, kind="flake", owner=Party(name="someone else"))
    assert where.supplier(None) == Party(
        name="octo", url="https://github.com/octo/w"
    )  # the remote flake's owner
    assert origins(flake=None, kind="store-path", owner=Party(name="me")).supplier(None, root=True) is None


def test_several_licences_are_one_and_expression() -> None:
    got = combine((License("GPL-2.0-or-later OR MIT"), License("BSD-3-Clause")), "declared")
    assert got == (
        License(expression="(GPL-2.0-or-later OR MIT) AND BSD-3-Clause", acknowledgement="declared"),
    )
    # free text cannot be part of an SPDX expression: the list stays a list
    mixed = combine((License("MIT"), License(name="Custom")), "declared")
    assert [lic.label() for lic in mixed] == ["MIT", "Custom"]


def test_file_hashes_only_of_regular_files_within_the_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    from nix_attest.sbom import filehash

    d = tmp_path
    f = d / "f.tar.gz"
    f.write_bytes(b"payload")
    (d / "link").symlink_to(f)
    (d / "dir").mkdir()
    got = filehash.file_hashes(str(f))
    assert [(h.alg, h.content) for h in got] == [
        ("SHA-256", hashlib.sha256(b"payload").hexdigest()),
        ("SHA-512", hashlib.sha512(b"payload").hexdigest()),
    ]
    assert filehash.file_hashes(str(d / "link")) == ()  # a symlink's target is not what the path is
    assert filehash.file_hashes(str(d / "dir")) == ()
    assert filehash.file_hashes(str(d / "missing")) == ()
    monkeypatch.setattr(filehash, "MAX_BYTES", 3)
    assert filehash.file_hashes(str(f)) == ()  # bounded: a huge built output is not read


def test_flake_archive_for_suppliers_is_bounded_and_scrubbed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Supplier discovery asks `nix flake archive --dry-run` about the PR's flake: through the one Nix
    runner (the job's secrets scrubbed from its environment) and within a time bound, after which it
    is a NixError (generate then leaves suppliers unknown) and the process is gone."""
    import os
    import time

    from nix_attest.errors import NixError
    from nix_attest.nix import flake as nixflake
    from nix_attest.nix.runner import Nix

    seen = tmp_path / "env.txt"
    pid_file = tmp_path / "pid"
    script = tmp_path / "nix"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = --version ]; then echo "nix (Nix) 2.8.0"; exit 0; fi\n'
        f"env > {seen}\necho $$ > {pid_file}\nexec sleep 60\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_secret")
    monkeypatch.setattr(nixflake, "ARCHIVE_SECONDS", 1.0)
    start = time.monotonic()
    with pytest.raises(NixError, match="longer than 1 s"):
        nixflake.flake_source_paths(Nix(binary=str(script)), "path:/tmp/x")
    assert time.monotonic() - start < 10
    assert "ghs_secret" not in seen.read_text() and "GITHUB_TOKEN" not in seen.read_text()
    pid = int(pid_file.read_text())
    time.sleep(0.2)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
