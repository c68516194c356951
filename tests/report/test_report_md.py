"""The Markdown helpers, exactly: every PR string goes through them, so each rule is pinned."""

from __future__ import annotations

import pytest

from nix_attest.report import md


def test_text_escapes_html_and_markdown() -> None:
    assert md.text(None) == ""
    assert md.text("") == ""
    assert md.text("a & b <i>x</i>") == "a &amp; b &lt;i&gt;x&lt;/i&gt;"
    assert md.text("*b* _i_ [l](u) `c` | # + ! ~ {}\\") == (
        "\\*b\\* \\_i\\_ \\[l\\]\\(u\\) \\`c\\` \\| \\# \\+ \\! \\~ \\{\\}\\\\"
    )
    assert md.text("two\n  lines\tand  tabs") == "two lines and tabs"


def test_text_is_cut_at_its_limit() -> None:
    assert md.text("a" * 300) == "a" * 300
    assert md.text("a" * 301) == "a" * 299 + "…"
    assert md.text("abcdef", limit=5) == "abcd…"
    assert md.text("abcde", limit=5) == "abcde"


def test_code_spans() -> None:
    assert md.code(None) == "`-`" and md.code("") == "`-`"
    assert md.code("a`b|c\nd") == "`a'b\\|c d`"
    assert md.code("x" * 200) == "`" + "x" * 200 + "`"
    assert md.code("x" * 201) == "`" + "x" * 199 + "…`"
    assert md.code("abcdef", limit=5) == "`abcd…`"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a b(c)<d>", "[lib](https://example.org/a%20b%28c%29%3Cd%3E)"),
        ("http://example.org/x", "[lib](http://example.org/x)"),
        (None, "lib"),
        ("", "lib"),
        ("javascript:alert(1)", "lib"),
        ("HTTP://example.org", "lib"),
        ("ftp://example.org", "lib"),
        # an advisory URL built from an id a compromised source chose: nothing may end the destination
        (
            "https://osv.dev/vulnerability/A\n\n@octocat <!-- x",
            "[lib](https://osv.dev/vulnerability/A%0A%0A@octocat%20%3C!--%20x)",
        ),
        ("https://e.org/a\rb\tc\x00d\x7f", "[lib](https://e.org/a%0Db%09c%00d%7F)"),
        ("https://e.org/x\\", "[lib](https://e.org/x%5C)"),  # a backslash would escape the closing )
    ],
)
def test_links_only_for_http_urls_with_escaped_destinations(url: str | None, expected: str) -> None:
    assert md.link("lib", url) == expected


def test_link_labels_are_text() -> None:
    assert md.link("<b>", None) == "&lt;b&gt;"
    assert md.link("[x]", "https://e.org") == "[\\[x\\]](https://e.org)"


@pytest.mark.parametrize(
    ("n", "shown"),
    [
        (None, "unknown"),
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (1024 * 1024 - 1, "1024.0 KiB"),
        (1024 * 1024, "1.0 MiB"),
        (5 * 2**30, "5.0 GiB"),
        (2**40, "1024.0 GiB"),
        (-2048, "-2.0 KiB"),
        (-5, "-5 B"),
    ],
)
def test_sizes(n: int | None, shown: str) -> None:
    assert md.size(n) == shown


def test_signed_sizes_and_details() -> None:
    assert md.signed_size(None) == "unknown"
    assert md.signed_size(0) == "±0 B"
    assert md.signed_size(10) == "+10 B"
    assert md.signed_size(1) == "+1 B"
    assert md.signed_size(-2048) == "-2.0 KiB"
    assert md.details("3 more", "body") == "<details><summary>3 more</summary>\n\nbody\n\n</details>"
