"""The cyclic garbage collector is paused while an SBOM is assembled and written (a large graph is
millions of objects the collector would re-walk for nothing; see nix_attest.gcpause), and it is back on
afterwards, also when the work fails."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.hostile import small_sbom

from nix_attest.gcpause import paused_gc, without_gc
from nix_attest.sbom import cyclonedx, spdx
from nix_attest.sbom import generate as generate_module
from nix_attest.sbom.read import loads_sbom


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def recording(fn: Callable[..., Any], seen: list[bool]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return fn(*args, **kwargs)

    return wrapper


def test_paused_gc_restores_the_previous_state() -> None:
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause does not switch it back on early
    assert gc.isenabled()
    gc.disable()
    with paused_gc():
        pass
    assert not gc.isenabled()  # someone else had it off: it stays off
    gc.enable()


def test_without_gc_restores_it_after_an_error() -> None:
    @without_gc
    def boom() -> None:
        assert not gc.isenabled()
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        boom()
    assert gc.isenabled()


@pytest.mark.parametrize("module", [cyclonedx, spdx], ids=["cyclonedx", "spdx"])
def test_writing_an_sbom_pauses_the_collector(module: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sbom = loads_sbom(json.dumps(small_sbom("a", "b")))
    seen: list[bool] = []
    monkeypatch.setattr(module, "render", recording(module.render, seen))
    text = module.dumps_sbom(sbom)
    assert seen == [False] and text
    assert gc.isenabled()


@pytest.mark.nix
def test_generating_an_sbom_pauses_the_collector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "one.nix"
    f.write_text(
        'derivation { name = "one-1.0"; system = builtins.currentSystem; builder = "/bin/sh"; '
        'args = [ "-c" ": > $out" ]; }'
    )
    seen: list[bool] = []
    monkeypatch.setattr(
        generate_module, "parse_package_name", recording(generate_module.parse_package_name, seen)
    )
    sbom = generate_module.generate_sbom(None, file=str(f), build=False, quiet=True)
    assert sbom.root.name == "one" and seen and not any(seen)
    assert gc.isenabled()
