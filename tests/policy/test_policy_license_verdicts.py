"""Licence verdicts pinned exactly (status and culprits): or-later families, '+' aliases, WITH exceptions,
custom ids, unknown and unparsable expressions, AND/OR precedence of failures."""

from __future__ import annotations

from typing import Any

import pytest

from nix_attest.policy.licenses import LicenseJudge, choices

CASES: list[tuple[Any, ...]] = [
    (None, (), (), "unknown", ("no licence",)),
    (None, (), ("",), "unknown", ("no licence",)),
    (None, (), ("((",), "unknown", ("((",)),
    # an unparsable or empty expression beside a denied one does not hide it (each one is judged)
    (None, ("GPL-3.0-only",), ("((", "GPL-3.0-only"), "denied", ("GPL-3.0-only",)),
    (None, ("GPL-3.0-only",), ("", "GPL-3.0-only"), "denied", ("GPL-3.0-only",)),
    (
        None,
        ("GPL-2.0-only WITH Classpath-exception-2.0",),
        ("GPL-2.0-only WITH Classpath-exception-2.0",),
        "denied",
        ("GPL-2.0-only WITH Classpath-exception-2.0",),
    ),
    (["MIT"], (), ("MIT",), "allowed", ()),
    (["MIT"], (), ("Apache-2.0",), "not-allowed", ("Apache-2.0",)),
    (["MIT"], (), ("MIT OR Apache-2.0",), "allowed", ()),
    (["MIT"], (), ("MIT AND Apache-2.0",), "not-allowed", ("Apache-2.0",)),
    (["MIT"], (), ("Foo-Custom",), "unknown", ("Foo-Custom",)),
    (["MIT"], (), ("Apache-2.0 OR Foo-Custom",), "unknown", ("Foo-Custom",)),
    (["MIT"], (), ("Apache-2.0 AND Foo-Custom",), "not-allowed", ("Apache-2.0",)),
    (["MIT"], (), ("MIT", "Apache-2.0"), "not-allowed", ("Apache-2.0",)),
    (None, ("GPL-3.0-only",), ("GPL-3.0-only",), "denied", ("GPL-3.0-only",)),
    (None, ("GPL-3.0-only",), ("GPL-3.0-or-later",), "denied", ("GPL-3.0-or-later",)),
    (None, ("GPL-3.0-only",), ("GPL-2.0-or-later",), "allowed", ()),
    (None, ("GPL-3.0-only",), ("GPL-2.0+",), "allowed", ()),
    (["GPL-2.0-or-later"], (), ("GPL-3.0-only",), "allowed", ()),
    (["GPL-2.0+"], (), ("GPL-3.0-only",), "allowed", ()),
    (["gpl-2.0+"], (), ("GPL-2.0-only",), "allowed", ()),
    (["GPL-2.0-only"], (), ("GPL-2.0-only WITH Classpath-exception-2.0",), "allowed", ()),
    (
        None,
        ("Classpath-exception-2.0",),
        ("GPL-2.0-only WITH Classpath-exception-2.0",),
        "denied",
        ("GPL-2.0-only WITH Classpath-exception-2.0",),
    ),
    (None, (), ("MIT WITH Unknown-exception",), "unknown", ("Unknown-exception",)),
    (["MIT", "My-exception"], (), ("MIT WITH My-exception",), "allowed", ()),
    (
        ["MIT"],
        ("GPL-3.0-only",),
        ("Apache-2.0 OR GPL-3.0-only",),
        "not-allowed",
        ("Apache-2.0", "GPL-3.0-only"),
    ),
    (["MIT"], ("GPL-3.0-only",), ("Apache-2.0 AND GPL-3.0-only",), "denied", ("Apache-2.0", "GPL-3.0-only")),
    (None, (), ("LicenseRef-x",), "unknown", ("LicenseRef-x",)),
    (["LicenseRef-x"], (), ("LicenseRef-x",), "allowed", ()),
    (
        ["GPL-2.0-only WITH Classpath-exception-2.0"],
        (),
        ("GPL-2.0-only WITH Classpath-exception-2.0",),
        "allowed",
        (),
    ),
    (
        ["MIT"],
        (),
        ("GPL-2.0-only WITH Classpath-exception-2.0",),
        "not-allowed",
        ("GPL-2.0-only WITH Classpath-exception-2.0",),
    ),
]


@pytest.mark.parametrize(("allow", "deny", "expressions", "status", "culprits"), CASES)
def test_verdicts(
    allow: list[str] | None,
    deny: tuple[str, ...],
    expressions: tuple[str, ...],
    status: str,
    culprits: tuple[str, ...],
) -> None:
    verdict = LicenseJudge(allow, deny).judge(expressions)
    assert (verdict.status, verdict.culprits) == (status, culprits)


def test_or_later_choices() -> None:
    assert choices("GPL-2.0-or-later") == choices("GPL-2.0+") == {"GPL-2.0-only", "GPL-3.0-only"}
    assert choices("LGPL-2.1-or-later") == {"LGPL-2.1-only", "LGPL-3.0-only"}
    assert choices("MIT") == {"MIT"}
    assert choices("Foo-1.0+") == {"Foo-1.0+"}  # no known family: the id itself


def test_a_judge_answers_the_same_twice() -> None:
    judge = LicenseJudge(["MIT"])
    first = judge.judge(("Apache-2.0",))
    assert judge.judge(("Apache-2.0",)) == first and first.status == "not-allowed"
