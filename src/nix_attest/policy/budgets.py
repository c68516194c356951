"""Time and memory budgets for the parts of a policy that run code from the policy author (CEL rules,
Nickel validators and contracts). A policy may change them under ``budgets:``, never beyond the hard
caps: the policy file usually comes from the pull request being checked."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import PolicyFileError
from ..sandbox import BudgetExceeded, Limits
from ..sizes import GiB, MiB, describe_size

DEFAULT_SECONDS = {"cel": 10.0, "nickel": 20.0}
DEFAULT_MEMORY = 1 * GiB
MAX_SECONDS = 300.0
MAX_MEMORY = 4 * GiB
MIN_MEMORY = 64 * MiB


@dataclass(frozen=True, slots=True)
class Budgets:
    cel_seconds: float = DEFAULT_SECONDS["cel"]
    cel_memory: int = DEFAULT_MEMORY
    nickel_seconds: float = DEFAULT_SECONDS["nickel"]
    nickel_memory: int = DEFAULT_MEMORY

    @property
    def cel(self) -> Limits:
        return Limits(self.cel_seconds, self.cel_memory)

    @property
    def nickel(self) -> Limits:
        return Limits(self.nickel_seconds, self.nickel_memory)


DEFAULT_BUDGETS = Budgets()


def overrun(engine: str, exc: BudgetExceeded, limits: Limits) -> str:
    """How a child went over its budget, naming the setting: ``ran longer than 10 s (...)``."""
    if exc.kind == "time":
        return f"ran longer than {limits.seconds:g} s (budgets.{engine}-seconds)"
    return (
        f"ran out of {describe_size(limits.memory)} of memory or crashed ({exc.detail}) "
        f"(budgets.{engine}-memory)"
    )


def read_budgets(
    data: Mapping[str, Any] | None,
    parse_size: Callable[[int | str], int],
    error_at: Callable[[Sequence[str], str], PolicyFileError],
) -> Budgets:
    """``budgets:`` of a schema-valid policy document, checked against the hard caps."""
    if not data:
        return DEFAULT_BUDGETS
    values: dict[str, Any] = {}
    for engine in ("cel", "nickel"):
        key = f"{engine}-seconds"
        if key in data:
            seconds = float(data[key])
            if not 0 < seconds <= MAX_SECONDS:
                raise error_at(["budgets", key], f"must be more than 0 and at most {MAX_SECONDS:g} seconds")
            values[f"{engine}_seconds"] = seconds
        key = f"{engine}-memory"
        if key in data:
            try:
                memory = parse_size(data[key])
            except ValueError as exc:
                raise error_at(["budgets", key], str(exc)) from exc
            if not MIN_MEMORY <= memory <= MAX_MEMORY:
                raise error_at(
                    ["budgets", key],
                    f"must be between {describe_size(MIN_MEMORY)} and {describe_size(MAX_MEMORY)}",
                )
            values[f"{engine}_memory"] = memory
    return Budgets(**values)
