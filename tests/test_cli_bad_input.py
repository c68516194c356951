"""Bad input never gives a traceback: every command answers with one `nix-attest: error:` line and a
documented exit code (2 for bad input, 1 only for a failed check, 3 for external failures)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nix_attest.cli import main

SBOM_HEAD = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}
ROOT = {"type": "application", "name": "app", "bom-ref": "/nix/store/00000000000000000000000000000000-app"}


def _write(tmp: Path, name: str, content: object) -> str:
    path = tmp / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


BAD_SBOMS: dict[str, object] = {
    "not-json": "{nope",
    "not-cyclonedx": {"hello": "world"},
    "component-not-object": {**SBOM_HEAD, "metadata": {"component": ROOT}, "components": [1]},
    "licence-as-string": {
        **SBOM_HEAD,
        "metadata": {"component": ROOT},
        "components": [{"type": "library", "name": "x", "licenses": ["MIT"]}],
    },
    "dependency-not-object": {**SBOM_HEAD, "metadata": {"component": ROOT}, "dependencies": [1]},
    "no-root": {**SBOM_HEAD, "components": []},
    "unknown-spec": {**SBOM_HEAD, "specVersion": "9.9", "metadata": {"component": ROOT}},
}


def _commands(sbom: str, tmp: Path) -> list[list[str]]:
    return [
        ["check", sbom, "--policy", _write(tmp, "p.yaml", "fail-on: error\n")],
        ["diff", sbom, sbom],
        ["sign", "--sbom", sbom, "-o", str(tmp / "out"), "--identity-token", "a.b.c"],
    ]


@pytest.mark.parametrize("kind", sorted(BAD_SBOMS))
def test_malformed_sbom_is_one_line_exit_2(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sbom = _write(tmp_path, "sbom.json", BAD_SBOMS[kind])
    for argv in _commands(sbom, tmp_path):
        code = main(argv)
        err = capsys.readouterr().err
        assert re.fullmatch(r"nix-attest: error: [^\n]+\n", err), (argv, err)
        assert code == 2, (argv, err)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["check", "/nonexistent/sbom.json"], 2),
        (["diff", "/nonexistent/a.json", "/nonexistent/b.json"], 2),
        (["verify", "/nonexistent/bundle.json", "--file", "/etc/hostname", "--repository", "o/r"], 2),
        (["comment", "--body-file", "/nonexistent/report.md"], 2),
        (["comment", "--body-file", "/"], 2),
        (["sbom", "--frobnicate"], 2),
        (["run", "--closure", "sideways"], 2),
    ],
)
def test_missing_files_and_bad_flags(
    argv: list[str], expected: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each answer is the exit code the README and docs/attest.md promise: 2 for a missing file or a
    bad flag (an unreadable bundle too: only a bundle that was read and is wrong is exit 1)."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert re.fullmatch(r"nix-attest: error: [^\n]+\n", err), err
    assert code == expected, err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is empty: there is no report to post"),
        (b" \n\t\n", "is empty: there is no report to post"),
        (b"## report\n\xff\xfe broken", "is not UTF-8 text"),
    ],
)
def test_comment_body_file_must_be_a_report(
    content: bytes,
    problem: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_" + "x" * 36)
    body = tmp_path / "report.md"
    body.write_bytes(content)
    code = main(["comment", "--body-file", str(body), "--repository", "o/r", "--pr", "1", "--no-summary"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert re.fullmatch(rf"nix-attest: error: [^\n]*report\.md {problem}[^\n]*\n", err), err


@pytest.mark.parametrize("kind", ["not-json", "not-a-bundle", "deep"])
def test_a_read_but_malformed_bundle_is_a_failed_verification(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = {"not-json": "{nope", "not-a-bundle": json.dumps({"a": 1}), "deep": "[" * 500 + "]" * 500}[kind]
    bundle = _write(tmp_path, "b.sigstore.json", content)
    code = main(["verify", bundle, "--file", bundle, "--repository", "o/r", "--offline"])
    err = capsys.readouterr().err
    assert re.fullmatch(r"nix-attest: error: [^\n]+\n", err), err
    assert code == 1, err
