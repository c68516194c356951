from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nix_attest.errors import InputError
from nix_attest.github import actions
from nix_attest.github.context import pull_request_context
from nix_attest.github.limits import MAX_SUMMARY_BYTES


@pytest.fixture
def in_actions(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    out = tmp_path / "output"
    out.touch()
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    return tmp_path


def parse_output_file(text: str) -> dict[str, str]:
    result = {}
    for m in re.finditer(r"^([^<\n]+)<<(ghadelimiter_[0-9a-f-]+)\n(.*?)\n\2$", text, re.S | re.M):
        result[m.group(1)] = m.group(3)
    return result


def test_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INPUT_GITHUB_TOKEN", "  t  ")
    monkeypatch.setenv("INPUT_SIGN", "true")
    monkeypatch.setenv("INPUT_COMMENT", "sometimes")
    monkeypatch.setenv("INPUT_CHECK_REPRODUCIBLE", "yes")
    assert actions.get_input("github-token") == "t"
    assert actions.get_input("installable", ".#default") == ".#default"
    assert actions.get_bool_input("sign") is True
    assert actions.get_bool_input("upload-attestation") is False
    with pytest.raises(InputError, match="check-reproducible must be true or false"):
        actions.get_bool_input("check-reproducible")
    with pytest.raises(InputError, match="comment must be one of always, on-failure, never"):
        actions.get_choice_input("comment", ("always", "on-failure", "never"), "always")


def test_outputs_written_with_delimiters(in_actions: Path) -> None:
    actions.set_output("verdict", "pass")
    actions.set_output("store-paths", "/nix/store/a\n/nix/store/b")
    actions.set_output("violations", 3)
    parsed = parse_output_file((in_actions / "output").read_text())
    assert parsed == {"verdict": "pass", "store-paths": "/nix/store/a\n/nix/store/b", "violations": "3"}


def test_outputs_noop_without_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    actions.set_output("verdict", "pass")
    assert capsys.readouterr().out == ""


def test_annotations_have_no_empty_properties(in_actions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    actions.warning("first line\nsecond")
    actions.error("bad 100%")
    actions.notice("fyi")
    with actions.group("Build"):
        print("inside")
    actions.set_secret("s3cret")
    assert capsys.readouterr().out.splitlines() == [
        "::warning::nix-attest: first line second",
        "::error::nix-attest: bad 100%25",
        "::notice::nix-attest: fyi",
        "::group::Build",
        "inside",
        "::endgroup::",
        "::add-mask::s3cret",
    ]


def test_plain_output_outside_actions(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    actions.warning("careful")
    actions.set_secret("s3cret")
    with actions.group("Build"):
        pass
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "nix-attest: warning: careful\nnix-attest: Build\n"


def test_summary_appends_and_caps(in_actions: Path) -> None:
    summary = in_actions / "summary.md"
    summary.write_text("# earlier step\n")
    assert actions.append_summary("## nix-attest") == summary
    assert summary.read_text() == "# earlier step\n## nix-attest\n"
    actions.append_summary("é" * 700_000)  # 1.4 MB of UTF-8
    data = summary.read_bytes()
    assert len(data) <= MAX_SUMMARY_BYTES
    text = data.decode("utf-8")  # not cut inside a character
    assert text.endswith("_(job summary truncated at GitHub's 1 MiB limit)_\n")
    assert text.startswith("# earlier step\n## nix-attest\néé")


def test_summary_none_without_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert actions.append_summary("x") is None


def test_pull_request_context(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "pull_request": {
                    "number": 42,
                    "base": {"ref": "main", "sha": "b" * 40},
                    "head": {"sha": "h" * 40},
                }
            }
        )
    )
    env = {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_RUN_ID": "99",
        "GITHUB_WORKFLOW": "PR",
        "GITHUB_JOB": "sbom",
        "GITHUB_EVENT_NAME": "pull_request",
    }
    ctx = pull_request_context(env)
    assert (ctx.number, ctx.base_ref, ctx.base_sha) == (42, "main", "b" * 40)
    assert ctx.job == "PR/sbom"
    assert ctx.run_url == "https://github.com/o/r/actions/runs/99"
    local = pull_request_context({})
    assert local.number is None and local.job == "local" and local.run_url is None
