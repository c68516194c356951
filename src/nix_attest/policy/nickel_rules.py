"""Nickel policies: validators (``fun component => 'Ok | 'Error {message, notes}``) and contracts run over
every component, collecting every violation.

Nickel stops at the first broken contract, so a generated wrapper turns each validator's result and each
contract check into data and returns the list. When something still aborts (a validator that crashes, a
lazy record-contract failure), the batch is split until the failing component and rule are isolated, and
that failure is reported as a violation. Runs in-process with ``py-nickel``; without it, the ``nickel``
binary on PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..ansi import strip_ansi
from ..childenv import child_env
from ..errors import NixAttestError, PolicyFileError
from ..sandbox import BudgetExceeded, Limits, can_fork, limit_address_space, run_limited
from .budgets import DEFAULT_BUDGETS, overrun
from .model import Severity
from .nickel_imports import check_imports, check_policy_location


class NickelFailure(Exception):
    """Nickel evaluation failed; ``str()`` is the message without ANSI colour."""


class NickelMissing(NixAttestError):
    """Neither py-nickel nor a ``nickel`` binary is available (exit 3)."""


def summarize(message: str) -> str:
    """One line from a Nickel diagnostic: the ``error:`` line, its first note and the first location."""
    lines = [line.strip() for line in strip_ansi(message).splitlines() if line.strip()]
    head = next((line for line in lines if line.startswith("error")), lines[0] if lines else "nickel failed")
    where = next((line[2:].strip() for line in lines if line.startswith("┌─")), None)
    note = next((line[1:].strip() for line in lines if line.startswith("=")), None)
    out = head
    if note:
        out += f"; {note}"
    if where:
        out += f" (at {where})"
    return out if len(out) <= 300 else out[:297] + "..."


Runner = Callable[[str], str]
BINARY_BASE_MEMORY = 256 * 2**20  # the nickel binary's own mappings, on top of the memory budget


def _run_in_process(source: str) -> str:
    import nickel

    try:
        return str(nickel.run(source))
    except nickel.NickelException as exc:
        raise NickelFailure(strip_ansi(str(exc))) from exc


def _tagged(source: str) -> tuple[str, str]:
    """In the child: ("ok", JSON) or ("fail", message); nothing but the policy's directory to import."""
    os.environ.pop("NICKEL_IMPORT_PATH", None)
    try:
        return "ok", _run_in_process(source)
    except NickelFailure as exc:
        return "fail", str(exc)


def _run_binary(binary: str, source: str, limits: Limits) -> str:
    with tempfile.TemporaryDirectory(prefix="nix-attest-nickel-") as tmp:
        path = Path(tmp) / "wrapper.ncl"
        path.write_text(source, encoding="utf-8")
        env = child_env(NO_COLOR="1")
        env.pop("NICKEL_IMPORT_PATH", None)
        try:
            proc = subprocess.run(
                [binary, "export", "--format", "json", str(path)],
                capture_output=True,
                text=True,
                env=env,
                check=False,
                timeout=limits.seconds,
                preexec_fn=lambda: limit_address_space(limits.memory + BINARY_BASE_MEMORY),
            )
        except subprocess.TimeoutExpired as exc:
            raise BudgetExceeded("time", "killed", -1) from exc
    if proc.returncode < 0 or "memory allocation of" in proc.stderr:
        raise BudgetExceeded("memory", f"exit status {proc.returncode}", -1)
    if proc.returncode != 0:
        raise NickelFailure(strip_ansi(proc.stderr or proc.stdout))
    return proc.stdout


def nickel_missing_message() -> str:
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    why = (
        f"it has no wheel for Python {python}; Python 3.11 to 3.13 have one, e.g. with actions/setup-python"
        if not (3, 11) <= sys.version_info < (3, 14)
        else "pip install py-nickel"
    )
    return (
        f"cannot evaluate a Nickel policy: py-nickel is not installed ({why}) and no nickel binary is on PATH"
    )


class BoundedRunner:
    """Evaluates Nickel sources in a child process: all calls share one wall-clock budget (``spent``
    seconds of it already used, e.g. by reading the policy), each call gets the memory budget.
    py-nickel in a forked child when importable, else the ``nickel`` binary on PATH."""

    def __init__(self, limits: Limits = DEFAULT_BUDGETS.nickel, *, spent: float = 0.0) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.seconds - spent
        try:
            import nickel  # noqa: F401
        except ImportError:
            self.binary = shutil.which("nickel")
            if self.binary is None:
                raise NickelMissing(nickel_missing_message()) from None
        else:
            self.binary = None

    def __call__(self, source: str) -> str:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise BudgetExceeded("time", "no time left", -1)
        step = Limits(left, self.limits.memory)
        if self.binary is not None:
            return _run_binary(self.binary, source, step)
        if not can_fork():  # Windows: no fork, unbounded
            return _run_in_process(source)
        kind, text = run_limited(lambda: _tagged(source), step)
        if kind == "fail":
            raise NickelFailure(text)
        return text


