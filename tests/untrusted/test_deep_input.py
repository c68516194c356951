"""Deeply nested JSON and YAML, recursive aliases and alias bombs: one line, the documented exit code,
quickly — never a RecursionError (exit 3) or a hang."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from helpers.hostile import small_sbom

from nix_attest.cli import main
from nix_attest.errors import InputError
from nix_attest.github.context import pull_request_context
from nix_attest.untrusted import MAX_DEPTH, TooDeep, exceeds_depth, loads_json

VECTORS = Path(__file__).resolve().parents[1] / "data" / "sigstore-vectors"


def nested(depth: int, kind: str = "list") -> str:
    return "[" * depth + "]" * depth if kind == "list" else '{"a":' * depth + "1" + "}" * depth


def sbom_with(extra: str) -> str:
    doc = json.dumps(small_sbom())
    return doc[:-1] + ', "x": ' + extra + "}"


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    started = time.monotonic()
    code = main(argv)
    assert time.monotonic() - started < 30
    err = capsys.readouterr().err
    assert re.fullmatch(r"nix-attest: error: [^\n]+\n", err), err
    return code, err


@pytest.mark.parametrize("depth", [150, 950, 100_000])
@pytest.mark.parametrize("kind", ["list", "object"])
def test_deep_json_inputs(depth: int, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(nested(depth, kind))
    sbom = tmp_path / "sbom.json"
    sbom.write_text(sbom_with(nested(depth, kind)))
    policy = tmp_path / "p.yaml"
    policy.write_text("fail-on: error\n")
    good_sbom = tmp_path / "good.json"
    good_sbom.write_text(json.dumps(small_sbom()))
    cases: list[tuple[list[str], int]] = [
        (["check", str(sbom), "--policy", str(policy)], 2),
        (["check", str(deep), "--policy", str(policy)], 2),
        (["diff", str(sbom), str(sbom)], 2),
        (["sign", "--sbom", str(sbom), "-o", str(tmp_path / "o"), "--identity-token", "a.b.c"], 2),
        (["comment", "--sbom", str(good_sbom), "--check-json", str(deep), "--pr", "1", "--repository", "o/r"],
         2),
        (["verify", str(deep), "--file", str(deep), "--repository", "o/r"], 1),  # a bundle: exit 1
        (
            [
                "verify", str(VECTORS / "new_bundle.txt.sigstore.json"), "--file",
                str(VECTORS / "new_bundle.txt"), "--repository", "o/r", "--trust-root", str(deep),
            ],
            2,
        ),
    ]  # fmt: skip
    for argv, expected in cases:
        code, err = run_cli(argv, capsys)
        assert code == expected, (argv, err)
        assert f"nested deeper than {MAX_DEPTH} levels" in err, (argv, err)


def test_deep_event_payload(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(nested(5000, "object"))
    with pytest.raises(InputError, match=r"GitHub event file .* nested deeper than"):
        pull_request_context({"GITHUB_EVENT_PATH": str(event)})
    event.write_text('{"pull_request": {"number": 7, "base": {"ref": "main", "sha": "abc"}}}')
    assert pull_request_context({"GITHUB_EVENT_PATH": str(event)}).number == 7


def test_depth_limit_is_exact() -> None:
    assert loads_json(nested(MAX_DEPTH)) is not None
    with pytest.raises(TooDeep):
        loads_json(nested(MAX_DEPTH + 1))
    assert not exceeds_depth({"a": [{"b": 1}]}, 3)
    assert exceeds_depth({"a": [{"b": {}}]}, 3)
    assert not exceeds_depth("scalar", 0)
    with pytest.raises(json.JSONDecodeError):
        loads_json("{nope")


BOMB = """fail-on: error
rules:
  - id: r
    expr: "true"
    message: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
x:
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""
MERGE_BOMB = "fail-on: error\na0: &a0 {k: 1, l: 2}\n" + "".join(
    f"a{i}: &a{i} {{<<: [{', '.join([f'*a{i - 1}'] * 9)}]}}\n" for i in range(1, 10)
)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (BOMB, r"p\.yaml:10: YAML aliases expand to more than 10000 extra nodes"),
        (MERGE_BOMB, r"p\.yaml:\d+: YAML aliases expand to more than 10000 extra nodes"),
        ("fail-on: error\nx: &a [1, *a]\n", r"p\.yaml:2: a YAML alias refers to itself"),
        ("fail-on: error\nx: " + nested(65) + "\n", r"p\.yaml:2: nested deeper than 64 levels"),
        ("fail-on: error\nx: " + nested(5000) + "\n", r"p\.yaml: nested deeper than 64 levels"),
        ("fail-on: error\nfail-on: warning\n", r"p\.yaml:2: duplicate key 'fail-on'"),
        ("fail-on: error\n1: x\n", r"p\.yaml:2: a key must be text, not '1' \(quote it\)"),
        ("?\n", r"p\.yaml:1: a key must be text, not 'null'"),
        ("? [a]\n: b\n", r"p\.yaml:1: a key must be text, not 'a list or mapping'"),
    ],
)
def test_hostile_yaml_policy(
    text: str, problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(text)
    sbom = tmp_path / "sbom.json"
    sbom.write_text(json.dumps(small_sbom()))
    code, err = run_cli(["check", str(sbom), "--policy", str(policy)], capsys)
    assert code == 2, err
    assert re.search(problem, err), err


def test_aliases_within_budget_still_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "fail-on: error\nlicenses:\n  allow: &ok [MIT, BSD-3-Clause]\n  deny: [GPL-3.0-only]\n"
        "packages:\n  deny:\n    - name: evil\n      reason: &why banned here\n"
        "    - name: bad\n      reason: *why\n"
    )
    sbom = tmp_path / "sbom.json"
    sbom.write_text(json.dumps(small_sbom()))
    assert main(["check", str(sbom), "--policy", str(policy)]) == 0, capsys.readouterr().err
