"""The install steps every action shares, and the step-output writer (no network, no Nix)."""

from __future__ import annotations

import os
import subprocess
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
        assert "inputs.cache == 'true'" in step["if"]
        assert step["with"] == {
            "path": "${{ steps.nix-attest-env.outputs.path }}",
            "key": "${{ steps.nix-attest-env.outputs.key }}",
        }
    # saved only after a miss, and right after the install: before anything of the repository runs
    assert "cache-hit != 'true'" in by_name["Save the nix-attest environment"]["if"]
    names = [s.get("name") for s in steps(ACTIONS[0])]
    assert names.index("Save the nix-attest environment") == names.index("Install nix-attest") + 1


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
