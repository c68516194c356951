"""Custom rules written in CEL: compiled (and checked for unknown names) once, evaluated per component or
per SBOM. An expression must evaluate to ``true``; ``false`` is a violation."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import NixAttestError, PolicyFileError
from ..sandbox import BudgetExceeded, ChildFailed, Limits, Progress, can_fork, run_limited
from .budgets import overrun
from .licenses import spdx_allows
from .model import Severity
from .patterns import purl_matches
from .versions import compare_versions, parse_range

Per = Literal["component", "sbom"]
Scope = Literal["runtime", "buildtime", "all"]


try:
    import cel
    import cel.stdlib

    CEL_AVAILABLE = True
except ImportError:  # common-expression-language has no build for Python 3.10 (see pyproject.toml)
    CEL_AVAILABLE = False


class CelCompileError(ValueError):
    """A rule's expression does not compile or names something that does not exist."""


class CelMissing(NixAttestError):
    """The policy has CEL rules but the CEL engine is not installed (exit 3)."""


def cel_missing_message() -> str:
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    why = (
        f"it has no build for Python {python}; run nix-attest with Python 3.11 or newer, e.g. with "
        "actions/setup-python"
        if sys.version_info < (3, 11)
        else "pip install common-expression-language"
    )
    return f"cannot evaluate CEL rules: the common-expression-language package is not installed ({why})"


def _version_in(version: str | None, spec: str) -> bool:
    if version is None:
        return False
    return parse_range(spec).contains(version)


def _purl_matches(purl: str | None, pattern: str) -> bool:
    return purl_matches(purl, pattern)


def _spdx_allows(expression: str | None, allow: list[str]) -> bool:
    return expression is not None and spdx_allows(expression, allow)


def _version_compare(a: str, b: str) -> int:
    return compare_versions(a, b)


HELPERS: dict[str, Callable[..., Any]] = {
    "spdx_allows": _spdx_allows,
    "purl_matches": _purl_matches,
    "version_in": _version_in,
    "version_compare": _version_compare,
}

# Functions the Rust CEL core provides (macros such as all/exists/map compile to operators).
_CORE = frozenset(
    {
        *("size", "contains", "startsWith", "endsWith", "matches", "has", "type", "dyn"),
        *("int", "uint", "double", "string", "bytes", "timestamp", "duration"),
        *("getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear"),
        *("getHours", "getMinutes", "getSeconds", "getMilliseconds"),
        *("of", "none", "hasValue", "value", "orValue", "or"),
    }
)


def _stdlib() -> dict[str, Callable[..., Any]]:
    out: dict[str, Callable[..., Any]] = {}
    if not CEL_AVAILABLE:
        return out
    for functions in cel.stdlib.EXTENSIONS.values():
        out.update(functions)
    return out


FUNCTIONS: dict[str, Callable[..., Any]] = {**_stdlib(), **HELPERS}
_KNOWN_FUNCTIONS = _CORE | frozenset(FUNCTIONS)
_BOUND = re.compile(r"\b(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,")
_VARIABLES: dict[Per, frozenset[str]] = {
    "component": frozenset({"component", "sbom", "now"}),
    "sbom": frozenset({"sbom", "now"}),
}


def _is_operator(name: str) -> bool:
    return name.startswith(("_", "@", "!", "-")) or name.endswith("_")


@dataclass(frozen=True)
class CelRule:
    id: str
    expr: str
    message: str
    severity: Severity = "error"
    per: Per = "component"
    scope: Scope = "all"
    program: Any = field(default=None, compare=False, repr=False)
    variables: frozenset[str] = frozenset()
    functions: frozenset[str] = frozenset()  # Python-backed functions it calls (helpers, stdlib)
    fields: frozenset[str] | None = None  # component fields it reads; None: it uses the whole component


def compile_rule(
    id: str,
    expr: str,
    message: str,
    severity: Severity = "error",
    per: Per = "component",
    scope: Scope = "all",
) -> CelRule:
    """Compile and check an expression; raise :class:`CelCompileError` with a one-line reason
    (:class:`CelMissing` where the CEL engine cannot be installed)."""
    if not CEL_AVAILABLE:
        raise CelMissing(cel_missing_message())
    try:
        program = cel.compile(expr)
    except (ValueError, RuntimeError) as exc:
        detail = str(exc).splitlines()
        reason = next((line for line in detail if "ERROR" in line), detail[0] if detail else "syntax error")
        raise CelCompileError(reason.replace("ERROR: <input>:", "at ").strip()) from exc
    unknown_fns = sorted(f for f in program.functions() if not _is_operator(f) and f not in _KNOWN_FUNCTIONS)
    if unknown_fns:
        raise CelCompileError(f"unknown function {unknown_fns[0]!r}")
    bound = set(_BOUND.findall(expr))
    used = set(program.variables())
    allowed = _VARIABLES[per]
    unknown_vars = sorted(v for v in used if v not in allowed and v not in bound)
    if unknown_vars:
        names = ", ".join(sorted(allowed))
        raise CelCompileError(f"unknown variable {unknown_vars[0]!r} (a {per} rule sees: {names})")
    functions = frozenset(f for f in program.functions() if f in FUNCTIONS)
    return CelRule(
        id, expr, message, severity, per, scope, program, frozenset(used & allowed), functions, _fields(expr)
    )


_COMPONENT = re.compile(r"\bcomponent\b(\s*\.\s*([A-Za-z_][A-Za-z0-9_]*))?")


