"""GitHub's size limits for comments and the job summary, and the one way text is cut to fit them."""

from __future__ import annotations

MAX_COMMENT_CHARS = 65_536  # an issue or PR comment body, in characters
MAX_SUMMARY_BYTES = 1024 * 1024  # GITHUB_STEP_SUMMARY, in bytes of UTF-8


def truncate(text: str, limit: int, note: str, *, in_bytes: bool = False) -> str:
    """``text`` when it fits in ``limit`` characters (or UTF-8 bytes), else its start followed by
    ``note``, within the limit and never splitting a character (no note when not even that fits)."""

    def size(value: str) -> int:
        return len(value.encode()) if in_bytes else len(value)  # str.encode: UTF-8

    if size(text) <= limit:
        return text
    if size(note) > limit:
        note = ""
    room = limit - size(note)
    head = text.encode()[:room].decode(errors="ignore") if in_bytes else text[:room]
    return head + note
