"""The OASIS SARIF 2.1.0 schema (tests/data/sarif) as a validator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

SARIF_SCHEMA = Path(__file__).resolve().parents[1] / "data/sarif/sarif-schema-2.1.0.json"


def sarif_validator() -> Any:
    schema = json.loads(SARIF_SCHEMA.read_text())
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
