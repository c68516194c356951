"""Execute a composite action.yml the way the GitHub runner does, for tests.

Per step: ``if:`` (``always()``, ``success()``, and ``&&`` of ``X == 'v'``/``X != 'v'``; without
``always()`` only after success), expressions in ``env``/``with``/``working-directory`` (``inputs.*``,
``github.*``, ``runner.*``, ``strategy.job-index``, ``toJSON(matrix)``, ``steps.<id>.outputs.*``), a
fresh ``GITHUB_OUTPUT`` file parsed into ``steps.<id>.outputs``, shared ``GITHUB_ENV``/
``GITHUB_STEP_SUMMARY``, ``run:`` through ``bash --noprofile --norc -e -o pipefail``. Composite steps get
no ``INPUT_*`` variables: only what the step's ``env:`` maps. ``uses:`` steps are recorded, not executed,
except two behaviours tests depend on: ``actions/upload-artifact`` v4 fails on a name already uploaded
in the same workflow run (``Job.artifacts``), and ``actions/cache/restore`` reports ``cache-hit`` for a
key ``actions/cache/save`` stored earlier (``Job.caches``).

``prepare_action`` copies the action (its code linked, not copied) and gives it an installed environment
without the network: the test venv, placed where ``actions/install.sh`` looks for it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_HEREDOC = re.compile(r"^([^=\n<]+)<<(\S+)\n(.*?)\n\2$", re.S | re.M)
_COMPARE = re.compile(r"^(.+?)\s*(==|!=)\s*'([^']*)'$")
REPO_ROOT = Path(__file__).resolve().parents[2]


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

    def step(self, name: str) -> StepResult:
        return next(s for s in self.steps if s.id == name or s.name == name)


@dataclass
class Job:
    """What outlives one use of an action: the workflow run's artifacts, the repository's caches, the
    matrix leg (``strategy.job-index``, ``matrix``) and the runner's tool cache."""

    tool_cache: Path
    artifacts: list[str] = field(default_factory=list)
    caches: dict[str, str] = field(default_factory=dict)
    job_index: int = 0
    matrix: dict[str, Any] | None = None


def parse_output_file(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    rest = _HEREDOC.sub(lambda m: out.__setitem__(m.group(1), m.group(3)) or "", text)  # type: ignore[func-returns-value]
    for line in rest.splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            out[key] = value
    return out


def prepare_action(tmp_path: Path, *, env_path: str | None = None) -> tuple[Path, Job]:
    """A copy of the action with the test venv as its installed environment, and a Job for it."""
    target = tmp_path / "action"
    target.mkdir()
    shutil.copy(REPO_ROOT / "action.yml", target / "action.yml")
    shutil.copytree(REPO_ROOT / "actions", target / "actions")
    shutil.copytree(REPO_ROOT / "requirements", target / "requirements")
    (target / "src").symlink_to(REPO_ROOT / "src")
    job = Job(tool_cache=tmp_path / "tool_cache")
    # where install.sh looks for the environment of the python3 the steps will run
    out = tmp_path / "plan_output"
    out.write_text("")
    subprocess.run(
        ["bash", str(target / "actions" / "install.sh"), "--plan", str(target)],
        env={
            "PATH": env_path or os.environ["PATH"],
            "HOME": os.environ.get("HOME", str(tmp_path)),
            "GITHUB_OUTPUT": str(out),
            "NIX_ATTEST_ENV_HOME": str(job.tool_cache / "nix-attest"),
        },
        check=True,
    )
    env_dir = Path(parse_output_file(out.read_text())["path"])
    venv = Path(sys.prefix)
    (env_dir / "bin").mkdir(parents=True)
    (env_dir / "bin" / "python").symlink_to(Path(sys.executable))
    (env_dir / "lib").symlink_to(venv / "lib")
    shutil.copy(venv / "pyvenv.cfg", env_dir / "pyvenv.cfg")
    (env_dir / "complete").write_text(env_dir.name + "\n")
    return target, job


def run_action(
    action_dir: Path,
    inputs: dict[str, str],
    *,
    env: dict[str, str],
    workspace: Path,
    runner_temp: Path,
    token: str,
    job: Job | None = None,
) -> ActionRun:
    doc: dict[str, Any] = yaml.safe_load((action_dir / "action.yml").read_text())
    assert doc["runs"]["using"] == "composite"
    job = job or Job(tool_cache=runner_temp.parent / "tool_cache")
    resolved_inputs: dict[str, str] = {}
    steps_ctx: dict[str, dict[str, str]] = {}
    github_ctx = {"action_path": str(action_dir), "token": token, "workspace": str(workspace)}
    runner_ctx = {"temp": str(runner_temp), "tool_cache": str(job.tool_cache), "os": "Linux", "arch": "X64"}

    def evaluate(expr: str) -> str:
        if expr == "toJSON(matrix)":
            return json.dumps(job.matrix, indent=2) if job.matrix is not None else "null"
        if expr == "strategy.job-index":
            return str(job.job_index)
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

    def should_run(condition: str, failed: bool) -> bool:
        terms = [term.strip() for term in condition.split("&&")]
        status = "always()" in terms or (not failed and "failure()" not in terms)
        for term in terms:
            if term in ("always()", "success()"):
                continue
            match = _COMPARE.match(term)
            assert match, f"unsupported condition {term!r}"
            equal = evaluate(match.group(1).strip()) == match.group(3)
            if equal != (match.group(2) == "=="):
                return False
        return status

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
        if not should_run(str(step.get("if", "success()")), failed):
            results.append(StepResult(step.get("id"), step.get("name", ""), ran=False))
            continue
        if "uses" in step:
            result = _uses(step, {k: render(v) for k, v in step.get("with", {}).items()}, job)
            if step.get("id"):
                steps_ctx[step["id"]] = result.outputs
            results.append(result)
            failed = failed or result.returncode != 0
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
                "RUNNER_TOOL_CACHE": str(job.tool_cache),
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


def _uses(step: dict[str, Any], with_: dict[str, str], job: Job) -> StepResult:
    uses = str(step["uses"])
    result = StepResult(step.get("id"), step.get("name", ""), True, uses=uses, with_=with_)
    if uses.startswith("actions/upload-artifact@"):
        name = with_.get("name") or "artifact"
        if name in job.artifacts:  # upload-artifact v4: one name per workflow run
            result.returncode = 1
            result.stderr = f"Failed to CreateArtifact: an artifact with this name already exists: {name}"
        else:
            job.artifacts.append(name)
    elif uses.startswith("actions/cache/restore@"):
        result.outputs = {"cache-hit": "true" if with_["key"] in job.caches else "false"}
    elif uses.startswith("actions/cache/save@"):
        job.caches.setdefault(with_["key"], with_["path"])
    return result
