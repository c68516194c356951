"""Nickel policies, evaluated for real with py-nickel (and through the binary fallback)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from nix_attest.errors import EXIT_EXTERNAL, EXIT_USAGE, PolicyFileError
from nix_attest.policy import evaluate, load_policy
from nix_attest.policy.nickel_rules import NickelMissing, default_runner, strip_ansi, summarize
from nix_attest.sbom.model import FixedOutput, Sbom

from .conftest import NOW, comp, make_sbom

EXAMPLE = Path(__file__).parents[2] / "examples/policies/contracts.ncl"

BROKEN = """
{
  validators = {
    crashes_on_b = fun c => if c.name == "b" then 1 + "x" else 'Ok,
    no_b = fun c => if c.name == "b" then 'Error { message = "b is not welcome" } else 'Ok,
    odd_return = fun c => if c.name == "c" then 42 else 'Ok,
  },
  contracts = {
    LicensePresent = { license | String, .. },
  },
}
"""


def sbom_for_example() -> Sbom:
    return make_sbom(
        [
            comp("gpl-lib", license="GPL-2.0-only"),
            comp("build-gpl", license="GPL-3.0-only", closures=("buildtime",)),
            comp("nopurl", purl=False),
            comp("weird-version", "git-abc"),
            comp(
                "src",
                closures=("buildtime",),
                fixed_output=FixedOutput("flat", "sha256", "", ("https://x/y",)),
            ),
            comp("sspl", license="SSPL-1.0"),
        ]
    )


def test_example_nickel_policy_collects_every_violation() -> None:
    policy = load_policy(EXAMPLE)
    assert policy.nickel is not None
    assert set(policy.nickel.validators) == {"runtime_copyleft", "has_purl", "pinned_sources"}
    assert set(policy.nickel.contracts) == {"VersionShape", "Identified"}
    assert policy.licenses is not None and policy.licenses.deny == ("SSPL-1.0",)
    report = evaluate(policy, sbom_for_example(), NOW)
    found = sorted((v.rule, v.severity, v.component.name if v.component else "") for v in report.active)
    assert found == [
        ("VersionShape", "error", "weird-version"),
        ("has_purl", "warning", "nopurl"),
        ("licenses.deny", "error", "sspl"),
        ("pinned_sources", "error", "src"),
        ("runtime_copyleft", "warning", "gpl-lib"),
    ]
    copyleft = next(v for v in report.active if v.rule == "runtime_copyleft")
    assert "GPL-2.0-only in the runtime closure" in copyleft.message
    assert "ask legal before shipping" in copyleft.message  # notes are kept
    assert report.failed


def test_broken_validators_do_not_abort_the_check(tmp_path: Path) -> None:
    path = tmp_path / "broken.ncl"
    path.write_text(BROKEN)
    policy = load_policy(path)
    sbom = make_sbom([comp("a"), comp("b"), comp("c"), comp("d", license=None)])
    report = evaluate(policy, sbom, NOW)
    found = {(v.rule, v.component.name if v.component else ""): v.message for v in report.active}
    assert set(found) == {
        ("crashes_on_b", "b"),
        ("no_b", "b"),
        ("odd_return", "c"),
        ("LicensePresent", "d"),
    }
    crash = found[("crashes_on_b", "b")]
    assert "dynamic type error" in crash and "\x1b" not in crash and "broken.ncl:4" in crash
    assert "neither 'Ok nor 'Error" in found[("odd_return", "c")]
    assert "contract broken" in found[("LicensePresent", "d")]


def test_nickel_policy_errors_are_policy_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ncl"
    bad.write_text("{ validators = { a = fun c => 'Ok }, \n licenses = { deny = [1 + ] } }")
    with pytest.raises(PolicyFileError) as info:
        load_policy(bad)
    assert (
        info.value.exit_code == EXIT_USAGE and "bad.ncl" in str(info.value) and "\x1b" not in str(info.value)
    )
    schema = tmp_path / "schema.ncl"
    schema.write_text('{ licenses = { unknown = "maybe" } }')
    with pytest.raises(PolicyFileError, match=r"schema\.ncl: licenses\.unknown: .*maybe"):
        load_policy(schema)
    sev = tmp_path / "sev.ncl"
    sev.write_text('{ severity = { ghost = "warning" }, validators = { a = fun c => \'Ok } }')
    with pytest.raises(PolicyFileError, match="no validator or contract named 'ghost'"):
        load_policy(sev)
    with pytest.raises(PolicyFileError, match="not found"):
        load_policy(tmp_path / "missing.ncl")


SHIM = """#!{python}
import sys, nickel
assert sys.argv[1:4] == ["export", "--format", "json"], sys.argv
try:
    sys.stdout.write(nickel.run(open(sys.argv[4]).read()))
