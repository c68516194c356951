"""CEL rules and Nickel policies from a pull request run within time and memory budgets: an expensive
expression or a non-terminating contract is one line naming the rule, exit 2, never a hang."""

# ruff: noqa: UP031  (Nickel sources are full of braces: %-formatting keeps them readable)

from __future__ import annotations

import os
import re
import stat
import sys
import time
from pathlib import Path

import pytest
from helpers.hostile import write_sbom

from nix_attest.cli import main
from nix_attest.errors import PolicyFileError
from nix_attest.policy.budgets import DEFAULT_BUDGETS, MAX_MEMORY, MAX_SECONDS, Budgets
from nix_attest.policy.load import load_policy
from nix_attest.policy.nickel_rules import BoundedRunner, read_nickel_policy
from nix_attest.sandbox import BudgetExceeded, Limits, Progress, run_limited

LIST = "[" + ",".join(str(i) for i in range(40)) + "]"
SLOW_CEL = f"{LIST}.map(a, {LIST}.map(b, {LIST}.map(c, {LIST}.map(d, {LIST}.map(e, a + e))))).size() > 0"
BIG_CEL = f'{LIST}.map(a, {LIST}.map(b, {LIST}.map(c, "{"x" * 4096}" + string(c)))).size() > 0'  # 256 MB
LOOP = "let rec loop = fun x => loop (x + 1) in loop 0"


def check(tmp_path: Path, policy: str, name: str = "p.yaml") -> tuple[int, float]:
    """``nix-attest check`` of a small SBOM against ``policy``: exit code and seconds taken."""
    sbom = tmp_path / "sbom.json"
    write_sbom(sbom, "lib0", "lib1", "lib2")
    path = tmp_path / name
    path.write_text(policy)
    started = time.monotonic()
    code = main(["check", str(sbom), "--policy", str(path)])
    return code, time.monotonic() - started


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert re.fullmatch(r"nix-attest: error: [^\n]+\n", err), err
    return err


def test_expensive_cel_rule_stops_at_its_time_budget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = (
        "budgets: {cel-seconds: 1}\nrules:\n"
        "  - {id: fine, expr: 'true', message: ok}\n"
        f"  - id: nested-maps\n    per: sbom\n    expr: '{SLOW_CEL}'\n    message: never\n"
    )
    code, took = check(tmp_path, policy)
    err = one_line(capsys)
    assert code == 2
    assert "CEL rule 'nested-maps' ran longer than 1 s (budgets.cel-seconds)" in err
    assert took < 30  # the budget is 1 s; minutes without it (slack for a loaded machine)


