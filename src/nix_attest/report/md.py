"""Markdown helpers: escaping untrusted text (names, messages, licences come from SBOMs and policies)."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")

# GitHub turns @user, @org/team, #123 and GH-123 into notifications and cross-references, and hides
# <!-- ... --> entirely (the sticky comment's marker is one). From PR data they are made inert with a
# zero-width joiner: the text looks the same and pings nobody.
ZWJ = "\u200d"
_MENTION = re.compile(r"@(?=[A-Za-z0-9_])")
_REFERENCE = re.compile(r"(#|\bGH-)(?=[0-9]+\b)", re.IGNORECASE)  # not colours such as #2da44e
_COMMENT_OPEN = "<!--"
# GitHub decodes character references before it looks for mentions: ``&#x40;octocat`` is ``@octocat``.
# Decimal ones are already broken by the reference rule ("#64" looks like an issue); hex ones and the
# named ``&commat;``/``&num;`` get a zero-width joiner after the ampersand (then they show literally).
_CHAR_REFERENCE = re.compile(r"&(?=#[xX][0-9A-Fa-f]|commat;|num;)")
# bare URLs that GitHub would link (GFM autolinks): from PR data they stay text
_AUTOLINK = re.compile(r"\b(https?|ftp)(?=://)|\b(www)(?=\.)", re.IGNORECASE)
# GitHub renders $…$ and $$…$$ with MathJax (coloured or huge text, boxes: a verdict of the PR's own
# drawing); a backslash does not reliably stop it, so in PR text a dollar is the character reference
# &#36; (shown as "$", no delimiter to the Markdown parser). Added last: the reference rule and the
# escapes above would break it.
_DOLLAR = "&#36;"
# Characters that change how text around them looks without being seen: bidirectional overrides and
# isolates (a name shown reversed, "Trojan Source") and C0/C1 controls (ANSI escapes, backspace).
# From PR data they become a visible U+FFFD. Tab, newline and carriage return stay (documents).
_DISGUISE = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def inert(value: str) -> str:
    """``value`` with mentions, issue references and HTML comment openers neutralised and disguising
    characters (bidi overrides, controls) made visible (idempotent).

    For whole Markdown documents too (a report posted with ``comment --body-file``): nothing nix-attest
    renders needs a live mention, reference or comment."""
    value = _DISGUISE.sub("\ufffd", value)
    value = _CHAR_REFERENCE.sub("&" + ZWJ, value)
    value = _MENTION.sub("@" + ZWJ, value)
    value = _REFERENCE.sub(lambda m: m.group(1) + ZWJ, value)
    return value.replace(_COMMENT_OPEN, "<" + ZWJ + "!--")


def text(value: str | None, limit: int = 300) -> str:
    """Inline text safe in Markdown and HTML: no tags, no emphasis, no links (bare URLs included), no
    math, no table breaks."""
    if value is None:
        return ""
    flat = " ".join(value.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    flat = inert(flat).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    flat = _AUTOLINK.sub(lambda m: m.group() + ZWJ, flat)
    return _SPECIAL.sub(r"\\\1", flat).replace("$", _DOLLAR)


def code(value: str | None, limit: int = 200) -> str:
    """Inline code span; backticks and newlines inside are neutralised."""
    if not value:
        return "`-`"
    flat = " ".join(value.split()).replace("`", "'")
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    flat = inert(flat).replace("|", "\\|")
    return f"`{flat}`"


# what could end or bend a link destination: whitespace and control characters (a line break ends the
# link, and what follows is live Markdown), brackets, and a backslash (it would escape the closing ")")
_URL_UNSAFE = re.compile(r"[\x00-\x20\x7f()<>\\]")


def link(label: str, url: str | None) -> str:
    if not url or not url.startswith(("https://", "http://")):
        return text(label)
    safe = _URL_UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", url)
    return f"[{text(label)}]({safe})"


def size(n: int | None) -> str:
    if n is None:
        return "unknown"
    value = float(abs(n))
    unit = "B"
    for bigger in ("KiB", "MiB", "GiB"):
        if value < 1024:
            break
        value /= 1024
        unit = bigger
    shown = f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
    return f"-{shown}" if n < 0 else shown


def signed_size(n: int | None) -> str:
    if n is None:
        return "unknown"
    return f"+{size(n)}" if n > 0 else ("±0 B" if n == 0 else size(n))


def details(summary: str, body: str) -> str:
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"
