"""Waivers: a matching, unexpired waiver marks a violation as waived. Expired waivers stop waiving and are
reported; waivers that matched nothing are reported as warnings."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Iterable, Sequence

from .config import Waiver
from .model import Violation
from .patterns import fields_match, glob_match


def waiver_matches(waiver: Waiver, violation: Violation) -> bool:
    if violation.rule.startswith("waiver.") or not glob_match(violation.rule, waiver.rule):
        return False
    if waiver.vulnerability is not None and not advisory_matches(waiver.vulnerability, violation.advisories):
        return False
    if waiver.component is None:
        return True
    c = violation.component
    if c is None:
        return False
    return fields_match(waiver.component, c.name, c.version, c.purl, (c.bom_ref,))


def advisory_matches(wanted: str, ids: tuple[str, ...]) -> bool:
    """A waiver's advisory id against a finding's id and aliases (CVE and GHSA ids case-insensitively)."""
    return wanted.lower() in {i.lower() for i in ids}


def _describe(w: Waiver) -> str:
    target = f" for {w.component}" if w.component else ""
    what = w.vulnerability or w.rule
    return f"waiver {w.id + ' ' if w.id else ''}({what}{target})"


def apply_waivers(
    violations: Iterable[Violation],
    waivers: Sequence[Waiver],
    today: dt.date,
    *,
    used_elsewhere: Collection[Waiver] = (),
) -> list[Violation]:
    """The violations with ``waived_by`` set where an active waiver matches, plus waiver findings.
    ``used_elsewhere``: waivers that did their job without a violation (a vulnerability waiver whose
    finding is below the policy's threshold still makes the VEX statement): not reported unused."""
    active = [w for w in waivers if w.expires is None or today <= w.expires]
    used: set[int] = {i for i, w in enumerate(active) if w in used_elsewhere}
    out: list[Violation] = []
    for v in violations:
        for i, w in enumerate(active):
            if waiver_matches(w, v):
                used.add(i)
                v = dataclasses.replace(v, waived_by=w.label)
                break
        out.append(v)
    for w in waivers:
        if w.expires is not None and today > w.expires:
            out.append(
                Violation(
                    "waiver.expired",
                    "warning",
                    f"{_describe(w)} expired on {w.expires.isoformat()} and no longer waives anything",
                )
            )
    for i, w in enumerate(active):
        if i not in used:
            out.append(Violation("waiver.unused", "warning", f"{_describe(w)} matched no violation"))
    return out