def _fields(expr: str) -> frozenset[str] | None:
    """The ``component.<field>`` names an expression reads, or None when it uses ``component`` whole.

    Converting a value into CEL costs time per key, so evaluation passes only these fields."""
    names = set()
    for m in _COMPONENT.finditer(expr):
        if m.group(2) is None:
            return None
        names.add(m.group(2))
    return frozenset(names)


_PLACEHOLDER = re.compile(r"\{(name|version|purl|ref|license)\}")


def render_message(template: str, view: dict[str, Any] | None) -> str:
    """Fill ``{name}``, ``{version}``, ``{purl}``, ``{ref}``, ``{license}`` from a component view."""
    if view is None:
        return template
    return _PLACEHOLDER.sub(lambda m: str(view.get(m.group(1)) or "?"), template)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One failed evaluation: the rule returned false (``error`` None) or could not be evaluated."""

    rule: CelRule
    index: int  # index into the views given (-1 for SBOM rules)
    error: str | None = None


class CelEvaluator:
    """Runs compiled rules. Per component, one context carries the component (only the fields the rules
    read) and every component rule runs against it; only the functions the rules call are registered."""

    def __init__(self, rules: Iterable[CelRule]) -> None:
        self.rules = tuple(rules)
        self._position = {r.id: i for i, r in enumerate(self.rules)}
        self.progress: Progress | None = None  # set while evaluating in a child (see evaluate)

    @staticmethod
    def _context(rules: Sequence[CelRule]) -> cel.Context:
        wanted = set().union(*(r.functions for r in rules)) if rules else set()
        return cel.Context(None, {name: FUNCTIONS[name] for name in sorted(wanted)})

    def _execute(self, rule: CelRule, context: cel.Context) -> str | None:
        if self.progress is not None:
            self.progress.set(self._position[rule.id])
        try:
            result = rule.program.execute(context)
        except Exception as exc:  # the CEL runtime raises plain Python errors of several kinds
            return _one_line(f"{type(exc).__name__}: {exc}")
        if result is True:
            return None
        if result is False:
            return ""
        return f"expected a bool, got {type(result).__name__}"

    def run_components(
        self,
        views: list[dict[str, Any]],
        in_scope: Callable[[int, Scope], bool],
        summary: dict[str, Any],
        now: Any,
    ) -> Iterator[Outcome]:
        rules = [r for r in self.rules if r.per == "component"]
        if not rules:
            return
        context = self._context(rules)
        variables = set().union(*(r.variables for r in rules))
        if "sbom" in variables:
            context.add_variable("sbom", summary)
        if "now" in variables:
            context.add_variable("now", now)
        wants_component = "component" in variables
        fields: set[str] | None = set()
        for r in rules:
            if r.fields is None or fields is None:
                fields = None
            else:
                fields |= r.fields
        keys = None if fields is None else sorted(fields)
        for i, view in enumerate(views):
            todo = [r for r in rules if r.scope == "all" or in_scope(i, r.scope)]
            if not todo:
                continue
            if wants_component:
                slim = view if keys is None else {k: view[k] for k in keys if k in view}
                context.add_variable("component", slim)
            for rule in todo:
                err = self._execute(rule, context)
                if err is not None:
                    yield Outcome(rule, i, err or None)

    def run_sbom(self, full_view: Callable[[], dict[str, Any]], now: Any) -> Iterator[Outcome]:
        rules = [r for r in self.rules if r.per == "sbom"]
        if not rules:
            return
        context = self._context(rules)
        variables = set().union(*(r.variables for r in rules))
        if "sbom" in variables:
            context.add_variable("sbom", full_view())  # converted once, shared by every SBOM rule
        if "now" in variables:
            context.add_variable("now", now)
        for rule in rules:
            err = self._execute(rule, context)
            if err is not None:
                yield Outcome(rule, -1, err or None)

    def evaluate(
        self,
        views: list[dict[str, Any]],
        in_scope: Callable[[int, Scope], bool],
        summary: dict[str, Any],
        full_view: Callable[[], dict[str, Any]],
        now: Any,
        limits: Limits,
        policy_path: str | None = None,
    ) -> list[Outcome]:
        """Every component rule over ``views``, then every SBOM rule, in a child process within
        ``limits`` (CEL comprehensions nest: ``l.map(a, l.map(b, ...))`` grows as len(l)^depth and the
        Rust interpreter cannot be interrupted in-process). Over budget: :class:`PolicyFileError`
        naming the rule being evaluated."""

        def work() -> list[tuple[int, int, str | None]]:
            found = [*self.run_components(views, in_scope, summary, now), *self.run_sbom(full_view, now)]
            return [(self._position[o.rule.id], o.index, o.error) for o in found]

        if not self.rules:
            return []
        if not can_fork():  # no fork (Windows): unbounded, in-process
            return [Outcome(self.rules[r], i, e) for r, i, e in work()]
        self.progress = Progress()
        try:
            raw = run_limited(work, limits, self.progress)
        except BudgetExceeded as exc:
            rule = self.rules[exc.progress] if 0 <= exc.progress < len(self.rules) else None
            name = f"CEL rule {rule.id!r}" if rule else "CEL evaluation"
            raise PolicyFileError(f"{policy_path or 'policy'}: {name} {overrun('cel', exc, limits)}") from exc
        except ChildFailed as exc:
            raise RuntimeError(f"CEL evaluation failed: {exc}") from exc
        finally:
            self.progress = None
        return [Outcome(self.rules[r], i, e) for r, i, e in raw]


def _one_line(text: str) -> str:
    first = " ".join(text.split())
    return first if len(first) <= 300 else first[:297] + "..."
