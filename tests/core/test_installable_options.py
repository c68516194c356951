"""An installable is never read by Nix as an option: one starting with '-' is refused (exit 2), and
every installable or store path reaches `nix` after `--`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nix_attest.cli import main
from nix_attest.nix.installable import parse_installable
from nix_attest.nix.runner import Nix
from nix_attest.sbom.generate import generate_sbom

from .test_nix_versions import calls, current_nix  # noqa: F401  (the fixture)


@pytest.mark.parametrize(
    "argv",
    [
        ["build", "--", "--impure"],
        ["sbom", "-o", "out.json", "--", "--impure"],
        ["sbom", "-o", "out.json", "--", "-L"],
        ["run", "--", "--impure"],
        ["build", "-f", "default.nix", "-A=--impure"],
        ["sbom", "-o", "out.json", "-f", "default.nix", "--", "--option"],
    ],
)
def test_installable_starting_with_a_dash_is_exit_2(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "default.nix").write_text("{}")
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert re.fullmatch(
        r"nix-attest: error: installable '-[^\n]*' starts with '-': Nix would read it as an option\n", err
    )
    assert not (tmp_path / "out.json").exists()


def test_installables_reach_nix_after_double_dash(current_nix: tuple[Nix, Path], tmp_path: Path) -> None:  # noqa: F811
    nix, log = current_nix
    generate_sbom(None, file=str(tmp_path / "default.nix"), attr="app", nix=nix)
    made = [c for c in calls(log) if "--version" not in c and "builtins.nixPath" not in c]
    assert made
    for call in made:
        assert "--" in call, call
        after = call[call.index("--") + 1 :]
        assert after and not any(a.startswith("-") for a in after), call


def test_installable_args() -> None:
    assert parse_installable(".#app").args == ["--", ".#app"]
    assert parse_installable("/nix/store/" + "0" * 32 + "-x").args == ["--", "/nix/store/" + "0" * 32 + "-x"]