def default_runner(limits: Limits = DEFAULT_BUDGETS.nickel) -> Runner:
    """A :class:`BoundedRunner` with ``limits`` (the default budgets unless given)."""
    return BoundedRunner(limits)


def budget_error(path: str, what: str, exc: BudgetExceeded, runner: object) -> PolicyFileError:
    limits = runner.limits if isinstance(runner, BoundedRunner) else DEFAULT_BUDGETS.nickel
    return PolicyFileError(f"{path}: {what} {overrun('nickel', exc, limits)}")


def _ncl_string(text: str) -> str:
    """A Nickel string literal (JSON escapes are valid; ``%`` is escaped against interpolation)."""
    return json.dumps(text).replace("%{", "\\%{")


_CONFIG = """
let p = import {policy} in
let fields_of = fun name =>
  if std.record.has_field name p then std.record.fields (std.record.get name p) else [] in
{{
  config = std.record.filter (fun k _v => k != "validators" && k != "contracts") p,
  validators = fields_of "validators",
  contracts = fields_of "contracts",
}}
"""

_CHECK = """
let p = import {policy} in
let cs = std.array.slice {lo} {hi} (import {components}) in
let vs = if std.record.has_field "validators" p then p.validators else {{}} in
let ks = if std.record.has_field "contracts" p then p.contracts else {{}} in
let names = {names} in
let wanted = fun n => names == null || std.array.elem n names in
let clean = fun e =>
  if std.is_record e then
    {{
      message = if std.record.has_field "message" e then std.to_string e.message else "contract broken",
      notes = if std.record.has_field "notes" e then std.array.map std.to_string e.notes else [],
    }}
  else {{ message = std.to_string e, notes = [] }} in
let as_result = fun r => r |> match {{
  'Ok => null,
  'Ok _ => null,
  'Error e => clean e,
  'Error => {{ message = "validation failed", notes = [] }},
  _ => {{ message = "validator returned neither 'Ok nor 'Error", notes = [] }},
}} in
let collect = fun C c =>
  (c | std.contract.custom (fun label v => 'Ok (std.contract.check C label v)))
  |> match {{ 'Ok v => std.deep_seq v null, 'Error e => clean e }} in
std.array.flatten (std.array.generate (fun i =>
  let c = std.array.at i cs in
  (std.array.map (fun n => {{ index = i + {lo}, rule = n, result = as_result (std.record.get n vs c) }})
    (std.array.filter wanted (std.record.fields vs)))
  @ (std.array.map (fun n => {{ index = i + {lo}, rule = n, result = collect (std.record.get n ks) c }})
    (std.array.filter wanted (std.record.fields ks)))
) (std.array.length cs))
|> std.array.filter (fun r => r.result != null)
"""


@dataclass(frozen=True)
class NickelPolicy:
    path: str  # absolute
    validators: tuple[str, ...]
    contracts: tuple[str, ...]
    severities: Mapping[str, Severity] = field(default_factory=dict)
    read_seconds: float = 0.0  # spent reading it: counts against budgets.nickel-seconds

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return (*self.validators, *self.contracts)


@dataclass(frozen=True, slots=True)
class NickelFinding:
    rule: str
    index: int  # into the component views
    message: str
    notes: tuple[str, ...] = ()


def read_nickel_policy(path: str | Path, runner: Runner | None = None) -> tuple[dict[str, Any], NickelPolicy]:
    """Evaluate the policy file once: its plain settings (validated like YAML) and its rule names."""
    target = Path(path)
    if not target.is_file():
        raise PolicyFileError(f"policy file not found: {path}")
    check_policy_location(target)
    check_imports(target)
    started = time.monotonic()
    run = runner or default_runner()
    source = _CONFIG.format(policy=_ncl_string(str(target.resolve())))
    try:
        exported = json.loads(run(source))
    except NickelFailure as exc:
        raise PolicyFileError(f"{path}: {summarize(str(exc))}") from exc
    except BudgetExceeded as exc:
        raise budget_error(str(path), "reading the Nickel policy", exc, run) from exc
    except json.JSONDecodeError as exc:
        raise PolicyFileError(f"{path}: nickel produced invalid JSON: {exc}") from exc
    config = exported.get("config")
    if not isinstance(config, dict):
        raise PolicyFileError(f"{path}: a Nickel policy must evaluate to a record")
    validators = tuple(exported.get("validators", ()))
    contracts = tuple(exported.get("contracts", ()))
    clash = sorted(set(validators) & set(contracts))
    if clash:
        raise PolicyFileError(f"{path}: {clash[0]!r} is both a validator and a contract")
    severities = dict(config.pop("severity", {}) or {})
    unknown = sorted(set(severities) - set(validators) - set(contracts))
    if unknown:
        raise PolicyFileError(f"{path}: severity: no validator or contract named {unknown[0]!r}")
    spent = time.monotonic() - started
    return config, NickelPolicy(str(target.resolve()), validators, contracts, severities, spent)


