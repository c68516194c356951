"""The README and docs/action.md tell the truth about every action input, output and default, and
about every CLI command."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nix_attest.cli import COMMANDS

REPO = Path(__file__).resolve().parents[1]
ACTIONS = [REPO / "action.yml", *sorted((REPO / "actions").glob("*/action.yml"))]


def _rows(text: str) -> dict[str, str]:
    """First two cells of every Markdown table row whose first cell is `code`."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].startswith("`") and cells[0].endswith("`"):
            out.setdefault(cells[0].strip("`"), cells[1])
    return out


@pytest.mark.parametrize("action", ACTIONS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_input_and_output_is_documented(action: Path) -> None:
    spec = yaml.safe_load(action.read_text())
    doc = (REPO / "docs" / "action.md").read_text()
    for name in [*(spec.get("inputs") or {}), *(spec.get("outputs") or {})]:
        assert f"`{name}`" in doc, f"{action.name}: {name} is not in docs/action.md"


def test_readme_lists_the_root_action_with_its_defaults() -> None:
    spec = yaml.safe_load((REPO / "action.yml").read_text())
    rows = _rows((REPO / "README.md").read_text())
    for name, field in spec["inputs"].items():
        assert name in rows, f"input {name} missing from the README"
        default = str(field.get("default", ""))
        assert rows[name].strip("`") == (default or '""'), f"input {name}: README says {rows[name]}"
    for name in spec["outputs"]:
        assert name in rows, f"output {name} missing from the README"


def test_readme_documents_every_command() -> None:
    readme = (REPO / "README.md").read_text()
    for name in COMMANDS:
        assert f"nix-attest {name}" in readme, name
