"""Markdown (``--format markdown``): a table of findings, text escaped through ``report.md``."""

from __future__ import annotations

from ...report import md
from ..model import Finding
from . import ScanReport
from .common import state, summary

MAX_ROWS = 500


def row(f: Finding) -> str:
    version = f" {f.version}" if f.version else ""
    kev = " · known exploited" if f.advisory.known_exploited else ""
    return (
        f"| {md.text(f.severity)}{kev} | {md.link(f.id, f.advisory.url)} | {md.code(f.name + version)} | "
        f"{md.text(state(f))} | {md.text(f.method)} ({md.text(f.confidence)}) | "
        f"{md.text(f.fixed_in or '-')} |"
    )


class MarkdownFormat:
    name = "markdown"

    def render(self, report: ScanReport) -> str:
        r = report.result
        lines = ["### Vulnerabilities", "", md.text(summary(r.findings), 500), ""]
        if r.findings:
            lines += [
                "| Severity | Advisory | Component | State | Matched by | Fixed in |",
                "|---|---|---|---|---|---|",
                *(row(f) for f in r.findings[:MAX_ROWS]),
            ]
            if len(r.findings) > MAX_ROWS:
                lines += ["", f"_… {len(r.findings) - MAX_ROWS} more in the JSON or SARIF report._"]
        lines += ["", f"<sub>{md.text(r.database, 500)}</sub>"]
        return "\n".join(lines) + "\n"
