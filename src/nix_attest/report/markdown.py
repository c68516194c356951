"""The PR comment and the job summary as Markdown, kept under GitHub's limits.

Sections are rendered with shrinking budgets (items shown, items folded into ``<details>``, the change
graph) until the document fits: 65,536 characters for a comment (marker included), 1 MiB (UTF-8) for
the job summary. Whatever is left out is counted and points at the job summary and the artifact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..github.limits import MAX_COMMENT_CHARS, MAX_SUMMARY_BYTES, truncate
from . import sections
from .model import ReportData
from .sections import Budget

_NOTE = "\n\n_(truncated)_\n"

_COMMENT_BUDGETS = (
    Budget(25, 500),
    Budget(25, 100),
    Budget(10, 25),
    Budget(5, 0, False),
    Budget(0, 0, False),
)
_SUMMARY_BUDGETS = (
    Budget(50, 10_000),
    Budget(50, 1000),
    Budget(25, 100),
    Budget(5, 0, False),
    Budget(0, 0, False),
)


def _compose(data: ReportData, budget: Budget) -> str:
    parts = [
        sections.header(data),
        sections.counts(data),
        sections.problems(data),
        sections.policy(data, budget),
        sections.vulnerabilities(data, budget),
        sections.reproducibility(data, budget),
        sections.signatures(data),
        sections.diff(data, budget),
        sections.footer(data),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _fit(
    data: ReportData, budgets: Sequence[Budget], fits: Callable[[str], bool], cut: Callable[[str], str]
) -> str:
    text = ""
    for budget in budgets:
        text = _compose(data, budget)
        if fits(text):
            return text
    return cut(text)  # even the smallest form is too big (huge problem lines): cut hard


def render_comment(data: ReportData, marker: str = "") -> str:
    """The sticky comment body, marker first, under 65,536 characters."""
    prefix = f"{marker}\n" if marker else ""
    limit = MAX_COMMENT_CHARS - len(prefix)
    return prefix + _fit(
        data, _COMMENT_BUDGETS, lambda t: len(t) <= limit, lambda t: truncate(t, limit, _NOTE)
    )


def render_summary(data: ReportData, limit_bytes: int = MAX_SUMMARY_BYTES) -> str:
    """The job summary section, under ``limit_bytes`` of UTF-8."""
    return _fit(
        data,
        _SUMMARY_BUDGETS,
        lambda t: len(t.encode()) <= limit_bytes,
        lambda t: truncate(t, limit_bytes, _NOTE, in_bytes=True),
    )
