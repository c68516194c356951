"""Execute a composite action.yml the way the GitHub runner does, for tests.

Per step: ``if:`` (``always()``; default: only after success), expressions in ``env``/``with``/
``working-directory`` (``inputs.*``, ``github.*``, ``runner.*``, ``steps.<id>.outputs.*``), a fresh
``GITHUB_OUTPUT`` file parsed into ``steps.<id>.outputs``, shared ``GITHUB_ENV``/``GITHUB_STEP_SUMMARY``,
``run:`` through ``bash --noprofile --norc -e -o pipefail``. Composite steps get no ``INPUT_*``
variables: only what the step's ``env:`` maps. ``uses:`` steps are recorded, not executed.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_HEREDOC = re.compile(r"^([^=\n<]+)<<(\S+)\n(.*?)\n\2$", re.S | re.M)


@dataclass
class StepResult:
    id: str | None
    name: str
    ran: bool
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    uses: str | None = None
    with_: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionRun:
    steps: list[StepResult]
    outputs: dict[str, str]
    summary: str
    failed: bool


def parse_output_file(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    rest = _HEREDOC.sub(lambda m: out.__setitem__(m.group(1), m.group(3)) or "", text)  # type: ignore[func-returns-value]
    for line in rest.splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            out[key] = value
    return out


def run_action(
    action_dir: Path,
    inputs: dict[str, str],
    *,
    env: dict[str, str],
    workspace: Path,
    runner_temp: Path,
    token: str,
) -> ActionRun:
    doc: dict[str, Any] = yaml.safe_load((action_dir / "action.yml").read_text())
    assert doc["runs"]["using"] == "composite"
    resolved_inputs: dict[str, str] = {}
    steps_ctx: dict[str, dict[str, str]] = {}
    github_ctx = {"action_path": str(action_dir), "token": token, "workspace": str(workspace)}
    runner_ctx = {"temp": str(runner_temp)}

    def evaluate(expr: str) -> str:
        parts = expr.split(".")
        if parts[0] == "inputs":
            return resolved_inputs.get(".".join(parts[1:]), "")
        if parts[0] == "github":
            return github_ctx[parts[1]]
        if parts[0] == "runner":
            return runner_ctx[parts[1]]
        if parts[0] == "steps" and parts[2] == "outputs":
            return steps_ctx.get(parts[1], {}).get(".".join(parts[3:]), "")
        raise AssertionError(f"unsupported expression {expr!r}")

    def render(value: Any) -> str:
        return _EXPR.sub(lambda m: evaluate(m.group(1)), str(value))

    for name, spec in doc.get("inputs", {}).items():
        if name in inputs:
            resolved_inputs[name] = inputs[name]
        else:
            resolved_inputs[name] = render(spec.get("default", ""))
    unknown = set(inputs) - set(doc.get("inputs", {}))
    assert not unknown, f"inputs not declared in action.yml: {unknown}"

    env_file = runner_temp / "github_env"
    summary_file = runner_temp / "step_summary"
    env_file.touch()
    summary_file.touch()
    results: list[StepResult] = []
    failed = False
    for index, step in enumerate(doc["runs"]["steps"]):
        condition = str(step.get("if", "success()"))
        if "always()" not in condition and failed:
            results.append(StepResult(step.get("id"), step.get("name", ""), ran=False))
            continue
        if "uses" in step:
            with_ = {k: render(v) for k, v in step.get("with", {}).items()}
            results.append(
                StepResult(step.get("id"), step.get("name", ""), True, uses=step["uses"], with_=with_)
            )
            continue
        assert step.get("shell") == "bash", "composite run steps must name their shell"
        run_text = step["run"]
        assert "${{" not in run_text, f"step {step.get('name')}: expression inside run:"
        output_file = runner_temp / f"output_{index}"
        output_file.write_text("")
        step_env = dict(env)
        for line in env_file.read_text().splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                step_env[k] = v
        step_env.update(
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_OUTPUT": str(output_file),
                "GITHUB_ENV": str(env_file),
                "GITHUB_STEP_SUMMARY": str(summary_file),
                "GITHUB_ACTION_PATH": str(action_dir),
                "GITHUB_WORKSPACE": str(workspace),
                "RUNNER_TEMP": str(runner_temp),
            }
        )
        step_env.update({k: render(v) for k, v in step.get("env", {}).items()})
        cwd = workspace / render(step.get("working-directory", "."))
        script = runner_temp / f"step_{index}.sh"
        script.write_text(run_text)
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", str(script)],
            cwd=cwd,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        outputs = parse_output_file(output_file.read_text())
        if step.get("id"):
            steps_ctx[step["id"]] = outputs
        results.append(
            StepResult(
                step.get("id"), step.get("name", ""), True, proc.returncode, proc.stdout, proc.stderr, outputs
            )
        )
        if proc.returncode != 0:
            failed = True
    action_outputs = {name: render(spec["value"]) for name, spec in doc.get("outputs", {}).items()}
    return ActionRun(results, action_outputs, summary_file.read_text(), failed)
