"""Text from a pull request cannot command the job's log or a terminal.

The runner executes ``::cmd::data`` at the start of a line (after white space) and the legacy
``##[cmd]data`` anywhere in a line, and a lone carriage return ends a line for it
(actions/runner ActionCommand.TryParseV2 / TryParse). Package names in an SBOM artifact, policy
messages and a builder's log all reach nix-attest's output."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.hostile import small_sbom

from nix_attest import logsafe
from nix_attest.cli import main
from nix_attest.github import actions

HOSTILE = [
    "evil\n::error title=Spoof::all good",
    "cr\r::add-mask::fail",
    "legacy ##[set-output name=verdict;]pass",
    "stop ##[stop-commands]tok",
    "  ::warning::indented",
    "ansi\x1b[2J\x1b]52;c;cHduZWQ=\x07title",
    "bidi\u202eexe.txt",
]


def _runner_lines(text: str) -> list[str]:
    """Lines as the runner reads them (.NET ReadLine: \\n, \\r and \\r\\n end a line)."""
    return re.split(r"\r\n|\r|\n", text)


def _assert_inert(text: str) -> None:
    for line in _runner_lines(text):
        assert not line.lstrip().startswith("::"), line
        assert "##[" not in line, line
        assert "\x1b" not in line and "\u202e" not in line, line


@pytest.fixture
def hostile_sbom(tmp_path: Path) -> Path:
    doc = small_sbom(*HOSTILE)
    for c in doc["components"]:
        c["version"] = "1.0"
        c["licenses"] = [{"license": {"id": "GPL-3.0-only"}}]
    doc["metadata"]["component"]["name"] = "app\n::error::root"
    path = tmp_path / "sbom.json"
    path.write_text(json.dumps(doc))
    return path


def test_check_of_a_hostile_sbom_prints_no_workflow_command(
    hostile_sbom: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\nlicenses:\n  deny: [GPL-3.0-only]\n")
    assert main(["check", str(hostile_sbom), "--policy", str(policy)]) == 1
    out, err = capsys.readouterr()
    _assert_inert(out + err)
    lines = out.splitlines()
    # one line per violation (no name starts a line of its own), then the summary
    assert len(lines) == len(HOSTILE) + 2 and lines[-1].startswith("policy fail:")
    assert all(line.startswith(("ERROR ", "WARNING ")) for line in lines[:-1])


def test_a_builder_log_prints_no_workflow_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nix's log of a pull request's build (``nix: ...`` lines, the failed build's log in the error)."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    script = (
        "printf '##[error]spoofed by the build\\n::error::at line start\\n';"
        "printf 'cr\\r::warning::after cr\\n'; printf 'esc \\033]0;title\\007 done\\n'; exit 1"
    )
    (tmp_path / ".git").mkdir()
    f = tmp_path / "noisy.nix"
    f.write_text(
        'derivation { name = "noisy"; system = builtins.currentSystem; builder = "/bin/sh";\n'
        f'  args = [ "-c" {json.dumps(script)} ]; }}\n'
    )
    assert main(["build", "-f", str(f)]) == 3
    out, err = capsys.readouterr()
    assert "spoofed by the build" in err  # the log is shown
    _assert_inert(out + err)


def test_own_workflow_commands_still_work(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    with logsafe.guarded():
        actions.error("policy failed ##[add-mask]x")
        actions.set_secret("s3cret")
        with actions.group("SBOM"):
            print("::error::from data")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "::error::nix-attest: policy failed ##[add-mask]x"  # data of a V2 command: inert
    assert out[1:3] == ["::add-mask::s3cret", "::group::SBOM"]
    assert out[3] == logsafe.ZWJ + "::error::from data"
    assert out[4] == "::endgroup::"


def test_inert_writer_joins_partial_writes_and_line_endings() -> None:
    sink = io.StringIO()
    w = logsafe.InertWriter(sink)  # type: ignore[arg-type]
    for chunk in (":", ":error::split", "\r\n", "#", "#[warning]x\n", "  ", "::notice::y\r\n", "tail"):
        w.write(chunk)
    assert sink.getvalue().count("\n") == 3
    w.flush()
    _assert_inert(sink.getvalue())
    assert sink.getvalue().endswith("tail")


def test_only_terminals_and_the_actions_log_are_guarded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document redirected to a file keeps its bytes; outside Actions a pipe is left alone."""
    r, w = os.pipe()
    with (tmp_path / "f").open("w") as regular, os.fdopen(w, "w") as pipe:
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
        assert logsafe._needs_guard(pipe) and not logsafe._needs_guard(regular)
        monkeypatch.delenv("GITHUB_ACTIONS")
        assert not logsafe._needs_guard(pipe) and not logsafe._needs_guard(regular)
    os.close(r)


def test_a_redirected_json_document_keeps_its_bytes(hostile_sbom: Path, tmp_path: Path) -> None:
    out = tmp_path / "policy.json"
    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\nlicenses:\n  deny: [GPL-3.0-only]\n")
    env = {**os.environ, "GITHUB_ACTIONS": "true"}
    with out.open("w") as f:
        subprocess.run(
            [sys.executable, "-m", "nix_attest.cli", "check", str(hostile_sbom), "--policy", str(policy),
             "--format", "json"],
            stdout=f, env=env, check=False,
        )  # fmt: skip
    names = {v["component"]["name"] for v in json.loads(out.read_text())["violations"] if v["component"]}
    assert set(HOSTILE) <= names
