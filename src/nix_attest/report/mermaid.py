"""A small mermaid graph of what changed: added and version-changed components and how the root reaches
them (solid edge: direct dependency; dotted: through unchanged components). Omitted when too big."""

from __future__ import annotations

from collections import deque

from ..sbom.diff import SbomDiff
from ..sbom.model import Sbom
from .md import inert

MAX_NODES = 15


def _label(value: str) -> str:
    cleaned = inert("".join(ch for ch in value if ch.isprintable()))
    for old, new in (("&", "#amp;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("`", "'")):
        cleaned = cleaned.replace(old, new)
    return cleaned[:60]


def change_graph(head: Sbom, diff: SbomDiff, max_nodes: int = MAX_NODES) -> str | None:
    """Mermaid source, or None when nothing changed in the graph or it would not fit."""
    kinds: dict[str, str] = {}
    labels: dict[str, str] = {}
    for entry in diff.added:
        kinds[entry.ref] = "added"
        labels[entry.ref] = f"+ {entry.label()}"
    for change in diff.changed:
        for ref in change.new_refs:
            kinds[ref] = "changed"
            labels[ref] = f"{change.name} {', '.join(change.old)} → {', '.join(change.new)}"
    root = head.root.ref
    kinds.pop(root, None)
    if not kinds:
        return None
    if len(kinds) + 1 > max_nodes:
        return None
    edges = _edges(head, root, set(kinds))
    ids = {ref: f"n{i}" for i, ref in enumerate([root, *sorted(kinds)])}
    root_label = head.root.name + (f" {head.root.version}" if head.root.version else "")
    lines = ["```mermaid", "graph LR", f'  {ids[root]}["{_label(root_label)}"]']
    for ref in sorted(kinds):
        lines.append(f'  {ids[ref]}["{_label(labels[ref])}"]:::{kinds[ref]}')
    for parent, child, direct in sorted(edges):
        arrow = "-->" if direct else "-.->"
        lines.append(f"  {ids[parent]} {arrow} {ids[child]}")
    lines += [
        "  classDef added fill:#d4f8d4,stroke:#2da44e",
        "  classDef changed fill:#fff5b1,stroke:#bf8700",
        "```",
    ]
    return "\n".join(lines)


def _edges(head: Sbom, root: str, relevant: set[str]) -> set[tuple[str, str, bool]]:
    """For each relevant node, its nearest relevant ancestors (or the root) and whether the edge is direct."""
    parents: dict[str, set[str]] = {}
    for parent, children in head.dependencies.items():
        for child in children:
            parents.setdefault(child, set()).add(parent)
    edges: set[tuple[str, str, bool]] = set()
    for node in relevant:
        seen = {node}
        queue: deque[tuple[str, bool]] = deque((p, True) for p in parents.get(node, ()))
        found = False
        while queue:
            current, direct = queue.popleft()
            if current in seen:
                continue
            seen.add(current)
            if current in relevant or current == root:
                edges.add((current, node, direct))
                found = True
                continue
            queue.extend((p, False) for p in parents.get(current, ()))
        if not found:
            edges.add((root, node, False))
    return edges
