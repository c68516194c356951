from __future__ import annotations

import pytest

from nix_attest.policy.licenses import LicenseJudge, choices, spdx_allows


def status(judge: LicenseJudge, *expressions: str) -> str:
    return judge.judge(tuple(expressions)).status


def test_or_needs_one_allowed_branch_when_gpl_denied() -> None:
    judge = LicenseJudge(deny=["GPL-3.0-only"])
    assert status(judge, "MIT OR GPL-3.0-only") == "allowed"
    assert status(judge, "GPL-3.0-only OR GPL-3.0-only") == "denied"


def test_and_needs_every_operand() -> None:
    judge = LicenseJudge(deny=["GPL-3.0-only"])
    verdict = judge.judge(("MIT AND GPL-3.0-only",))
    assert verdict.status == "denied"
    assert verdict.culprits == ("GPL-3.0-only",)


def test_nested_expression_with_allow_list() -> None:
    judge = LicenseJudge(allow=["Apache-2.0", "MIT"])
    assert status(judge, "Apache-2.0 AND (MIT OR BSD-3-Clause)") == "allowed"
    verdict = judge.judge(("Apache-2.0 AND (BSD-2-Clause OR BSD-3-Clause)",))
    assert verdict.status == "not-allowed"
    assert set(verdict.culprits) == {"BSD-2-Clause", "BSD-3-Clause"}


def test_explicit_deny_wins_over_allow() -> None:
    judge = LicenseJudge(allow=["MIT", "GPL-3.0-only"], deny=["GPL-3.0-only"])
    assert status(judge, "GPL-3.0-only") == "denied"


def test_with_exception_is_one_unit() -> None:
    judge = LicenseJudge(allow=["MIT", "GPL-2.0-only WITH Classpath-exception-2.0"])
    assert status(judge, "GPL-2.0-only WITH Classpath-exception-2.0") == "allowed"
    assert status(judge, "GPL-2.0-only") == "not-allowed"
    # the unit can be denied while its base licence is allowed
    judge = LicenseJudge(allow=["GPL-2.0-only"], deny=["GPL-2.0-only WITH Classpath-exception-2.0"])
    assert status(judge, "GPL-2.0-only") == "allowed"
    assert status(judge, "GPL-2.0-only WITH Classpath-exception-2.0") == "denied"


def test_with_follows_base_licence_and_denied_exception() -> None:
    judge = LicenseJudge(allow=["GPL-3.0-only"])
    assert status(judge, "GPL-3.0-only WITH GCC-exception-3.1") == "allowed"
    judge = LicenseJudge(deny=["GCC-exception-3.1"])
    assert status(judge, "GPL-3.0-only WITH GCC-exception-3.1") == "denied"
    assert status(LicenseJudge(), "MIT WITH No-Such-exception") == "unknown"


def test_or_later_offers_later_versions() -> None:
    assert choices("GPL-2.0-or-later") == frozenset({"GPL-2.0-only", "GPL-3.0-only"})
    assert choices("GPL-2.0+") == choices("GPL-2.0-or-later")
    judge = LicenseJudge(allow=["GPL-3.0-only"])
    assert status(judge, "GPL-2.0-or-later") == "allowed"  # the licensee may pick 3.0
    assert status(judge, "GPL-2.0+") == "allowed"
    assert status(judge, "GPL-2.0-only") == "not-allowed"
    deny3 = LicenseJudge(deny=["GPL-3.0-only"])
    assert status(deny3, "GPL-2.0-or-later") == "allowed"  # 2.0 is still a choice
    assert status(deny3, "GPL-3.0-or-later") == "denied"  # no other choice exists


def test_or_later_in_allow_list_covers_later_versions() -> None:
    judge = LicenseJudge(allow=["LGPL-2.1-or-later"])
    assert status(judge, "LGPL-3.0-only") == "allowed"
    assert status(judge, "LGPL-2.1-only") == "allowed"
    assert status(judge, "LGPL-2.0-only") == "not-allowed"


def test_unknown_ids() -> None:
    judge = LicenseJudge(allow=["MIT"])
    assert judge.judge(("FooBar",)).culprits == ("FooBar",)
    assert status(judge, "FooBar") == "unknown"
    assert status(judge, "FooBar OR MIT") == "allowed"
    assert status(judge, "FooBar AND MIT") == "unknown"
    assert status(LicenseJudge(deny=["GPL-3.0-only"]), "FooBar AND GPL-3.0-only") == "denied"
    assert status(judge, "LicenseRef-corp") == "unknown"
    assert status(LicenseJudge(allow=["LicenseRef-corp"]), "LicenseRef-corp") == "allowed"


def test_no_licence_and_unparsable_are_unknown() -> None:
    judge = LicenseJudge()
    assert status(judge) == "unknown"
    assert status(judge, "MIT AND") == "unknown"


def test_several_licences_are_anded_and_case_is_normalised() -> None:
    judge = LicenseJudge(allow=["mit"])
    assert status(judge, "MIT") == "allowed"
    assert status(judge, "MIT", "Apache-2.0") == "not-allowed"


def test_decisions_are_cached_per_expression() -> None:
    judge = LicenseJudge(allow=["MIT"])
    first = judge.judge(("MIT OR Apache-2.0",))
    assert judge.judge(("MIT OR Apache-2.0",)) is first


@pytest.mark.parametrize(
    ("expression", "allow", "expected"),
    [
        ("MIT OR GPL-3.0-only", ["GPL-3.0-only"], True),
        ("MIT AND GPL-3.0-only", ["MIT"], False),
        ("GPL-2.0-or-later", ["GPL-3.0-only"], True),
        ("Unknown-Thing", ["MIT"], False),
    ],
)
def test_spdx_allows_helper(expression: str, allow: list[str], expected: bool) -> None:
    assert spdx_allows(expression, allow) is expected
