"""actions/check runs `nix-attest check` once: JSON report, job summary and step outputs (no Nix needed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from action_runner import prepare_action, run_action
from helpers.report_fixtures import comp, sbom

from nix_attest.sbom.cyclonedx import write_sbom

REPO_ROOT = Path(__file__).resolve().parents[2]
POLICY = "version: 1\nfail-on: error\nlicenses:\n  deny: [GPL-3.0-only]\n"


@pytest.fixture
def check_action(tmp_path: Path) -> Path:
    return prepare_action(tmp_path)[0] / "actions" / "check"


def test_check_runs_nix_attest_once() -> None:
    doc = yaml.safe_load((REPO_ROOT / "actions" / "check" / "action.yml").read_text())
    step = next(s for s in doc["runs"]["steps"] if s.get("id") == "check")
    assert step["run"].count('"$NIX_ATTEST_BIN" check') == 1
    assert "python" not in step["run"]


@pytest.mark.parametrize("fail", ["true", "false"])
def test_check_action_outputs_and_summary(check_action: Path, tmp_path: Path, fail: str) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    write_sbom(
        sbom(comp("app", "1", lic=("GPL-3.0-only",)), comp("lib", "2", lic=("MIT",))), str(ws / "s.json")
    )
    (ws / "policy.yaml").write_text(POLICY)
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(tmp_path))}
    runner_temp = tmp_path / "rt"
    runner_temp.mkdir()
    inputs = {"sbom": "s.json", "policy": "policy.yaml", "fail": fail}
    result = run_action(check_action, inputs, env=env, workspace=ws, runner_temp=runner_temp, token="")
    install, check = result.step("install"), result.step("check")
    assert install.returncode == 0
    assert check.returncode == (1 if fail == "true" else 0), check.stderr
    assert result.outputs == {
        "verdict": "fail",
        "violations": "1",
        "report-path": str(ws / "policy.json"),
    }
    assert (ws / "policy.json").is_file()
    assert result.summary.count("### ❌ Policy fail") == 1
    assert "licenses.deny" in result.summary
