"""Licence normalisation: SPDX ids and expressions via `license-expression`, free text kept as a name."""

from __future__ import annotations

from functools import lru_cache

from license_expression import ExpressionError, Licensing, get_spdx_licensing

from .model import Acknowledgement, License


@lru_cache(maxsize=1)
def _licensing() -> Licensing:
    return get_spdx_licensing()


@lru_cache(maxsize=4096)
def normalise_spdx(text: str) -> str | None:
    """The canonical SPDX expression for ``text``, or None when it is not valid SPDX."""
    licensing = _licensing()
    try:
        info = licensing.validate(text, strict=False)
    except ExpressionError:
        return None
    if info.errors or info.invalid_symbols:
        return None
    normalized = info.normalized_expression
    return str(normalized) if normalized else None


def is_compound(expression: str) -> bool:
    return any(op in f" {expression} " for op in (" AND ", " OR ", " WITH "))


def make_license(
    spdx_id: str | None, full_name: str | None = None, short_name: str | None = None, url: str | None = None
) -> License | None:
    """A :class:`License` from Nix's ``meta.license`` fields (an attrset or a bare string)."""
    if spdx_id:
        expr = normalise_spdx(spdx_id)
        if expr:
            return License(expression=expr)
    name = full_name or spdx_id or short_name
    if name:
        return License(name=name, url=url)
    if url:
        return License(url=url)
    return None


def combine(licenses: tuple[License, ...], acknowledgement: Acknowledgement | None) -> tuple[License, ...]:
    """One SPDX expression for several SPDX licences, ANDed (``Apache-2.0 AND MIT``); a list that
    has a licence without an SPDX id stays a list (an expression cannot carry free text). Each result
    carries ``acknowledgement``."""
    if len(licenses) > 1 and all(lic.expression for lic in licenses):
        parts = [
            f"({lic.expression})" if is_compound(lic.expression or "") else lic.expression for lic in licenses
        ]
        expr = normalise_spdx(" AND ".join(p for p in parts if p))
        if expr:
            return (License(expression=expr, acknowledgement=acknowledgement),)
    return tuple(
        License(expression=lic.expression, name=lic.name, url=lic.url, acknowledgement=acknowledgement)
        for lic in licenses
    )
