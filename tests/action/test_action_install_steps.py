"""The install steps every action shares, and the step-output writer (no network, no Nix)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from action_runner import parse_output_file

REPO_ROOT = Path(__file__).resolve().parents[2]
ACTIONS = [REPO_ROOT / "action.yml", *sorted((REPO_ROOT / "actions").glob("*/action.yml"))]
INSTALL_STEPS = (
    "Locate the nix-attest environment",
    "Restore the nix-attest environment",
    "Install nix-attest",
    "Save the nix-attest environment",
)


def steps(action: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load(action.read_text())["runs"]["steps"])


def install_steps(action: Path) -> list[dict[str, Any]]:
    chosen = [s for s in steps(action) if s.get("name") in INSTALL_STEPS]
    text = yaml.safe_dump(chosen).replace("${{ github.action_path }}/../..", "${{ github.action_path }}")
    return list(yaml.safe_load(text))


@pytest.mark.parametrize("action", ACTIONS[1:], ids=lambda p: p.parent.name)
def test_every_action_installs_the_same_way(action: Path) -> None:
    """Composite actions cannot share a local sub-action, so the four steps are repeated: identically."""
    assert [s["name"] for s in install_steps(action)] == list(INSTALL_STEPS)
    assert install_steps(action) == install_steps(ACTIONS[0])
    spec = yaml.safe_load(action.read_text())
    assert spec["inputs"]["cache"] == yaml.safe_load(ACTIONS[0].read_text())["inputs"]["cache"]


def test_cache_steps_are_pinned_and_skipped_when_the_environment_is_there() -> None:
    by_name = {s["name"]: s for s in install_steps(ACTIONS[0])}
    for name in ("Restore the nix-attest environment", "Save the nix-attest environment"):
        step = by_name[name]
        assert step["uses"].split("@")[1].isalnum() and len(step["uses"].split("@")[1]) == 40
        assert "steps.nix-attest-env.outputs.ready != 'true'" in step["if"]
        assert "steps.nix-attest-env.outputs.cache == 'true'" in step["if"]  # the plan decides (auto)
        assert step["with"] == {
            "path": "${{ steps.nix-attest-env.outputs.path }}",
            "key": "${{ steps.nix-attest-env.outputs.key }}",
        }
    # saved only after a miss, and right after the install: before anything of the repository runs
    assert "cache-hit != 'true'" in by_name["Save the nix-attest environment"]["if"]
    names = [s.get("name") for s in steps(ACTIONS[0])]
    assert names.index("Save the nix-attest environment") == names.index("Install nix-attest") + 1


def plan(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """install.sh --plan as the first install step runs it (no install, no network)."""
    out = tmp_path / "github_output"
    out.write_text("")
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}
    proc = subprocess.run(
        ["bash", str(REPO_ROOT / "actions" / "install.sh"), "--plan", str(REPO_ROOT)],
        env={**keep, "GITHUB_OUTPUT": str(out), "NIX_ATTEST_ENV_HOME": str(tmp_path / "envs"), **env},
        capture_output=True,
        text=True,
        check=False,
    )
    return proc, parse_output_file(out.read_text())


@pytest.mark.parametrize(
    ("env", "cache"),
    [
        ({}, "true"),  # auto outside a signing job: cached
        ({"NIX_ATTEST_CACHE": "auto", "GITHUB_EVENT_NAME": "pull_request"}, "true"),
        ({"ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example/x"}, "false"),  # id-token: write
        ({"GITHUB_EVENT_NAME": "release", "GITHUB_REF": "refs/tags/v1"}, "false"),
        ({"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/tags/v1.2"}, "false"),
        ({"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main"}, "true"),
        ({"NIX_ATTEST_CACHE": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example/x"}, "true"),
        ({"NIX_ATTEST_CACHE": "false"}, "false"),
    ],
)
def test_the_cache_is_not_used_where_a_poisoned_entry_could_sign(
    tmp_path: Path, env: dict[str, str], cache: str
) -> None:
    """A default-branch cache entry can be written by any default-branch workflow (one that runs a
    pull request's code, say): cache: auto keeps it out of jobs that can sign or publish."""
    proc, outputs = plan(tmp_path, **env)
    assert proc.returncode == 0, proc.stderr
    assert outputs["cache"] == cache and outputs["ready"] == "false"
    assert outputs["key"].startswith("nix-attest-env-") and outputs["path"].endswith(outputs["key"])
    said = proc.stderr.strip().splitlines()
    if cache == "false" and env.get("NIX_ATTEST_CACHE") != "false":
        (line,) = said
        assert "not using the install cache" in line and "cache: true" in line
    else:
        assert said == []


def test_a_cache_value_that_is_not_a_choice_is_refused(tmp_path: Path) -> None:
    proc, outputs = plan(tmp_path, NIX_ATTEST_CACHE="yes")
    assert proc.returncode == 2 and outputs == {}
    (line,) = proc.stderr.strip().splitlines()
    assert "cache must be auto, true or false, got 'yes'" in line


def fake_python(tmp_path: Path, version: str) -> dict[str, str]:
    """A PATH whose python3 is this machine's, reporting another version (no such interpreter here):
    install.sh's version check sees what that interpreter would report."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    major, minor, micro = (int(x) for x in version.split("."))
    shim = (
        "import platform, sys\n"
        f"sys.version_info = ({major}, {minor}, {micro}, 'final', 0)\n"
        f"platform.python_version = lambda: {version!r}\n"
        "sys.argv = sys.argv[1:]\n"
        "exec(compile(sys.stdin.read(), '<stdin>', 'exec'))\n"
    )
    (bin_dir / "shim.py").write_text(shim)
    real = Path(sys.executable).resolve()
    (bin_dir / "python3").write_text(f'#!/bin/sh\nshift 2\nexec {real} -I {bin_dir / "shim.py"} "$@"\n')
    (bin_dir / "python3").chmod(0o755)
    return {"PATH": f"{bin_dir}:/usr/bin:/bin"}


@pytest.mark.parametrize("version", ["3.9.18", "3.15.0"])
def test_an_unsupported_python_is_one_line_and_nothing_is_installed(tmp_path: Path, version: str) -> None:
    proc, outputs = plan(tmp_path, **fake_python(tmp_path, version))
    assert proc.returncode == 2 and outputs == {} and proc.stdout == ""
    (line,) = proc.stderr.strip().splitlines()
    assert f"python3 is {version}, nix-attest needs 3.10 to 3.14" in line and "setup-python" in line
    assert not (tmp_path / "envs").exists()


def test_the_version_check_runs_on_an_interpreter_without_f_strings() -> None:
    """Python 3.5 and older cannot compile an f-string: the check must reach its own message."""
    text = (REPO_ROOT / "actions" / "install.sh").read_text()
    check = text[text.index("<<'PY'\n") + 6 : text.index("\nPY\n")]
    assert 'f"' not in check and "f'" not in check


def test_no_python3_is_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "nobin"
    empty.mkdir()
    (empty / "bash").symlink_to("/bin/bash")
    proc, outputs = plan(tmp_path, PATH=str(empty))
    assert proc.returncode == 2 and outputs == {}
    (line,) = proc.stderr.strip().splitlines()
    assert "no python3 on PATH" in line and "setup-python" in line


@pytest.mark.parametrize("action", ACTIONS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_no_step_writes_outputs_by_hand(action: Path) -> None:
    """Outputs go through actions/output.sh or nix-attest (random delimiters), never `echo k=v`."""
    for step in steps(action):
        assert "GITHUB_OUTPUT" not in step.get("run", ""), step.get("name")


def gh_output(tmp_path: Path, name: str, value: str) -> dict[str, str]:
    out = tmp_path / "out"
    out.write_text("")
    subprocess.run(
        ["bash", "-c", f'. {REPO_ROOT / "actions" / "output.sh"}; gh_output "$1" "$2"', "-", name, value],
        env={**os.environ, "GITHUB_OUTPUT": str(out)},
        check=True,
    )
    return parse_output_file(out.read_text())


def test_a_value_with_newlines_cannot_inject_outputs(tmp_path: Path) -> None:
    value = "/tmp/a\nverdict=pass\nEOF\nviolations=0"
    assert gh_output(tmp_path, "sbom-path", value) == {"sbom-path": value}


def test_sbom_action_writes_its_path_safely(tmp_path: Path) -> None:
    """actions/sbom used to `echo sbom-path=$(realpath ...)`: a newline in the path added outputs."""
    (step,) = [s for s in steps(REPO_ROOT / "actions" / "sbom" / "action.yml") if s.get("id") == "sbom"]
    fake = tmp_path / "nix-attest"
    fake.write_text('#!/bin/sh\nwhile [ "$1" != --output ]; do shift; done\ntouch "$2"\n')
    fake.chmod(0o755)
    out = tmp_path / "github_output"
    out.write_text("")
    name = "sbom\nverdict=pass\n.json"
    subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=tmp_path,
        env={
            **os.environ,
            "GITHUB_OUTPUT": str(out),
            "GITHUB_ACTION_PATH": str(REPO_ROOT / "actions" / "sbom"),
            "NIX_ATTEST_BIN": str(fake),
            "INSTALLABLE": ".#default",
            "OUTPUT": name,
        },
        check=True,
    )
    assert parse_output_file(out.read_text()) == {"sbom-path": str(tmp_path / name)}
