"""The request body of GitHub's "Create a snapshot of dependencies for a repository"
(POST /repos/{owner}/{repo}/dependency-graph/snapshots), as a JSON Schema, written from the REST API
documentation (docs.github.com, "REST API endpoints for dependency submission") and the published
OpenAPI description: the required members, the ``sha``/``ref``/``package_url`` forms, the
relationship and scope enums, metadata of at most 8 scalar values, no other members."""

from __future__ import annotations

from typing import Any

_METADATA: dict[str, Any] = {
    "type": "object",
    "maxProperties": 8,
    "additionalProperties": {"type": ["string", "number", "boolean"]},  # no null in GitHub's schema
}

SNAPSHOT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "job", "sha", "ref", "detector", "scanned"],
    "additionalProperties": False,
    "properties": {
        "version": {"type": "integer"},
        "job": {
            "type": "object",
            "required": ["id", "correlator"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string"},
                "correlator": {"type": "string"},
                "html_url": {"type": "string"},
            },
        },
        "sha": {"type": "string", "minLength": 40, "maxLength": 40},
        "ref": {"type": "string", "pattern": "^refs/"},
        "detector": {
            "type": "object",
            "required": ["name", "version", "url"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string"},
                "version": {"type": "string"},
                "url": {"type": "string"},
            },
        },
        "metadata": _METADATA,
        "manifests": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "file": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"source_location": {"type": "string"}},
                    },
                    "metadata": _METADATA,
                    "resolved": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "package_url": {"type": "string", "pattern": "^pkg"},
                                "metadata": _METADATA,
                                "relationship": {"enum": ["direct", "indirect"]},
                                "scope": {"enum": ["runtime", "development"]},
                                "dependencies": {"type": "array", "items": {"type": "string"}},
                            },
                        },
                    },
                },
            },
        },
        "scanned": {"type": "string", "format": "date-time"},
    },
}
