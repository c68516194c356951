"""No secret of the job reaches a subprocess that evaluates pull-request content (nix, nix-store, git).

An impure ``.nix`` file reads variables with ``builtins.getEnv``; what it reads lands in the SBOM."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from helpers.gitrepo import git

from nix_attest import gitrepo
from nix_attest.childenv import SCRUBBED, child_env
from nix_attest.cli import main
from nix_attest.nix.runner import Nix
from nix_attest.nix.store import nar_sha256_hex
from nix_attest.sbom.generate import generate_sbom

SECRETS = {
    "GITHUB_TOKEN": "ghs_job_token",
    "GH_TOKEN": "gho_cli_token",
    "INPUT_GITHUB_TOKEN": "ghs_input_token",
    "INPUT_VULN_API_TOKEN": "input_other_token",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc_request_token",
    "ACTIONS_ID_TOKEN_REQUEST_URL": "https://oidc.example/request?secret",
    "ACTIONS_RUNTIME_TOKEN": "runtime_token",
    "SIGSTORE_ID_TOKEN": "eyJsigstore.id.token",
    "AWS_SECRET_ACCESS_KEY": "aws_secret",
    "DEPLOY_KEY_MATERIAL": "user_listed_secret",  # listed by the user in NIX_ATTEST_SCRUB_ENV
    "my_db_password": "lowercase_password",
}
VISIBLE = {"NIX_ATTEST_TEST_VISIBLE": "plain_value"}  # the control: getEnv does work


def _leaky_nix(tmp_path: Path) -> Path:
    names = [*SECRETS, *VISIBLE]
    reads = ' + "|" + '.join(f'builtins.getEnv "{n}"' for n in names)
    f = tmp_path / "leak.nix"
    f.write_text(
        'derivation { name = "leak"; system = builtins.currentSystem; builder = "/bin/sh";\n'
        '  args = [ "-c" "echo > $out" ];\n'
        f"  leaked = {reads}; }}\n"
        "// { meta = { description = " + reads + "; }; }\n"
    )
    return f


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**SECRETS, **VISIBLE}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("NIX_ATTEST_SCRUB_ENV", "DEPLOY_KEY_*, OTHER_THING")


def test_impure_nix_file_cannot_read_the_job_secrets(
    secret_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sbom.json"
    assert main(["sbom", "--no-build", "--quiet", "-f", str(_leaky_nix(tmp_path)), "-o", str(out)]) == 0
    text = out.read_text()
    for name, value in {**SECRETS, **VISIBLE}.items():
        assert value not in text, name
    doc = json.loads(text)  # restricted evaluation: getEnv gives "" for every variable
    assert doc["metadata"]["component"]["description"] == "|" * len(SECRETS)
    assert capsys.readouterr().err == ""


def test_nix_itself_runs_without_the_job_secrets(
    secret_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Besides restricted evaluation, the nix process's own environment has no secret (a builder
    without sandbox, a fetcher, a plugin would see it)."""
    seen = tmp_path / "env.txt"
    real = shutil.which("nix")
    wrapper = tmp_path / "bin" / "nix"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nenv >> {seen}\nexec {real} "$@"\n')
    wrapper.chmod(0o755)
    nix = Nix(binary=str(wrapper), quiet=True)
    generate_sbom(None, file=str(_leaky_nix(tmp_path)), build=False, nix=nix)
    env = seen.read_text()
    assert "plain_value" in env
    for name, value in SECRETS.items():
        assert value not in env, name


def test_nix_store_dump_gets_no_secret(secret_env: None, tmp_path: Path) -> None:
    seen = tmp_path / "env.txt"
    fake = tmp_path / "nix-store"
    fake.write_text(f"#!/bin/sh\nenv > {seen}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    nar_sha256_hex("/", nix_store=str(fake))
    env = seen.read_text()
    assert "plain_value" in env
    for value in SECRETS.values():
        assert value not in env


def test_git_and_its_hooks_get_no_secret(secret_env: None, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "f").write_text("x")
    git(repo, "add", "f")
    git(repo, "commit", "-qm", "one")
    seen = tmp_path / "env.txt"
    hook = repo / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\nenv > {seen}\n")
    hook.chmod(0o755)
    commit = gitrepo.resolve_commit("HEAD", repo)
    with gitrepo.worktree(commit, repo):
        pass
    env = seen.read_text()
    assert "plain_value" in env
    for value in SECRETS.values():
        assert value not in env


def test_child_env_rules() -> None:
    base = {
        "PATH": "/bin",
        "HOME": "/root",
        "NIX_PATH": "nixpkgs=x",
        "NIX_CONFIG": "substituters =",
        "SSL_CERT_FILE": "/etc/ssl/cert.pem",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_ACTIONS": "true",
        "github_token": "lower",
        "INPUT_POLICY": "p.yaml",
        "NIX_ATTEST_SCRUB_ENV": "EXTRA ,,: OTHER_*",
        "EXTRA": "1",
        "OTHER_X": "2",
        "EXTRA_NOT_LISTED": "3",
    }
    env = child_env(base, NO_COLOR="1")
    assert env == {
        "PATH": "/bin",
        "HOME": "/root",
        "NIX_PATH": "nixpkgs=x",
        "NIX_CONFIG": "substituters =",
        "SSL_CERT_FILE": "/etc/ssl/cert.pem",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_ACTIONS": "true",
        "NIX_ATTEST_SCRUB_ENV": "EXTRA ,,: OTHER_*",
        "EXTRA_NOT_LISTED": "3",
        "NO_COLOR": "1",
    }
    assert child_env({}) == {}
    assert "INPUT_*" in SCRUBBED
    assert child_env() == child_env(dict(os.environ))
