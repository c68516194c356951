"""Cutting text to GitHub's limits keeps as much as fits: exactly at the limit, never a split character."""

from __future__ import annotations

import pytest

from nix_attest.github.limits import truncate


@pytest.mark.parametrize("limit", [10, 100, 65_536])
def test_cut_text_fills_the_limit_exactly(limit: int) -> None:
    note = "\n(cut)"
    out = truncate("x" * (limit * 3), limit, note)
    assert len(out) == limit and out.endswith(note)
    assert out == "x" * (limit - len(note)) + note


def test_text_that_fits_is_untouched() -> None:
    assert truncate("x" * 10, 10, "!") == "x" * 10
    assert truncate("", 0, "!") == ""


def test_bytes_limit_never_splits_a_character() -> None:
    text = "é" * 100  # two bytes each
    out = truncate(text, 51, "!", in_bytes=True)
    assert out == "é" * 25 + "!" and len(out.encode()) == 51
    assert truncate(text, 53, "!", in_bytes=True) == "é" * 26 + "!"


def test_note_longer_than_the_limit_is_dropped() -> None:
    assert truncate("abcdef", 3, "too long a note") == "abc"


def test_characters_not_bytes_by_default() -> None:
    """A comment's limit counts characters: 'é' is one, though it is two bytes in UTF-8."""
    assert truncate("é" * 100, 10, "!") == "é" * 9 + "!"


def test_a_note_exactly_the_limit_is_kept() -> None:
    assert truncate("abcdef", 3, "xyz") == "xyz"


def test_text_that_fits_in_characters_is_not_cut_for_its_bytes() -> None:
    assert truncate("é" * 10, 10, "!") == "é" * 10
    assert truncate("é" * 10, 10, "!", in_bytes=True) == "é" * 4 + "!"
