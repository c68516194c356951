"""Short ways taken for speed on large graphs (bench/sbom_scale.py) must give exactly what the general
code gives: web URLs recognised by one regex instead of urlsplit, and a package's licences read once per
distinct list instead of once per package."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers.properties import BOUNDED
from hypothesis import given
from hypothesis import strategies as st

from nix_attest.nix.meta import _read_licenses, parse_eval
from nix_attest.untrusted import MAX_URL, _web_url, web_url

URLS = [
    "https://example.org",
    "https://example.org/",
    "HTTP://Example.ORG/a/b?c=d#e",
    "https://a-b.c-d.example/x%20y",
    "https://example.org/ünïcode/path",
    "https://example.org./",  # a trailing dot: the general way decides
    "https://localhost/",  # no dot: not a web URL here
    "https://user@example.org/",
    "https://example.org:8443/x",
    "https://example.org:bad/x",
    "https://[::1]/x",
    "https://[broken/x",
    "https://-example.org",
    "https://..example.org",
    "ftp://example.org/x",
    "javascript:alert(1)",
    "https://example.org/a b",
    "https://example.org/a\nb",
    "https://example.org/\u2028",
    "https://example.org/<x>",
    "https://example.org/" + "x" * (MAX_URL - 20),
    "https://example.org/" + "x" * MAX_URL,
    " https://example.org/",
    "",
]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("schemes", [("https", "http"), ("https",), ("http",)])
def test_web_url_short_way_agrees(url: str, schemes: tuple[str, ...]) -> None:
    assert web_url(url, schemes) == _web_url(url, schemes)


def test_web_url_short_way_is_taken_and_right() -> None:
    assert web_url("https://example.org/x") == "https://example.org/x"
    assert web_url("http://example.org/x", ("https",)) is None
    assert web_url("https://localhost/") is None


URLISH = st.text(alphabet="hHtTpPsS:/.-_aZ09@[]?#% \n<>\u2028é", max_size=40)


@BOUNDED
@given(st.one_of(URLISH, st.builds(lambda rest: "https://" + rest, URLISH)))
def test_web_url_agrees_on_arbitrary_text(text: str) -> None:
    for schemes in (("https", "http"), ("https",)):
        assert web_url(text, schemes) == _web_url(text, schemes)


def eval_doc(licences: list[Any]) -> str:
    packages = [
        {"drvPath": f"/nix/store/{i:032d}-p{i}.drv", "pname": f"p{i}", "licenses": lic}
        for i, lic in enumerate(licences)
    ]
    return json.dumps({"isDerivation": True, "drvPath": packages[0]["drvPath"], "packages": packages})


def test_licences_read_once_per_list_are_read_right() -> None:
    mit = {"spdxId": "MIT", "fullName": "MIT License", "url": "https://spdx.org/licenses/MIT.html"}
    lists: list[Any] = [
        [mit],
        [mit],
        [{**mit, "url": "javascript:x"}],  # differs only in the URL
        [{**mit, "shortName": "mit"}],  # only in the short name
        [{**mit, "fullName": "MIT\nLicense"}],  # only in the full name
        [{**mit, "spdxId": "Apache-2.0"}],
        [mit, {"spdxId": "BSD-3-Clause"}],
        [{"spdxId": "BSD-3-Clause"}, mit],  # the order counts
        [mit, "MIT", 7, None],  # entries that are no licence object are skipped
        [{"spdxId": ["MIT"], "fullName": {"x": 1}}],  # values that are no JSON scalars: read uncached
        [{"spdxId": ["MIT"], "fullName": {"x": 1}}],
        [{"spdxId": 1}],
        [{"spdxId": True}],
        [{"spdxId": "1"}],
        [],
        None,
    ]
    result = parse_eval(eval_doc(lists), "x")
    got = [m.licenses for m in result.packages.values()]
    assert got == [_read_licenses(lic or []) for lic in lists]
    assert got[0] is got[1]  # the same list is read once
    assert len({got[i] for i in (0, 2, 3, 4, 5)}) == 5
    assert got[13][0].spdx_id == "1" and got[11] == got[12] == (got[11][0],)