except nickel.NickelException as exc:
    sys.stderr.write(str(exc))
    sys.exit(1)
"""


def test_binary_fallback_when_py_nickel_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "nickel"
    shim.write_text(SHIM.format(python=sys.executable))
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setitem(sys.modules, "nickel", None)  # `import nickel` now raises ImportError
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    path = tmp_path / "broken.ncl"
    path.write_text(BROKEN)
    report = evaluate(load_policy(path), make_sbom([comp("a"), comp("b")]), NOW)
    rules = sorted(v.rule for v in report.active)
    assert rules == ["crashes_on_b", "no_b"]
    crash = next(v for v in report.active if v.rule == "crashes_on_b")
    assert "\x1b" not in crash.message and "dynamic type error" in crash.message


def test_no_nickel_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nickel", None)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NickelMissing) as info:
        default_runner()
    assert info.value.exit_code == EXIT_EXTERNAL


def test_ansi_is_stripped() -> None:
    raw = "\x1b[0m\x1b[1m\x1b[38;5;9merror\x1b[0m\x1b[1m: boom\x1b[0m\n"
    raw += "  \x1b[36m┌─\x1b[0m f.ncl:1:2\n  = hint\n"
    assert strip_ansi(raw).startswith("error: boom")
    assert summarize(raw) == "error: boom; hint (at f.ncl:1:2)"


def test_a_rule_crashing_everywhere_is_isolated_only_up_to_a_limit(tmp_path: Path) -> None:
    from nix_attest.policy.nickel_rules import NickelChecker, read_nickel_policy
    from nix_attest.policy.view import component_view

    path = tmp_path / "crash.ncl"
    path.write_text(
        "{ validators = { crash = fun c => c.no_such_field, fine = fun c => "
        'if c.name == "c3" then \'Error { message = "c3" } else \'Ok } }'
    )
    _, nickel = read_nickel_policy(path)
    views = [component_view(comp(f"c{i}")) for i in range(12)]
    findings = NickelChecker(nickel, crash_limit=3).check(views)
    crash = [f for f in findings if f.rule == "crash"]
    assert len(crash) == 4  # three isolated, then one "not isolated further"
    assert sum("not isolated further" in f.message for f in crash) == 1
    assert [(f.rule, f.index) for f in findings if f.rule == "fine"] == [("fine", 3)]  # other rules still run


def _budget_runner(answers: list[str | None]) -> tuple[list[str], object]:
    """A Nickel runner that answers from ``answers`` in turn: None is running out of memory, 'time' out
    of time, anything else the JSON Nickel printed. Records each program's rule names."""
    from nix_attest.sandbox import BudgetExceeded

    asked: list[str] = []

    def run(source: str) -> str:
        asked.append(source)
        answer = answers.pop(0)
        if answer is None:
            raise BudgetExceeded("memory", "signal SIGABRT", 0)
        if answer == "time":
            raise BudgetExceeded("time", "", 0)
        return answer

    return asked, run


def test_a_rule_rerun_after_a_memory_failure_is_not_blamed_for_the_time_left(tmp_path: Path) -> None:
    """A batch runs out of memory, so each rule is rerun alone to name the one at fault; if the time
    budget (shared by every run) ends during a rerun of a harmless rule, that rule is not the culprit:
    the error names every rule still under suspicion and the memory failure (seen on a loaded CI
    machine: "Nickel rule 'fine' ran longer than 1 s")."""
    from nix_attest.policy.nickel_rules import NickelChecker, NickelPolicy

    policy = NickelPolicy(str(tmp_path / "p.ncl"), ("fine", "spin"), ())
    _, runner = _budget_runner([None, "time"])
    with pytest.raises(PolicyFileError) as caught:
        NickelChecker(policy, runner=runner).check([{"name": "zlib"}])  # type: ignore[arg-type]
    message = str(caught.value)
    assert "Nickel rules 'fine', 'spin' ran out of" in message and "(budgets.nickel-memory)" in message
    # a rerun that itself runs out of memory still names that rule alone
    _, runner = _budget_runner([None, "[]", None])
    with pytest.raises(PolicyFileError) as caught:
        NickelChecker(policy, runner=runner).check([{"name": "zlib"}])  # type: ignore[arg-type]
    assert "Nickel rule 'spin' ran out of" in str(caught.value)
    # time running out on the last suspect: it alone is left under suspicion
    _, runner = _budget_runner([None, "[]", "time"])
    with pytest.raises(PolicyFileError) as caught:
        NickelChecker(policy, runner=runner).check([{"name": "zlib"}])  # type: ignore[arg-type]
    assert "Nickel rule 'spin' ran out of" in str(caught.value)
