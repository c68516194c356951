"""A pull request's flake with hostile metadata (tests/data/flakes/hostile): huge values, control
characters, line breaks that would start GitHub workflow commands, mark-up, homepages, licence URLs and
e-mail addresses that are not. The SBOM is still written, valid for the CycloneDX schema and for
spdx-tools, every value from the flake bounded and free of control characters, and nothing it says
reaches a log line of its own."""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from nix_attest.cli import main
from nix_attest.github.dependency_graph import SubmitContext, snapshot
from nix_attest.sbom.read import load_sbom
from nix_attest.sbom.validate import schema_errors

from .conftest import REPO

pytestmark = pytest.mark.nix

HOSTILE = REPO / "tests" / "data" / "flakes" / "hostile" / "flake.nix"
LIMIT = 1000  # no string from the flake is longer in the SBOM (descriptions; names are far shorter)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("hostile")
    shutil.copy(HOSTILE, d / "flake.nix")
    return d


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_REPOSITORY", "GITHUB_SERVER_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings(k), *strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def disguising(text: str) -> list[str]:
    return [ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")]


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx"])
@pytest.mark.parametrize("closure", [(), ("--no-build",)])
def test_hostile_metadata_is_bounded_and_inert(
    fmt: str, closure: tuple[str, ...], hostile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sbom.json"
    code = main(["sbom", f"path:{hostile}#default", *closure, "--format", fmt, "--author", "X <x@y.org>",
                 "-o", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    # nothing from the flake starts a line of the log (`::warning::` would be a workflow command)
    assert not [line for line in err.splitlines() if not line.startswith(("nix-attest:", "nix:"))], err
    assert "::" not in err.replace("nix-attest:", "").replace("nix:", "")
    doc = json.loads(out.read_text())
    if fmt == "cyclonedx":
        assert schema_errors(doc, doc["specVersion"]) == []
        annotations: list[str] = []
    else:
        assert validate_full_spdx_document(parse_file(str(out))) == []
        annotations = [a["comment"] for p in doc["packages"] for a in p.get("annotations", [])]
    texts = [s for s in strings(doc) if s not in annotations]  # the annotation is JSON of the same values
    assert max(len(s) for s in texts) <= LIMIT
    assert [s for s in texts if disguising(s)] == []
    # read back: names and versions are one bounded line, and the snapshot's purls are too
    sbom = load_sbom(out)
    evil = next(c for c in sbom.components if c.name.startswith("evil"))
    assert len(evil.name) <= 200 and evil.version is not None and len(evil.version) <= 200
    assert not disguising(evil.name) and not disguising(evil.version)
    ctx = SubmitContext("o/r", "0" * 40, "refs/heads/main", "1", "c")
    body = snapshot(sbom, ctx, scanned="2024-01-01T00:00:00Z")
    purls = [k for m in body["manifests"].values() for k in m["resolved"]]
    assert purls and max(len(p) for p in purls) <= 600
