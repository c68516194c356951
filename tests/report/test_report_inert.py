"""PR text in the comment pings nobody, references no issue and hides nothing: component names,
licences, versions and messages come from the pull request."""

from __future__ import annotations

import html
import re

import pytest
from helpers.report_fixtures import comp, report, sbom, violation

from nix_attest.github.comment import marker, with_marker
from nix_attest.report import md
from nix_attest.report.markdown import render_comment, render_summary
from nix_attest.report.model import Counts, ReportData
from nix_attest.sbom.diff import diff_sboms

OTHER_JOB = marker(".#app", "another-workflow/job")
MARK = marker(".#app", "pr/check")
HOSTILE = ("@octocat @org/team", "fix #123 and GH-42 and o/r#7", OTHER_JOB, "@everyone")
LIVE_MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")  # GitHub: @ after a non-word character
LIVE_REFERENCE = re.compile(r"(?<![\w&])#[0-9]+\b|\bGH-[0-9]+\b", re.IGNORECASE)


def hostile_report() -> ReportData:
    root = comp("app", "1.0", ref="/nix/store/r-app")
    base = sbom(root)
    parts = [
        comp(name, "@1.0", lic=("@everyone",), ref=f"/nix/store/{i}-x") for i, name in enumerate(HOSTILE)
    ]
    head = sbom(root, *parts)
    return ReportData(
        installable="@octocat#1",
        verdict="fail",
        counts=Counts(runtime=1, buildtime=1, runtime_size=1),
        policy=report(
            *(violation("r", "error", name, f"{name} is banned, cc @admins #99") for name in HOSTILE)
        ),
        diff=diff_sboms(base, head),
        diff_head=head,
        diff_base_label="@main",
        problems=("see #5 @someone <!-- hidden -->",),
    )


def test_hostile_names_are_inert_in_comment_and_summary() -> None:
    for body in (render_comment(hostile_report(), MARK), render_summary(hostile_report())):
        assert not LIVE_MENTION.search(body), LIVE_MENTION.search(body)
        assert not LIVE_REFERENCE.search(body), LIVE_REFERENCE.search(body)
        assert body.count("<!--") == body.startswith(MARK)  # only our own marker, first
        assert OTHER_JOB not in body
        assert "octocat" in body and "everyone" in body and "123" in body  # still shown, just inert


def test_inert_keeps_the_text_readable() -> None:
    assert md.inert("@octocat #12 GH-3 <!-- x -->") == "@\u200doctocat #\u200d12 GH-\u200d3 <\u200d!-- x -->"
    assert md.inert(md.inert("@a #1")) == md.inert("@a #1")
    assert (
        md.inert("mail me@example.org, see ## Heading, C# 8, &#64;")
        == "mail me@\u200dexample.org, see ## Heading, C# 8, &#\u200d64;"
    )
    assert md.text("@octocat") == "@\u200doctocat" and md.code("#1") == "`#\u200d1`"
    assert md.code("<!-- x -->") == "`<\u200d!-- x -->`"
    assert md.text("<!-- x -->") == "&lt;\u200d\\!-- x --&gt;"


def test_the_posted_body_keeps_its_mermaid_colours() -> None:
    posted = with_marker(render_comment(hostile_report(), MARK), MARK)
    assert "classDef added fill:#d4f8d4,stroke:#2da44e" in posted
    assert not LIVE_MENTION.search(posted) and not LIVE_REFERENCE.search(posted)


def test_with_marker_always_prepends_and_neutralises_the_body() -> None:
    spoof = f"{OTHER_JOB}\nI am the other job's comment\n{MARK}\n@octocat"
    text = with_marker(spoof, MARK)
    assert text.startswith(f"{MARK}\n<\u200d!-- nix-attest:")
    assert text.count("<!--") == 1 and "@\u200doctocat" in text
    assert with_marker(f"{MARK}\nreport", MARK) == f"{MARK}\nreport"  # rendered with the marker: kept once
    assert with_marker("report", MARK) == f"{MARK}\nreport"