def test_cel_rule_over_its_memory_budget(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = (
        "budgets: {cel-memory: 64 MiB, cel-seconds: 60}\nrules:\n"
        f"  - id: hog\n    per: sbom\n    expr: '{BIG_CEL}'\n    message: never\n"
    )
    code, took = check(tmp_path, policy)
    err = one_line(capsys)
    assert code == 2
    assert (
        "CEL rule 'hog'" in err
        and "ran out of 64 MiB of memory or crashed" in err
        and "(budgets.cel-memory)" in err
    )
    assert took < 60


def test_cel_within_budget_still_reports_violations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = "rules:\n  - {id: no-lib1, expr: 'component.name != \"lib1\"', message: 'no {name}'}\n"
    code, _ = check(tmp_path, policy)
    out = capsys.readouterr().out
    assert code == 1
    assert "no lib1" in out


RANGE = "(std.array.range 0 3000)"
BUSY = (  # 2.7e10 additions in constant memory
    f"std.array.fold_left (fun a i => a + std.array.fold_left (fun b j => b + std.array.fold_left "
    f"(fun c k => c + k) 0 {RANGE}) 0 {RANGE}) 0 {RANGE}"
)


@pytest.mark.parametrize(("body", "kinds"), [(BUSY, "seconds"), (LOOP, "seconds|memory")])
def test_non_terminating_nickel_validator(
    body: str, kinds: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = (
        "{ validators = { fine = fun c => 'Ok, spin = fun c => if (%s) == 0 then 'Ok else 'Ok },\n"
        '  budgets = { "nickel-seconds" = 1 } }\n'
    ) % body
    code, took = check(tmp_path, policy, "p.ncl")
    err = one_line(capsys)
    assert code == 2
    assert re.search(rf"p\.ncl: Nickel rules? ('fine', )?'spin' .*\(budgets\.nickel-({kinds})\)", err), err
    assert took < 30  # the budget is 1 s; minutes without it (slack for a loaded machine)


def test_non_terminating_nickel_setting_while_reading(tmp_path: Path) -> None:
    path = tmp_path / "p.ncl"
    path.write_text('{ "fail-on" = %s }' % BUSY)
    started = time.monotonic()
    with pytest.raises(PolicyFileError, match=r"reading the Nickel policy ran longer than 1 s"):
        read_nickel_policy(path, BoundedRunner(Limits(1, DEFAULT_BUDGETS.nickel_memory)))
    assert time.monotonic() - started < 30


def test_nickel_validator_over_its_memory_budget(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = """{
  validators = {
    fine = fun c => 'Ok,
    hog = fun c =>
      if std.array.length (std.array.generate (fun i => [i, i, i]) 50000000) > 0 then 'Ok else 'Ok,
  },
  budgets = { "nickel-memory" = "64 MiB", "nickel-seconds" = 60 },
}
"""
    code, took = check(tmp_path, policy, "p.ncl")
    err = one_line(capsys)
    assert code == 2
    assert (
        "Nickel rule 'hog'" in err
        and "ran out of 64 MiB of memory or crashed" in err
        and "(budgets.nickel-memory)" in err
    )
    assert took < 60


def test_nickel_binary_is_bounded_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "nickel"
    shim.write_text("#!/bin/sh\nexec sleep 30\n")
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setitem(sys.modules, "nickel", None)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    runner = BoundedRunner(Limits(1, DEFAULT_BUDGETS.nickel_memory))
    started = time.monotonic()
    with pytest.raises(BudgetExceeded) as info:
        runner("1")
    assert info.value.kind == "time"
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    ("budgets", "problem"),
    [
        (
            "{cel-seconds: 1000}",
            r"p\.yaml:1: budgets\.cel-seconds: must be more than 0 and at most 300 seconds",
        ),
        ("{nickel-seconds: 0}", r"budgets\.nickel-seconds: must be more than 0 and at most 300"),
        ("{cel-memory: 8 GiB}", r"budgets\.cel-memory: must be between 64 MiB and 4 GiB"),
        ("{nickel-memory: 1024}", r"budgets\.nickel-memory: must be between 64 MiB and 4 GiB"),
        ("{cel-memory: lots}", r"budgets\.cel-memory: expected a byte count or a size"),
        ("{wall-clock: 5}", r"budgets\.wall-clock: unknown key"),
    ],
)
def test_budgets_are_capped(
    budgets: str, problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = check(tmp_path, f"budgets: {budgets}\n")
    err = one_line(capsys)
    assert code == 2
    assert re.search(problem, err), err


def test_budget_defaults_and_configuration(tmp_path: Path) -> None:
    assert Budgets(10.0, 2**30, 20.0, 2**30) == DEFAULT_BUDGETS
    assert (MAX_SECONDS, MAX_MEMORY) == (300.0, 4 * 2**30)
    path = tmp_path / "p.yaml"
    path.write_text(
        "budgets: {cel-seconds: 300, cel-memory: 512 MiB, nickel-seconds: 0.5, nickel-memory: 4 GiB}\n"
    )
    assert load_policy(path).budgets == Budgets(300.0, 512 * 2**20, 0.5, 4 * 2**30)
    path = tmp_path / "p.ncl"
    path.write_text('{ budgets = { "cel-seconds" = 3 } }')
    assert load_policy(path).budgets == Budgets(cel_seconds=3.0)


def test_sandbox_reports_progress_and_results() -> None:
    progress = Progress()

    def slow() -> int:
        progress.set(7)
        time.sleep(30)
        return 1

    with pytest.raises(BudgetExceeded) as info:
        run_limited(slow, Limits(0.5, 2**30), progress)
    assert (info.value.kind, info.value.progress) == ("time", 7)
    assert run_limited(lambda: {"a": [1, 2]}, Limits(5, 2**30)) == {"a": [1, 2]}
