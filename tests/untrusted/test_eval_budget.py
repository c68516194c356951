"""Evaluating a pull request's Nix code is bounded in time and memory: over the budget is one line naming
the limit, exit 2, never a hang (Nix catches infinite recursion, not a fold that runs for hours; and it
ignores SIGTERM while it evaluates)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nix_attest.errors import EvalBudgetExceeded, UsageError
from nix_attest.nix.budget import DEFAULT_MEMORY, DEFAULT_SECONDS, EvalBudget, eval_budget
from nix_attest.nix.runner import Nix

DATA = Path(__file__).resolve().parents[1] / "data" / "eval-budget"


def _sbom(nix_file: Path, tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    argv = ["sbom", "--no-build", "--quiet", "-f", str(nix_file), "-o", str(tmp_path / "sbom.json")]
    proc = subprocess.run(
        [sys.executable, "-m", "nix_attest.cli", *argv],
        capture_output=True,
        text=True,
        timeout=120,  # without a budget this would run for hours: the test fails instead
        check=False,
        env={**os.environ, **env},
    )
    return proc, time.monotonic() - start


def _stopped(nix_file: Path, tmp_path: Path, why: str, **env: str) -> None:
    """`sbom` of `nix_file` under the budget `env` sets: exit 2 well within the test's timeout, one line
    saying `why` (the limit, the input and the variable that set it), no SBOM written."""
    proc, took = _sbom(nix_file, tmp_path, **env)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == f"nix-attest: error: evaluation of '-f {nix_file} -A ' {why}\n"
    assert took < 30, took
    assert not (tmp_path / "sbom.json").exists()


def test_an_evaluation_that_runs_for_hours_is_stopped_at_the_time_budget(tmp_path: Path) -> None:
    why = "took longer than 2 s (eval-seconds, NIX_ATTEST_EVAL_SECONDS)"
    _stopped(DATA / "spin.nix", tmp_path, why, NIX_ATTEST_EVAL_SECONDS="2")


def test_an_evaluation_that_wants_gigabytes_is_stopped_at_the_memory_budget(tmp_path: Path) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("RLIMIT_AS is enforced on Linux only (macOS ignores it)")
    why = "ran out of its 1 GiB of memory (eval-memory, NIX_ATTEST_EVAL_MEMORY)"
    _stopped(DATA / "hog.nix", tmp_path, why, NIX_ATTEST_EVAL_MEMORY="1 GiB")


def test_within_the_budget_an_evaluation_is_unchanged(tmp_path: Path) -> None:
    ok = tmp_path / "ok.nix"
    ok.write_text(
        'derivation { name = "ok-1.0"; system = builtins.currentSystem; builder = "/bin/sh";'
        ' args = [ "-c" "echo ${toString (builtins.length (builtins.genList (x: x) 100000))} > $out" ]; }\n'
    )
    proc, _ = _sbom(ok, tmp_path, NIX_ATTEST_EVAL_SECONDS="60", NIX_ATTEST_EVAL_MEMORY="1 GiB")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "sbom.json").exists()


def test_the_caller_timeout_stays_a_nix_error_when_shorter() -> None:
    """``flake archive --dry-run`` has its own 120 s (a warning, exit 3 when raised): a shorter
    caller's timeout is not reported as the evaluation budget."""
    nix = Nix(quiet=True, budget=EvalBudget(seconds=60, memory=None))
    with pytest.raises(Exception) as exc:
        nix.run(["eval", "-f", str(DATA / "spin.nix"), "drvPath"], what="nix eval", timeout=1)
    assert not isinstance(exc.value, EvalBudgetExceeded)
    assert str(exc.value) == "nix eval took longer than 1 s"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, EvalBudget(DEFAULT_SECONDS, DEFAULT_MEMORY)),
        ({"NIX_ATTEST_EVAL_SECONDS": "", "NIX_ATTEST_EVAL_MEMORY": " "}, EvalBudget()),
        ({"NIX_ATTEST_EVAL_SECONDS": "90.5", "NIX_ATTEST_EVAL_MEMORY": "2 GiB"}, EvalBudget(90.5, 2 * 2**30)),
        (
            {"NIX_ATTEST_EVAL_SECONDS": "unlimited", "NIX_ATTEST_EVAL_MEMORY": "Unlimited"},
            EvalBudget(None, None),
        ),
        ({"NIX_ATTEST_EVAL_MEMORY": "536870912"}, EvalBudget(DEFAULT_SECONDS, 2**29)),
    ],
)
def test_budget_from_the_environment(env: dict[str, str], expected: EvalBudget) -> None:
    assert eval_budget(env) == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NIX_ATTEST_EVAL_SECONDS": "0"}, "NIX_ATTEST_EVAL_SECONDS='0': expected a number of seconds > 0"),
        (
            {"NIX_ATTEST_EVAL_SECONDS": "ten"},
            "NIX_ATTEST_EVAL_SECONDS='ten': expected a number of seconds > 0",
        ),
        (
            {"NIX_ATTEST_EVAL_SECONDS": "inf"},
            "NIX_ATTEST_EVAL_SECONDS='inf': expected a number of seconds > 0",
        ),
        (
            {"NIX_ATTEST_EVAL_MEMORY": "1 MiB"},
            "NIX_ATTEST_EVAL_MEMORY='1 MiB': expected a size of at least 256",
        ),
        (
            {"NIX_ATTEST_EVAL_MEMORY": "lots"},
            "NIX_ATTEST_EVAL_MEMORY='lots': expected a size of at least 256",
        ),
    ],
)
def test_a_bad_budget_is_exit_2_naming_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError) as exc:
        eval_budget(env)
    assert str(exc.value).startswith(message)


def test_a_bad_budget_through_the_cli(tmp_path: Path) -> None:
    proc, _ = _sbom(DATA / "spin.nix", tmp_path, NIX_ATTEST_EVAL_SECONDS="-1")
    assert proc.returncode == 2
    assert proc.stderr.startswith("nix-attest: error: NIX_ATTEST_EVAL_SECONDS='-1': expected a number")
    assert proc.stderr.count("\n") == 1


def test_over_time_returns_although_something_nix_started_still_holds_its_output(tmp_path: Path) -> None:
    """Killing Nix does not end a git or ssh it started: waiting for the end of its output would wait
    for them. The budget returns at once."""
    pids = tmp_path / "pids"
    fake = tmp_path / "nix"
    fake.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pids}\nexec sleep 300\n")
    fake.chmod(0o755)
    nix = Nix(binary=str(fake), quiet=True, budget=EvalBudget(seconds=1, memory=None))
    start = time.monotonic()
    try:
        with pytest.raises(EvalBudgetExceeded, match=r"^nix eval of 'x' took longer than 1 s"):
            nix.run(["eval"], what="nix eval", installable="x")
        assert time.monotonic() - start < 10
    finally:
        if pids.exists():
            os.kill(int(pids.read_text()), 9)
