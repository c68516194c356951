"""Reading a YAML policy file with positions: every error can name the file, the line and the key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import PolicyFileError
from ..untrusted import MAX_POLICY_BYTES, read_input_text

PathItem = str | int


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as strings (``expires: 2026-01-31`` stays text for the schema)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def key_path(path: Sequence[PathItem]) -> str:
    """``("rules", 2, "expr")`` -> ``rules[2].expr``."""
    out = ""
    for item in path:
        out += f"[{item}]" if isinstance(item, int) else (f".{item}" if out else str(item))
    return out or "(top level)"


@dataclass(frozen=True)
class PolicySource:
    """The parsed document and its node tree (for line numbers)."""

    path: str
    data: Any
    root: yaml.Node | None

    def line(self, path: Sequence[PathItem]) -> int | None:
        """1-based line of the deepest node on ``path`` that exists."""
        node = self.root
        if node is None:
            return None
        line = node.start_mark.line + 1
        for item in path:
            child: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode) and k.value == item:
                        child = v
                        line = k.start_mark.line + 1
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(item, int) and item < len(node.value):
                child = node.value[item]
                line = child.start_mark.line + 1
            if child is None:
                break
            node = child
        return line

    def error(self, path: Sequence[PathItem], problem: str) -> PolicyFileError:
        where = self.line(path)
        prefix = f"{self.path}:{where}" if where is not None else self.path
        return PolicyFileError(f"{prefix}: {key_path(path)}: {problem}")


_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
ALIAS_BUDGET = 10_000  # nodes that aliases may add to the document once expanded
MAX_DEPTH = 64  # nesting of the document (a policy nests < 8)


def _check_nodes(root: yaml.Node, path: str) -> None:
    """Reject what the loader or the schema check would choke on, before anything is constructed:
    duplicate keys, recursive aliases, nesting deeper than :data:`MAX_DEPTH`, and aliases that expand
    to more than :data:`ALIAS_BUDGET` extra nodes (a "billion laughs" bomb is ~10^9 nodes from a
    few lines). Iterative, with each distinct node visited once, so the check itself is linear."""
    size: dict[int, int] = {}  # id(node) -> nodes in its expansion
    height: dict[int, int] = {}
    on_path: set[int] = set()
    distinct = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            height[key] = 1 + max((height[id(k)] for k in kids), default=0)
            # a subtree's extra nodes never exceed the document's: stop as soon as one is over budget
            if size[key] - distinct > ALIAS_BUDGET:
                raise PolicyFileError(
                    f"{path}:{node.start_mark.line + 1}: YAML aliases expand to more than "
                    f"{ALIAS_BUDGET} extra nodes (an alias bomb?)"
                )
            if height[key] > MAX_DEPTH:
                raise PolicyFileError(
                    f"{path}:{node.start_mark.line + 1}: nested deeper than {MAX_DEPTH} levels"
                )
            continue
        if key in size:
            continue
        if key in on_path:
            raise PolicyFileError(f"{path}:{node.start_mark.line + 1}: a YAML alias refers to itself")
        on_path.add(key)
        distinct += 1
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for k, _v in node.value:
                if not isinstance(k, yaml.ScalarNode) or k.tag not in (_STR, _MERGE):
                    shown = k.value if isinstance(k, yaml.ScalarNode) else "a list or mapping"
                    raise PolicyFileError(
                        f"{path}:{k.start_mark.line + 1}: a key must be text, not {shown or 'null'!r}"
                        " (quote it)"
                    )
                if k.value != "<<":
                    if k.value in seen:
                        raise PolicyFileError(f"{path}:{k.start_mark.line + 1}: duplicate key {k.value!r}")
                    seen.add(k.value)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def read_yaml_policy(path: str | Path) -> PolicySource:
    name = str(path)
    try:
        text = read_input_text(path, MAX_POLICY_BYTES)
    except FileNotFoundError as exc:
        raise PolicyFileError(f"policy file not found: {name}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise PolicyFileError(f"cannot read policy file {name}: {reason}") from exc
    try:
        root = yaml.compose(text, Loader=_Loader)
        if root is not None:
            _check_nodes(root, name)
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        raise PolicyFileError(f"{where}: invalid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise PolicyFileError(f"{name}: invalid YAML: {exc}") from exc
    except RecursionError as exc:  # the composer recurses per level: deeper than Python's stack
        raise PolicyFileError(f"{name}: nested deeper than {MAX_DEPTH} levels") from exc
    if data is None:
        data = {}
    return PolicySource(name, data, root)
