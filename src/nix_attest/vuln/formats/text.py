"""Plain text: one line per finding, most severe first, then a summary line."""

from __future__ import annotations

import re

from ..model import Finding
from . import ScanReport
from .common import state, summary

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def plain(text: str | None, limit: int = 120) -> str:
    """Untrusted text (names, advisory summaries) on one terminal line: no control characters."""
    flat = _CONTROL.sub(" ", " ".join((text or "").split()))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def line(f: Finding) -> str:
    who = plain(f"{f.name} {f.version}" if f.version else f.name, 50)
    kev = " KNOWN-EXPLOITED" if f.advisory.known_exploited else ""
    fixed = f" fixed in {plain(f.fixed_in, 30)}" if f.fixed_in else ""
    return (
        f"{f.severity.upper():<8} {plain(f.id, 40):<22} {who:<32} {state(f):<24} "
        f"{f.method} ({f.confidence}){fixed}{kev}"
    )


class TextFormat:
    name = "text"

    def render(self, report: ScanReport) -> str:
        r = report.result
        head = f"nix-attest scan: {r.scanned} component(s) of {plain(report.sbom_path, 200)}"
        lines = [head, f"sources: {plain(r.database, 300)}", *(f"note: {plain(n, 300)}" for n in r.notes), ""]
        lines += [line(f) for f in r.findings] or ["no known vulnerabilities found"]
        lines += ["", summary(r.findings)]
        return "\n".join(lines) + "\n"
