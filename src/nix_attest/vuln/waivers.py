"""The policy's vulnerability waivers as VEX statements: a matching, unexpired waiver gives a finding its
``analysis`` (state, justification, the reason as detail) and makes it inactive; an expired waiver does
not, so the finding is active again. Expired and unused waivers are reported as notes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import cast

from ..policy.config import Waiver
from ..policy.patterns import fields_match
from ..policy.waivers import advisory_matches
from .model import Analysis, AnalysisState, Finding, Justification


def waiver_matches_finding(w: Waiver, f: Finding) -> bool:
    if w.vulnerability is None or not advisory_matches(w.vulnerability, f.advisory.ids):
        return False
    return w.component is None or fields_match(w.component, f.name, f.version, f.purl, (f.ref,))


def _label(w: Waiver) -> str:
    return w.id or f"{w.vulnerability}: {w.reason}"


def apply_vex_waivers(
    findings: Sequence[Finding], waivers: Sequence[Waiver], today: dt.date
) -> tuple[list[Finding], list[str]]:
    """The findings with waiver analyses, and one note per expired or unused vulnerability waiver."""
    relevant = [w for w in waivers if w.vulnerability is not None]
    active = [w for w in relevant if w.expires is None or today <= w.expires]
    used: set[int] = set()
    out = []
    for f in findings:
        if f.active:
            for i, w in enumerate(active):
                if waiver_matches_finding(w, f):
                    used.add(i)
                    analysis = Analysis(
                        state=cast(AnalysisState, w.state or "in_triage"),
                        justification=cast(Justification | None, w.justification),
                        detail=w.reason,
                        waiver=_label(w),
                        expires=w.expires.isoformat() if w.expires else None,
                    )
                    f = replace(f, analysis=analysis)
                    break
        out.append(f)
    notes = []
    for w in relevant:
        if w.expires is not None and today > w.expires:
            hit = [f for f in findings if waiver_matches_finding(w, f)]
            again = f": {len(hit)} finding(s) are active again" if hit else ""
            notes.append(f"the waiver for {w.vulnerability} expired on {w.expires.isoformat()}{again}")
    notes += [
        f"the waiver for {w.vulnerability} matched no finding" for i, w in enumerate(active) if i not in used
    ]
    return out, notes
