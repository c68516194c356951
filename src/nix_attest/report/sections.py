"""The sections of a report, each rendered for a budget: ``shown`` items in the open, up to ``folded``
more inside ``<details>``, the rest counted in a line pointing at the job summary and the artifact."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ..policy.model import SEVERITIES, Violation
from ..sbom.diff import ComponentEntry, LicenseChange, VersionChange
from ..sbom.model import OutputCheck
from ..vuln.model import SEVERITY_LEVELS, Finding
from . import md
from .mermaid import change_graph
from .model import ReportData

T = TypeVar("T")

_ICON = {"pass": "✅", "fail": "❌", "error": "⚠️"}


@dataclass(frozen=True, slots=True)
class Budget:
    shown: int
    folded: int
    graph: bool = True


def _more(data: ReportData, hidden: int) -> str:
    where = []
    if data.links.run_url:
        where.append(md.link("job summary", data.links.run_url))
    if data.links.artifact_url or data.links.artifact_name:
        name = data.links.artifact_name or "report"
        where.append(
            md.link(f"artifact {name}", data.links.artifact_url)
            if data.links.artifact_url
            else f"artifact {md.code(name)}"
        )
    tail = f": see the {' and the '.join(where)}" if where else ""
    return f"_… {hidden} more not shown{tail}._"


def _listing(
    data: ReportData, items: Sequence[T], render: Callable[[Sequence[T]], str], budget: Budget, what: str
) -> str:
    """Render the first ``shown`` items, then ``folded`` in a details block, then a count."""
    parts = []
    shown = items[: budget.shown]
    folded = items[budget.shown : budget.shown + budget.folded]
    rest = len(items) - len(shown) - len(folded)
    if shown:
        parts.append(render(shown))
    if folded:
        parts.append(md.details(f"{len(folded)} more {what}", render(folded)))
    if rest > 0:
        parts.append(_more(data, rest))
    return "\n\n".join(parts)


def header(data: ReportData) -> str:
    icon = _ICON[data.verdict]
    line = f"## {icon} nix-attest: **{data.verdict}** · {md.code(data.installable)}"
    if data.label:
        line += f" · {md.code(data.label)}"
    policy = data.policy
    if policy is None:
        detail = "policy not checked" if data.verdict != "error" else "the pipeline did not reach the policy"
    else:
        active = policy.active
        by_sev = {s: sum(1 for v in active if v.severity == s) for s in SEVERITIES}
        counts = (
            ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in by_sev.items() if n) or "no violations"
        )
        waived = len(policy.violations) - len(active)
        detail = (
            f"{counts}" + (f" ({waived} waived)" if waived else "") + f" · fail-on: {md.code(policy.fail_on)}"
        )
    return f"{line}\n\n{detail}"


def counts(data: ReportData) -> str:
    c = data.counts
    cells = [
        "runtime components: " + ("unknown" if c.runtime is None else f"**{c.runtime}**"),
        "buildtime components: " + ("unknown" if c.buildtime is None else f"**{c.buildtime}**"),
        f"runtime closure size: **{md.size(c.runtime_size)}**"
        if c.runtime_size is not None
        else "runtime closure size: unknown",
    ]
    return " · ".join(cells)


def problems(data: ReportData) -> str:
    if not data.problems:
        return ""
    return "\n".join(f"> ⚠️ {md.text(p, 500)}" for p in data.problems)


def _violation_lines(items: Sequence[Violation]) -> str:
    """Grouped severity → rule → component, as nested lists."""
    lines: list[str] = []
    last: tuple[str, str] | None = None
    for v in items:
        key = (v.severity, v.rule)
        if key != last:
            lines.append(f"- **{v.severity}** · {md.code(v.rule)}")
            last = key
        who = v.component
        label = md.code(f"{who.name} {who.version}" if who and who.version else (who.name if who else "SBOM"))
        lines.append(f"  - {label}: {md.text(v.message)}")
    return "\n".join(lines)


def _sorted(violations: Sequence[Violation]) -> list[Violation]:
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(
        violations,
        key=lambda v: (order.get(v.severity, 9), v.rule, v.component.name if v.component else "", v.message),
    )


def policy(data: ReportData, budget: Budget) -> str:
    report = data.policy
    if report is None:
        return ""
    active = _sorted(report.active)
    waived = _sorted([v for v in report.violations if v.waived])
    title = f"### Policy ({len(active)} violation{'s' if len(active) != 1 else ''})"
    if report.policy_path:
        title += f" · {md.code(report.policy_path)}"
    parts = [title]
    if active:
        parts.append(_listing(data, active, _violation_lines, budget, "violations"))
    else:
        parts.append("No active violations.")
    if waived:
        lines = "\n".join(
            f"- {md.code(v.rule)} · {md.code(v.component.name if v.component else 'SBOM')}: "
            f"waived ({md.text(v.waived_by)})"
            for v in waived[: budget.folded]
        )
        parts.append(md.details(f"{len(waived)} waived", lines or _more(data, len(waived))))
    return "\n\n".join(parts)


def _vuln_rows(items: Sequence[Finding]) -> str:
    rows = []
    for f in items:
        kev = " · known exploited" if f.advisory.known_exploited else ""
        score = f" {f.advisory.score:.1f}" if f.advisory.score is not None else ""
        who = f"{f.name} {f.version}" if f.version else f.name
        rows.append(
            (
                f"**{md.text(f.severity)}**{score}{kev}",
                md.link(f.id, f.advisory.url),
                md.code(who),
                f"{md.text(f.method)} ({md.text(f.confidence)})",
                md.text(f.fixed_in or "-", 60),
            )
        )
    return _table(("Severity", "Advisory", "Component", "Matched by", "Fixed in"), rows)


def _vuln_statements(items: Sequence[Finding]) -> str:
    lines = []
    for f in items:
        a = f.analysis
        what = "waived" if f.waived else "resolved by a patch"
        detail = f": {md.text(a.detail, 200)}" if a is not None and a.detail else ""
        state = f" ({md.text(a.state)})" if a is not None and f.waived else ""
        lines.append(f"- {md.link(f.id, f.advisory.url)} · {md.code(f.name)}: {what}{state}{detail}")
    return "\n".join(lines)


def vulnerabilities(data: ReportData, budget: Budget) -> str:
    report = data.vulnerabilities
    if report is None:
        return ""
    if report.result is None:
        return f"### Vulnerabilities\n\n{md.text(report.note or 'not scanned', 500)}"
    findings = report.findings
    active = [f for f in findings if f.active]
    by_sev = [(s, sum(1 for f in active if f.severity == s)) for s in SEVERITY_LEVELS]
    counted = ", ".join(f"{n} {s}" for s, n in by_sev if n)
    title = f"### Vulnerabilities ({len(active)} active" + (f": {counted})" if counted else ")")
    patched = [f for f in findings if f.resolved]
    waived = [f for f in findings if f.waived]
    parts = [title]
    if report.note:
        parts.append(md.text(report.note, 500))
    if report.diff is not None:
        d = report.diff
        base = md.code(report.base_label) if report.base_label else "the base"
        for label, items in (
            ("New in this PR", d.new),
            ("Fixed in this PR", d.fixed),
            ("Still present", d.still),
        ):
            if items:
                parts.append(
                    f"**{label} ({len(items)})**\n\n" + _listing(data, items, _vuln_rows, budget, "findings")
                )
        if not (d.new or d.fixed or d.still):
            parts.append(f"No active findings here or in {base}.")
        elif not d.new:
            parts.append(f"**New in this PR**: none (compared with {base})")
    elif active:
        parts.append(_listing(data, active, _vuln_rows, budget, "findings"))
    else:
        parts.append("No active findings.")
    if waived:
        parts.append(md.details(f"{len(waived)} waived", _vuln_statements(waived[: max(budget.folded, 1)])))
    if patched:
        parts.append(
            md.details(
                f"{len(patched)} resolved by patches of the derivation",
                _vuln_statements(patched[: max(budget.folded, 1)]),
            )
        )
    result = report.result
    parts.append(f"<sub>{md.text(result.database, 300)}</sub>")
    return "\n\n".join(parts)


def reproducibility(data: ReportData, budget: Budget) -> str:
    checks = data.reproducibility
    if checks is None:
        return "### Reproducibility\n\nnot checked"
    bad = [c for c in checks if not c.reproducible]
    if not bad:
        return f"### Reproducibility\n\n✅ all {len(checks)} output(s) rebuilt bit-for-bit"

    return (
        f"### Reproducibility\n\n❌ {len(bad)} of {len(checks)} output(s) differ on rebuild\n\n"
        + _listing(data, bad, _checks, budget, "outputs")
    )


def _checks(items: Sequence[OutputCheck]) -> str:
    return "\n".join(f"- {md.code(c.path)}" + (f": {md.text(c.detail)}" if c.detail else "") for c in items)


def signatures(data: ReportData) -> str:
    if not data.bundles:
        return ""
    lines = ["### Signatures and attestations"]
    for b in data.bundles:
        links = [md.code(b.bundle_path.rsplit("/", 1)[-1])]
        if b.rekor_url:
            links.append(md.link("Rekor entry", b.rekor_url))
        elif b.rekor_log_index is not None:
            links.append(f"Rekor log index {b.rekor_log_index}")
        if b.attestation_url:
            links.append(md.link("GitHub attestation", b.attestation_url))
        lines.append(f"- **{md.text(b.kind)}**: " + " · ".join(links))
    return "\n".join(lines[:1]) + "\n\n" + "\n".join(lines[1:])


def diff(data: ReportData, budget: Budget) -> str:
    d = data.diff
    if d is None:
        return ""
    base = data.diff_base_label or d.base_label
    parts = [f"### Supply-chain diff against {md.code(base)}"]
    if d.empty and not data.new_violations:
        parts.append("No component, version or licence changes.")
    rows: list[tuple[str, str]] = []
    if d.changed:
        rows.append(
            (
                f"**Version changes ({len(d.changed)})**",
                _listing(data, d.changed, _changed, budget, "changes"),
            )
        )
    if d.added:
        rows.append((f"**Added ({len(d.added)})**", _listing(data, d.added, _added, budget, "added")))
    if d.removed:
        rows.append(
            (f"**Removed ({len(d.removed)})**", _listing(data, d.removed, _removed, budget, "removed"))
        )
    if d.license_changes:
        listing = _listing(data, d.license_changes, _licences, budget, "licence changes")
        rows.append((f"**Licence changes ({len(d.license_changes)})**", listing))
    for title, content in rows:
        parts.append(f"{title}\n\n{content}")
    if d.size_delta is not None:
        parts.append(
            f"**Runtime closure size**: {md.size(d.base_runtime_size)} → {md.size(d.head_runtime_size)} "
            f"({md.signed_size(d.size_delta)})"
        )
    else:
        parts.append("**Runtime closure size**: delta unknown (the base was evaluated, not built)")
    if data.new_violations is not None:
        new = _sorted(data.new_violations)
        if new:
            parts.append(
                f"**New policy violations ({len(new)})**\n\n"
                + _listing(data, new, _violation_lines, budget, "violations")
            )
        else:
            parts.append("**New policy violations**: none")
    if budget.graph and data.diff_head is not None:
        graph = change_graph(data.diff_head, d)
        if graph:
            parts.append(graph)
    return "\n\n".join(parts)


def _changed(items: Sequence[VersionChange]) -> str:
    return _table(
        ("Component", "Base", "Head"),
        [
            (md.code(c.name), md.text(", ".join(c.old) or "-"), md.text(", ".join(c.new) or "-"))
            for c in items
        ],
    )


def _added(items: Sequence[ComponentEntry]) -> str:
    return _table(
        ("Component", "Version", "Licence"),
        [(md.code(e.name), md.text(e.version or "-"), md.text(", ".join(e.licenses) or "-")) for e in items],
    )


def _removed(items: Sequence[ComponentEntry]) -> str:
    return _table(("Component", "Version"), [(md.code(e.name), md.text(e.version or "-")) for e in items])


def _licences(items: Sequence[LicenseChange]) -> str:
    return _table(
        ("Component", "Base licence", "Head licence"),
        [
            (md.code(c.name), md.text(", ".join(c.old) or "none"), md.text(", ".join(c.new) or "none"))
            for c in items
        ],
    )


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def footer(data: ReportData) -> str:
    links = []
    if data.links.run_url:
        links.append(md.link("workflow run and job summary", data.links.run_url))
    if data.links.artifact_url:
        links.append(md.link(f"artifact {data.links.artifact_name or 'report'}", data.links.artifact_url))
    elif data.links.artifact_name:
        links.append(f"artifact {md.code(data.links.artifact_name)}")
    tail = " · ".join(links)
    return f"<sub>nix-attest{' · ' + tail if tail else ''}</sub>"
