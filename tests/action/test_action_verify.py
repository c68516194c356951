"""actions/verify run step by step like the runner: no bundle input, the attestation is found by the store
path's NAR digest on the local GitHub server, signed by the local Sigstore stack, with closure: true."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from action_runner import ActionRun, prepare_action, run_action
from helpers.github_server import Server
from helpers.verify_fixtures import REPO, Built, Signer, build_closure
from sigstore.models import ClientTrustConfig
from sigstore_stack import SigstoreStack

from nix_attest.attest.trust import SigningTrust

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ghs_" + "v" * 36

pytestmark = pytest.mark.nix


@pytest.fixture(scope="module")
def stack() -> Iterator[SigstoreStack]:
    s = SigstoreStack.start()
    yield s
    s.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_closure(tmp_path_factory.mktemp("closure"))


def _run(tmp_path: Path, github: Server, stack: SigstoreStack, inputs: dict[str, str]) -> ActionRun:
    path = str(Path(sys.executable).parent) + ":/usr/bin:/bin"
    root, job = prepare_action(tmp_path, env_path=path)
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "trusted_root.json").write_text(json.dumps(stack.trusted_root()))
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    env = {"PATH": path, "GITHUB_API_URL": github.url,
           "NIX_CONFIG": "substituters ="}  # fmt: skip
    github.state.users.setdefault(TOKEN, "github-actions[bot]")
    return run_action(
        root / "actions" / "verify",
        {"repository": REPO, "trust-root": "trusted_root.json", **inputs},
        env=env,
        workspace=ws,
        runner_temp=runner_temp,
        token=TOKEN,
        job=job,
    )


def test_verify_action_fetches_by_digest_and_checks_the_closure(
    tmp_path: Path, github: Server, stack: SigstoreStack, built: Built
) -> None:
    cfg = ClientTrustConfig.from_json(json.dumps(stack.client_trust_config()))
    sign = Signer(tmp_path, stack, SigningTrust(cfg, "", "local test stack"))
    github.state.add_attestation(REPO, sign(built.sbom)[0].read_text(), inline=False)
    result = _run(tmp_path, github, stack, {"store-path": built.app, "closure": "true"})
    verify = result.step("verify")
    assert not result.failed, verify.stderr
    assert f"ok: runtime closure of {built.app} (2 store paths)" in verify.stdout
    assert result.outputs["verified"] == "true" and result.outputs["verified-count"] == "1"
    doc = json.loads(Path(result.outputs["result-path"]).read_text())
    assert doc["results"][0]["attestation"]["signer"]["repository"] == REPO
    (listing,) = github.state.attestation_requests()
    assert listing.headers["Authorization"] == f"Bearer {TOKEN}"  # the github-token input
    printed = [ln for ln in (verify.stdout + verify.stderr).splitlines() if TOKEN in ln]
    assert printed and all(ln == f"::add-mask::{TOKEN}" for ln in printed)  # masked, never shown


def test_verify_action_fails_the_step_when_nothing_verifies(
    tmp_path: Path, github: Server, stack: SigstoreStack, built: Built
) -> None:
    result = _run(tmp_path, github, stack, {"store-path": f"{built.app}\n{built.lone}", "require": "all"})
    verify = result.step("verify")
    assert result.failed and verify.returncode == 1
    assert "none of the 2 given path(s) has an attestation that verified" in verify.stderr
    assert result.outputs["verified"] == "false" and result.outputs["verified-count"] == "0"
