"""The generator's by-products: every built output, and the buildtime SBOM from the same evaluation."""

from __future__ import annotations

from pathlib import Path

import pytest

from nix_attest.sbom.cyclonedx import dumps_sbom
from nix_attest.sbom.generate import generate, generate_sbom
from nix_attest.sbom.model import Closure

pytestmark = pytest.mark.nix

MULTI = r"""
derivation {
  name = "multi-1.0"; system = builtins.currentSystem; builder = "/bin/sh";
  outputs = [ "out" "dev" ];
  args = [ "-c" "echo lib > $out; echo headers > $dev" ];
}
"""


def test_every_built_output_main_first(tmp_path: Path) -> None:
    f = tmp_path / "multi.nix"
    f.write_text(MULTI)
    closures: tuple[Closure, ...] = ("runtime", "buildtime")
    for closure in closures:
        made = generate(None, file=str(f), closure=closure, quiet=True)
        assert [p.rsplit("-", 1)[-1] for p in made.outputs] == ["1.0", "dev"], made.outputs
        assert made.outputs[0] == made.sbom.root.store_path
        assert all(Path(p).exists() for p in made.outputs)
    assert generate(None, file=str(f), build=False, quiet=True).outputs == ()  # nothing built


def test_buildtime_from_the_same_evaluation_is_the_no_build_sbom(demo_flake: Path) -> None:
    installable = f"path:{demo_flake}#default"
    made = generate(installable, with_buildtime=True, quiet=True)
    assert made.sbom.meta.closure == "runtime" and made.buildtime is not None
    assert dumps_sbom(made.buildtime) == dumps_sbom(generate_sbom(installable, build=False, quiet=True))
    assert generate(installable, quiet=True).buildtime is None  # only when asked
