"""A Nickel policy reads no file outside its own directory: ``import "/etc/passwd" as 'Text`` used to put
the file into the report, the comment and the artifact."""

# ruff: noqa: E501  (the table of hostile policies reads best one case a line)

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers.hostile import write_sbom

from nix_attest.cli import main
from nix_attest.policy.nickel_imports import find_imports


def run_check(policy: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    sbom = policy.parent.parent / "sbom.json"
    write_sbom(sbom, "lib1")
    code = main(["check", str(sbom), "--policy", str(policy), "--format", "json"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    d = tmp_path / "policy"
    d.mkdir()
    (tmp_path / "secret.txt").write_text("TOP-SECRET-CONTENT\n")
    (tmp_path / "secret.ncl").write_text('"TOP-SECRET-CONTENT"')
    return d


def leak_policy(expr: str) -> str:
    return "{ validators = { leak = fun c => 'Error { message = %s } } }" % expr  # noqa: UP031


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ({"p.ncl": leak_policy("import \"/etc/passwd\" as 'Text")}, r"p\.ncl:1: import '/etc/passwd' is outside"),
        ({"p.ncl": leak_policy("import \"../secret.txt\" as 'Text")}, r"p\.ncl:1: import '\.\./secret\.txt' is outside"),
        ({"p.ncl": leak_policy('import "../secret.ncl"')}, r"import '\.\./secret\.ncl' is outside"),
        ({"p.ncl": "# a comment\n" + leak_policy("import # sneaky\n \"/etc/passwd\" as 'Text")}, r"p\.ncl:2: import"),
        ({"p.ncl": leak_policy("import \"\\u{2f}etc/passwd\" as 'Text")}, r"p\.ncl:1: an import must name a file with a plain string"),
        ({"p.ncl": leak_policy("m%\" %{import \"/etc/passwd\" as 'Text} \"%")}, r"import '/etc/passwd' is outside"),
        ({"p.ncl": leak_policy("import \".git/config\" as 'Text"), ".git/config": "token"}, r"hidden file"),
        ({"p.ncl": leak_policy('import "lib/h.ncl"'), "lib/h.ncl": "import \"../../secret.txt\" as 'Text"},
         r"lib/h\.ncl:1: import '\.\./\.\./secret\.txt' is outside"),
        ({"p.ncl": leak_policy("import \"link.txt\" as 'Text"), "link.txt": Path("../secret.txt")}, r"is outside"),
        ({"p.ncl": leak_policy("import \"data.json\" as 'Nickel"), "data.json": "import \"/etc/passwd\" as 'Text"},
         r"data\.json:1: import '/etc/passwd' is outside"),
        ({"p.ncl": leak_policy("import \"x.nix\" as 'Nix"), "x.nix": "1"}, r"Nix files cannot be imported"),
        ({"p.ncl": leak_policy("import \"x.txt\" as 'Nix"), "x.txt": "1"}, r"import format 'Nix is not allowed"),
        ({"p.ncl": leak_policy('%eval_nix% "builtins.readFile /etc/passwd"')}, r"%eval_nix% is not allowed"),
        ({"p.ncl": leak_policy("import pkg")}, r"an import must name a file with a plain string"),
        ({"p.ncl": leak_policy("import \"missing.txt\" as 'Text")}, r"no such file"),
        ({"p.ncl": Path("../secret.ncl")}, r"p\.ncl: the policy file is a link to a file outside its directory"),
    ],
)  # fmt: skip
def test_imports_outside_the_policy_directory_are_refused(
    files: dict[str, str | Path], problem: str, policy_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, content in files.items():
        path = policy_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            path.symlink_to(content)
        else:
            path.write_text(content)
    code, out, err = run_check(policy_dir / "p.ncl", capsys)
    assert code == 2, err
    assert re.fullmatch(r"nix-attest: error: [^\n]+\n", err), err
    assert re.search(problem, err), err
    assert "TOP-SECRET" not in out + err and "root:" not in out + err


def test_imports_inside_the_directory_work(policy_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (policy_dir / "lib").mkdir()
    (policy_dir / "lib" / "names.ncl").write_text('let b = import "banned.json" in { banned = b }')
    (policy_dir / "lib" / "banned.json").write_text('["lib1"]')
    (policy_dir / "note.txt").write_text("see the wiki")
    (policy_dir / "p.ncl").write_text(
        '# import "/etc/passwd" in a comment is not an import\n'
        'let names = import "lib/names.ncl" in\n'
        'let note = import "note.txt" as \'Text in\n'
        "{ validators = { banned = fun c =>\n"
        "    if std.array.elem c.name names.banned\n"
        '    then \'Error { message = "banned: import \\"/etc/passwd\\" (%{note})" } else \'Ok } }\n'
    )
    code, out, err = run_check(policy_dir / "p.ncl", capsys)
    assert code == 1, err
    report = json.loads(out)
    assert [v["message"] for v in report["violations"]] == [
        'lib1: banned: import "/etc/passwd" (see the wiki)'
    ]


@pytest.mark.parametrize(
    ("source", "targets"),
    [
        ('"a %{ import "b.ncl" } c"', ["b.ncl"]),
        ('m%%" x %{import "c.ncl"} "%%', []),  # one % in a m%%" string: no interpolation
        ('m%%" x %%{import "d.ncl"} "%%', ["d.ncl"]),
        ('m%" x %%%{import "e.ncl"} "%', ["e.ncl"]),  # extra % are literal, the last starts one
        ('nix-s%" %{import "f.ncl"} "%', ["f.ncl"]),
        ('m%" ""%{import "g.ncl"}"%', ["g.ncl"]),
        ('1e5m%" %{ import "h.ncl" } "%', ["h.ncl"]),  # a number, then a multiline string
        ('\'"import \\"x\\""', []),  # a quoted enum tag
        ("let imports = 1 in imports + import-x", []),
        ('{ a = { b = "}" }, c = import "i.ncl" as \'Json }', ["i.ncl"]),
        ('"%{ "%{ import "j.ncl" }" }"', ["j.ncl"]),
    ],
)
def test_lexer_finds_every_import(source: str, targets: list[str]) -> None:
    assert [i.target for i in find_imports(source)] == targets