class NickelChecker:
    """Evaluates a Nickel policy's validators and contracts over component views.

    When a batch aborts, each rule is rerun alone, and a failing rule's batch is halved until the failing
    components are found; after ``crash_limit`` failures of one rule, it is not isolated any further."""

    def __init__(
        self,
        policy: NickelPolicy,
        runner: Runner | None = None,
        crash_limit: int = 50,
        limits: Limits = DEFAULT_BUDGETS.nickel,
    ) -> None:
        self.policy = policy
        self._run = runner or BoundedRunner(limits, spent=policy.read_seconds)
        self._limit = crash_limit
        self._crashes: dict[str, int] = {}

    def check(self, views: Sequence[Mapping[str, Any]]) -> list[NickelFinding]:
        if not self.policy.rule_ids or not views:
            return []
        self._crashes = {}
        with tempfile.TemporaryDirectory(prefix="nix-attest-nickel-") as tmp:
            components = Path(tmp) / "components.json"
            components.write_text(json.dumps(list(views)), encoding="utf-8")
            findings = self._batch(str(components), 0, len(views), None)
        return sorted(findings, key=lambda f: (f.index, f.rule))

    def _source(self, components: str, lo: int, hi: int, names: Sequence[str] | None) -> str:
        return _CHECK.format(
            policy=_ncl_string(self.policy.path),
            components=_ncl_string(components),
            lo=lo,
            hi=hi,
            names="null" if names is None else "[" + ", ".join(_ncl_string(n) for n in names) + "]",
        )

    def _batch(self, components: str, lo: int, hi: int, names: Sequence[str] | None) -> list[NickelFinding]:
        try:
            out = json.loads(self._run(self._source(components, lo, hi, names)))
        except BudgetExceeded as exc:
            rules = list(names or self.policy.rule_ids)
            if exc.kind == "memory" and len(rules) > 1:
                return self._memory_suspects(components, lo, hi, rules, exc)
            raise self._over_budget(rules, exc) from exc
        except NickelFailure as exc:
            if names is None or len(names) > 1:
                found: list[NickelFinding] = []
                for name in names or self.policy.rule_ids:
                    found += self._batch(components, lo, hi, [name])
                return found
            return self._isolate(components, lo, hi, names[0], exc)
        return [
            NickelFinding(
                str(item["rule"]),
                int(item["index"]),
                str(item["result"].get("message") or "violation"),
                tuple(str(n) for n in item["result"].get("notes") or ()),
            )
            for item in out
        ]

    def _over_budget(self, rules: Sequence[str], exc: BudgetExceeded) -> PolicyFileError:
        label = ", ".join(repr(r) for r in rules)
        what = f"Nickel rule{'s' if len(rules) > 1 else ''} {label}"
        return budget_error(self.policy.path, what, exc, self._run)

    def _memory_suspects(
        self, components: str, lo: int, hi: int, rules: Sequence[str], exc: BudgetExceeded
    ) -> list[NickelFinding]:
        """After a batch ran out of memory, each rule runs alone to find the one that needs it. The time
        budget is shared by every run: when it ends during a rerun, that rule is not shown to be at
        fault, so the error names the rules not yet cleared, with the memory failure."""
        found: list[NickelFinding] = []
        for i, name in enumerate(rules):
            try:
                found += self._batch(components, lo, hi, [name])
            except PolicyFileError as err:
                cause = err.__cause__
                if isinstance(cause, BudgetExceeded) and cause.kind == "time":
                    raise self._over_budget(rules[i:], exc) from exc
                raise
        return found

    def _isolate(
        self, components: str, lo: int, hi: int, name: str, exc: NickelFailure
    ) -> list[NickelFinding]:
        count = self._crashes.get(name, 0)
        if count > self._limit:
            return []
        if count == self._limit:
            self._crashes[name] = count + 1
            note = f"{summarize(str(exc))}; failed on over {self._limit} components, not isolated further"
            return [NickelFinding(name, lo, note)]
        if hi - lo > 1:
            mid = (lo + hi) // 2
            return self._batch(components, lo, mid, [name]) + self._batch(components, mid, hi, [name])
        self._crashes[name] = count + 1
        return [NickelFinding(name, lo, summarize(str(exc)))]
