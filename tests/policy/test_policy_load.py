"""Malformed policies: every error names the file, the line and the key, and exits 2."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from nix_attest.errors import EXIT_USAGE, PolicyFileError
from nix_attest.policy import Policy, load_policy, policy_schema
from nix_attest.policy.source import read_yaml_policy

Write = Callable[[str], Policy]


def error_of(write_policy: Write, text: str) -> str:
    with pytest.raises(PolicyFileError) as info:
        write_policy(text)
    assert info.value.exit_code == EXIT_USAGE
    message = str(info.value)
    assert "\n" not in message
    return message


def test_schema_is_published_and_valid() -> None:
    schema = policy_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    on_disk = Path(__file__).parents[2] / "src/nix_attest/policy/policy.schema.json"
    assert json.loads(on_disk.read_text()) == schema


def test_example_policies_match_the_schema() -> None:
    validator = jsonschema.Draft202012Validator(policy_schema())
    examples = sorted((Path(__file__).parents[2] / "examples/policies").glob("*.yaml"))
    assert len(examples) >= 2
    for path in examples:
        validator.validate(read_yaml_policy(path).data)  # dates stay strings, as the schema says
        load_policy(path)


def test_bad_enum_names_line_and_key(write_policy: Write) -> None:
    message = error_of(write_policy, "fail-on: error\nlicenses:\n  deny: [GPL-3.0-only]\n  unknown: maybe\n")
    assert message.startswith(str(Path(message.split(":")[0])))
    assert "policy.yaml:4: licenses.unknown:" in message
    assert "maybe" in message


def test_unknown_top_level_key_is_a_compile_error(write_policy: Write) -> None:
    message = error_of(write_policy, "fail-on: error\nlicences:\n  deny: [MIT]\n")
    assert "policy.yaml:2: licences: unknown key 'licences'" in message


def test_unknown_nested_key(write_policy: Write) -> None:
    message = error_of(write_policy, "sources:\n  require-hash: true\n  allow-http: false\n")
    assert "policy.yaml:3: sources.allow-http: unknown key" in message


def test_wrong_type_in_list(write_policy: Write) -> None:
    message = error_of(
        write_policy, "rules:\n  - id: a\n    expr: 'true'\n    message: m\n    severity: fatal\n"
    )
    assert "policy.yaml:5: rules[0].severity:" in message


def test_missing_required_key(write_policy: Write) -> None:
    message = error_of(write_policy, "rules:\n  - id: a\n    expr: 'true'\n")
    assert "policy.yaml:2: rules[0]:" in message and "message" in message


def test_bad_package_entry(write_policy: Write) -> None:
    message = error_of(write_policy, "packages:\n  deny:\n    - {name: a, purl: 'pkg:nix/a'}\n")
    assert "policy.yaml:3: packages.deny[0]:" in message
    message = error_of(write_policy, "packages:\n  deny:\n    - openssl ~ 3\n")
    assert "policy.yaml:3: packages.deny[0]: bad version constraint" in message


def test_bad_cel_is_a_compile_error_with_line(write_policy: Write) -> None:
    text = "rules:\n  - id: broken\n    expr: 'component.name =='\n    message: m\n"
    message = error_of(write_policy, text)
    assert "policy.yaml:3: rules[0].expr: CEL compile error in rule 'broken'" in message


def test_cel_unknown_function_and_variable(write_policy: Write) -> None:
    fn = error_of(write_policy, "rules:\n  - {id: a, expr: 'frobnicate(component)', message: m}\n")
    assert "unknown function 'frobnicate'" in fn
    var = error_of(write_policy, "rules:\n  - {id: a, expr: 'pkg.name == \"x\"', message: m}\n")
    assert "unknown variable 'pkg'" in var
    sbom_rule = error_of(
        write_policy, "rules:\n  - {id: a, per: sbom, expr: 'component.name == \"\"', message: m}\n"
    )
    assert "unknown variable 'component'" in sbom_rule


def test_duplicate_rule_ids_and_keys(write_policy: Write) -> None:
    text = "rules:\n  - {id: a, expr: 'true', message: m}\n  - {id: a, expr: 'true', message: m}\n"
    assert "policy.yaml:3: rules[1].id: duplicate rule id 'a'" in error_of(write_policy, text)
    assert "policy.yaml:2: duplicate key 'fail-on'" in error_of(
        write_policy, "fail-on: error\nfail-on: never\n"
    )


def test_bad_waiver_date(write_policy: Write) -> None:
    message = error_of(write_policy, "waivers:\n  - {rule: a, reason: r, expires: 2026-02-30}\n")
    assert "policy.yaml:2: waivers[0].expires: not a date" in message
    message = error_of(write_policy, "waivers:\n  - {rule: a, reason: r, expires: next year}\n")
    assert "waivers[0].expires" in message


def test_invalid_yaml_and_not_a_mapping(write_policy: Write) -> None:
    assert "policy.yaml:2: invalid YAML" in error_of(write_policy, "a: b\n  c: d\n")
    assert "a policy must be a mapping" in error_of(write_policy, "- just\n- a list\n")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match="policy file not found"):
        load_policy(tmp_path / "nope.yaml")


def test_valid_policy_records(write_policy: Write) -> None:
    policy = write_policy(
        "version: 1\n"
        "fail-on: warning\n"
        "closure: {max-runtime-bytes: 1.5 GiB}\n"
        "required: {runtime: [purl]}\n"
        "waivers:\n"
        "  - {id: W1, rule: 'licenses.*', component: 'pkg:nix/foo', reason: r, expires: 2026-01-31}\n"
    )
    assert policy.fail_on == "warning"
    assert policy.closure is not None and policy.closure.max_runtime_bytes == int(1.5 * 2**30)
    assert policy.required[0].field == "purl" and policy.required[0].scope == "runtime"
    assert policy.waivers[0].expires is not None and policy.waivers[0].expires.isoformat() == "2026-01-31"
    assert policy.waivers[0].label == "W1"


@pytest.mark.parametrize("key", ["allow", "deny"])
def test_a_blank_licence_entry_is_refused(write_policy: Write, key: str) -> None:
    """A licence of only spaces names nothing: the rule would silently never match (found by mutation:
    it reached the licence parser, which gives no expression for it)."""
    message = error_of(write_policy, f'licenses: {{{key}: [MIT, "  "]}}\n')
    assert f"policy.yaml:1: licenses.{key}[1]: " in message and message.endswith('does not match "\\S"'), (
        message
    )
