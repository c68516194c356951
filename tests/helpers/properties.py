"""Shared pieces of the property-based tests (hypothesis) of parsers of untrusted input: arbitrary JSON,
a valid document with one subtree replaced by it, and the CLI check that an answer is a result or one
error line with a defined exit code."""

from __future__ import annotations

import copy
import os
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from nix_attest.cli import main

EXAMPLES = int(os.environ.get("NIX_ATTEST_HYPOTHESIS_EXAMPLES", "40"))
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ONE_LINE = re.compile(r"nix-attest: error: [^\n]+\n")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


def paths_of(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``doc`` (dict keys and list indexes)."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths_of(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += paths_of(v, (*prefix, i))
    return out


def replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    out = copy.deepcopy(doc)
    node = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


@st.composite
def mutated(draw: st.DrawFn, doc: Any) -> Any:
    """``doc`` with one subtree (or a key's value) replaced by arbitrary JSON."""
    path = draw(st.sampled_from(paths_of(doc)))
    return replaced(doc, path, draw(json_values))


def cli(argv: list[str], capsys: pytest.CaptureFixture[str], allowed: tuple[int, ...]) -> int:
    code = main(argv)
    err = capsys.readouterr().err
    if code != 0:
        assert "internal error" not in err, err
        assert ONE_LINE.search(err), err
    assert code in allowed, err
    return code