BIDI = "\u202e\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d\u200e\u200f\u061c"


def test_bidi_overrides_and_control_characters_cannot_disguise_pr_text() -> None:
    """A component named 'evil\\u202elibc' shows as 'evilcbil' reversed (Trojan Source), an ANSI escape
    or a backspace hides text: each becomes a visible U+FFFD; newlines and tabs of documents stay."""
    for ch in BIDI + "\x00\x08\x1b\x7f\x85\x9b":
        assert md.inert(f"a{ch}b") == "a\ufffdb", repr(ch)
        if not ch.isspace():  # text and code turn whitespace (NEL included) into one space first
            assert md.text(f"a{ch}b") == "a\ufffdb" and md.code(f"a{ch}b") == "`a\ufffdb`"
    assert md.inert("line\n\tnext\r\n") == "line\n\tnext\r\n"
    assert md.inert(md.inert("@a \u202e")) == md.inert("@a \u202e")  # still idempotent
    head = hostile_report()
    named = ReportData(installable="app\u202egnp.exe", verdict="pass", label="os=\u2067x", problems=("\x1b",))
    for body in (render_comment(named, MARK), render_summary(named), render_comment(head, MARK)):
        assert not any(ch in body for ch in BIDI + "\x1b")


@pytest.mark.parametrize(
    "hostile",
    ["&#x40;octocat", "&#X40;org/team", "&#x0040;octocat", "&commat;octocat", "&num;123", "&#x23;123",
     "GH&#x2d;12", "&#71;H-12", "&#64;octocat", "&#00064;octocat"],
)  # fmt: skip
def test_character_references_cannot_smuggle_a_mention(hostile: str) -> None:
    """GitHub decodes HTML character references before it looks for mentions and references, so in a
    posted body (comment --body-file) ``&#x40;octocat`` is ``@octocat``."""
    body = md.inert(f"report of {hostile} done")
    decoded = html.unescape(body)
    assert not re.search(r"@[A-Za-z0-9]|#[0-9]|GH-[0-9]", decoded), (body, decoded)


def test_bare_urls_in_pr_text_are_not_links() -> None:
    """GitHub links bare ``https://`` and ``www.`` text (GFM autolinks); from PR data they stay text."""
    for hostile in ("see https://evil.example/fix", "www.evil.example", "HTTP://evil.example"):
        rendered = md.text(hostile)
        assert not re.search(r"(?i)https?://|www\.", rendered), rendered
        assert rendered.replace(md.ZWJ, "").replace("\\", "") == hostile
    assert md.link("homepage", "https://example.org/x") == "[homepage](https://example.org/x)"


def test_dollar_signs_in_pr_text_cannot_open_math() -> None:
    """GitHub renders ``$…$`` and ``$$…$$`` in a comment with MathJax: a component named
    ``$\\color{green}\\text{policy pass}$`` would draw its own verdict in green, ``\\rule`` a box over
    the table. In PR text a dollar is a character reference (shown as ``$``, opening nothing)."""
    hostile = ("$\\color{green}\\text{policy pass}$", "$$\\rule{900px}{900px}$$", "costs $5 and $6")
    for value in hostile:
        rendered = md.text(value)
        assert "$" not in rendered and rendered.count("&#36;") == value.count("$"), rendered
    data = ReportData(
        installable=hostile[0],
        verdict="fail",
        policy=report(*(violation("r", "error", name, f"{name} is banned") for name in hostile)),
        problems=hostile,
    )
    for body in (render_comment(data, MARK), render_summary(data)):
        outside_code = re.sub(r"`[^`]*`", "", body)  # in a code span a dollar is a dollar
        assert "$" not in outside_code, body
        assert "&#36;\\\\color" in body  # still shown, with its Markdown escapes
