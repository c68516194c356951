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
    "argv",
    [
        ["check", "/nonexistent/sbom.json"],
        ["diff", "/nonexistent/a.json", "/nonexistent/b.json"],
        ["verify", "/nonexistent/bundle.json", "--file", "/etc/hostname", "--repository", "o/r"],
        ["comment", "--body-file", "/nonexistent/report.md"],
        ["sbom", "--frobnicate"],
        ["run", "--closure", "sideways"],
    ],
)
def test_missing_files_and_bad_flags(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert re.fullmatch(r"nix-attest: error: [^\n]+\n", err), err
    assert code in (1, 2), err  # verify reports an unreadable bundle as a failed verification
