from __future__ import annotations

from pathlib import Path

import pytest
from helpers.gitrepo import git
from helpers.report_fixtures import comp, sbom, two_commit_flake

from nix_attest.errors import InputError
from nix_attest.gitrepo import resolve_commit
from nix_attest.sbom.base import base_sbom_from_git, rebase_installable
from nix_attest.sbom.diff import ComponentEntry, LicenseChange, VersionChange, diff_sboms


def test_added_removed_changed_and_sizes() -> None:
    root_a = comp("app", "1.0", size=10)
    root_b = comp("app", "1.1", size=12)
    base = sbom(root_a, comp("zlib", "1.3", lic=("Zlib",), size=100), comp("old", "1", size=5))
    head = sbom(
        root_b, comp("zlib", "1.3.1", lic=("Zlib",), size=110), comp("new", "2", lic=("MIT",), size=7)
    )
    d = diff_sboms(base, head)
    assert [e.label() for e in d.added] == ["new 2"]
    assert d.added[0].licenses == ("MIT",) and d.added[0].runtime
    assert [e.label() for e in d.removed] == ["old 1"]
    assert [(c.name, c.old, c.new) for c in d.changed] == [
        ("app", ("1.0",), ("1.1",)),
        ("zlib", ("1.3",), ("1.3.1",)),
    ]
    assert d.license_changes == ()
    assert (d.base_runtime_size, d.head_runtime_size, d.size_delta) == (115, 129, 14)
    assert not d.empty


def test_identical_is_empty() -> None:
    s = sbom(comp("app", "1"), comp("a", "1", lic=("MIT",)))
    d = diff_sboms(s, s)
    assert d.empty and d.size_delta == 0


def test_licence_change_and_unknown_size() -> None:
    base = sbom(comp("app", "1"), comp("a", "1", lic=("MIT",), size=None))
    head = sbom(comp("app", "1"), comp("a", "1", lic=("Apache-2.0", "MIT")))
    d = diff_sboms(base, head)
    assert d.license_changes == (LicenseChange("a", "1", ("MIT",), ("Apache-2.0", "MIT")),)
    assert d.changed == () and d.size_delta is None


def test_a_source_named_like_its_package_does_not_hide_a_licence_change() -> None:
    # `hello-2.12.1.tar.gz` parses as hello 2.12.1, like the package it builds; it has no licence,
    # and its store path may sort before the package's
    src = comp("hello", "2.12.1", ref="/nix/store/0-hello-2.12.1.tar.gz", closure="buildtime")
    gpl = comp("hello", "2.12.1", lic=("GPL-3.0-or-later",), ref="/nix/store/z-h")
    base = sbom(comp("app", "1"), src, gpl)
    head = sbom(comp("app", "1"), src, comp("hello", "2.12.1", lic=("MIT",), ref="/nix/store/z-h"))
    d = diff_sboms(base, head)
    assert d.license_changes == (LicenseChange("hello", "2.12.1", ("GPL-3.0-or-later",), ("MIT",)),)
    assert d.added == d.removed == () and d.changed == ()


def test_multiple_versions_of_one_name() -> None:
    base = sbom(
        comp("app", "1"),
        comp("openssl", "1.1", ref="/nix/store/a-o"),
        comp("openssl", "3.0", ref="/nix/store/b-o"),
    )
    head = sbom(
        comp("app", "1"),
        comp("openssl", "3.0", ref="/nix/store/b-o"),
        comp("openssl", "3.1", ref="/nix/store/c-o"),
    )
    d = diff_sboms(base, head)
    assert d.changed == (VersionChange("openssl", ("1.1",), ("3.1",), ("/nix/store/c-o",)),)
    head2 = sbom(comp("app", "1"), *base.components, comp("openssl", "3.2", ref="/nix/store/d-o"))
    d2 = diff_sboms(base, head2)
    assert [e.label() for e in d2.added] == ["openssl 3.2"] and d2.changed == ()


def test_closure_kinds_must_match() -> None:
    with pytest.raises(InputError, match="cannot compare a buildtime SBOM with a runtime SBOM"):
        diff_sboms(sbom(comp("a", "1"), closure="buildtime"), sbom(comp("a", "1")))


def test_rebase_installable(tmp_path: Path) -> None:
    top, tree = tmp_path / "repo", tmp_path / "wt"
    sub = top / "pkgs"
    assert rebase_installable(".#app", top, top, tree) == f"{tree}#app"
    assert rebase_installable("./pkgs#app", top, top, tree) == f"{tree}/pkgs#app"
    assert rebase_installable(".#app", sub, top, tree) == f"{tree}/pkgs#app"
    assert rebase_installable("path:.#x", top, top, tree) == f"path:{tree}#x"
    assert rebase_installable("github:o/r#x", top, top, tree) == "github:o/r#x"
    assert rebase_installable("/elsewhere#x", top, top, tree) == "/elsewhere#x"


@pytest.mark.nix
def test_two_commits_give_exactly_the_changes(
    tmp_path: Path, offline_nix: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nix_attest.sbom.generate import generate_sbom

    repo = tmp_path / "repo"
    two_commit_flake(repo)
    monkeypatch.chdir(repo)
    base = base_sbom_from_git("HEAD~1", ".#default", repo_dir=repo)
    head = generate_sbom(".#default", closure="buildtime", build=False, quiet=True)
    assert base.meta.installable == ".#default@HEAD~1"
    d = diff_sboms(base, head)
    assert [(e.name, e.version, e.licenses) for e in d.added] == [("colorize", "2.0", ("ISC",))]
    assert d.removed == ()
    assert [(c.name, c.old, c.new) for c in d.changed] == [("libgreet", ("1.2.0",), ("1.3.0",))]
    assert d.license_changes == (LicenseChange("build-tool", "0.9", ("BSD-3-Clause",), ("MIT",)),)
    assert d.size_delta is None  # buildtime: nothing built, sizes unknown
    # the worktree is gone and the checkout untouched
    assert git(repo, "worktree", "list").count("\n") == 0
    assert "1.3.0" in (repo / "flake.nix").read_text()


@pytest.mark.nix
def test_unknown_ref(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    two_commit_flake(repo)
    with pytest.raises(InputError, match="git ref 'nope' not found"):
        resolve_commit("nope", repo)
    assert resolve_commit("main", repo) == git(repo, "rev-parse", "HEAD")


def test_entry_label() -> None:
    assert ComponentEntry("a", None, "r", (), True).label() == "a"
