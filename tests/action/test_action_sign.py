"""actions/sign: the private-repository input (the refusal itself is tested in
tests/attest/test_attest_private_repository.py against the local Sigstore stack)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from action_runner import prepare_action, run_action
from helpers.report_fixtures import comp, sbom

from nix_attest.errors import EXIT_USAGE
from nix_attest.sbom.cyclonedx import write_sbom


def test_sign_action_passes_the_opt_in(tmp_path: Path) -> None:
    """actions/sign: private-repository: true reaches the CLI (the refusal is gone; this test's SBOM
    then fails a later check, before any Sigstore request), false refuses with the one line."""
    root, job = prepare_action(tmp_path)
    ws = tmp_path / "ws"
    ws.mkdir()
    write_sbom(sbom(comp("app", "1", lic=("MIT",))), str(ws / "sbom.cdx.json"))
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(tmp_path))}
    private = {"repository": {"visibility": "private", "private": True}}
    (tmp_path / "event.json").write_text(json.dumps(private))
    env.update({"GITHUB_EVENT_PATH": str(tmp_path / "event.json"), "GITHUB_REPOSITORY": "octo/widgets"})
    results = {}
    for opt_in in ("false", "true"):
        temp = tmp_path / f"rt-{opt_in}"
        temp.mkdir()
        inputs = {"sbom": "sbom.cdx.json", "private-repository": opt_in}
        result = run_action(
            root / "actions" / "sign", inputs, env=env, workspace=ws, runner_temp=temp, token="", job=job
        )
        results[opt_in] = result.step("sign")
    assert results["false"].returncode == EXIT_USAGE
    assert "refusing to sign: octo/widgets is private" in results["false"].stderr
    assert results["true"].returncode != 0 and "refusing to sign" not in results["true"].stderr
    assert results["true"].stderr.startswith("nix-attest: error:")  # the next check (a test SBOM's root)
