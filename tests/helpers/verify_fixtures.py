"""Shared by the verify-by-digest tests: a real store path with a runtime closure (Nix), and signing an
SBOM as a workflow of some repository with the local Sigstore stack."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sigstore_stack import SigstoreStack

from nix_attest.attest.pipeline import sign_sbom
from nix_attest.attest.sign import StatementToSign, sign_statements
from nix_attest.attest.trust import SigningTrust
from nix_attest.sbom.cyclonedx import dumps_sbom
from nix_attest.sbom.generate import generate
from nix_attest.sbom.model import Sbom

REPO = "octo/widgets"
CLOSURE_NIX = r"""
let
  system = builtins.currentSystem;
  mk = name: script: derivation { inherit name system; builder = "/bin/sh"; args = [ "-c" script ]; };
  dep = mk "verify-dep-2.1" "echo dep-lib > $out";
in {
  app = mk "verify-app-0.5" "echo uses ${dep} > $out";
  lone = mk "verify-lone-1.0" "echo nobody attests me > $out";
}
"""


@dataclass(frozen=True)
class Built:
    app: str  # a store path whose runtime closure is itself and verify-dep-2.1
    sbom: Sbom  # the runtime SBOM of app
    lone: str  # a store path nobody attests


def build_closure(directory: Path) -> Built:
    f = directory / "default.nix"
    f.write_text(CLOSURE_NIX)
    app = generate(None, file=str(f), attr="app", closure="runtime", quiet=True)
    lone = generate(None, file=str(f), attr="lone", closure="runtime", quiet=True)
    return Built(app=app.outputs[0], sbom=app.sbom, lone=lone.outputs[0])


class Signer:
    """``signer(sbom, repository)``: sign an SBOM as that repository's release workflow."""

    def __init__(self, tmp_path: Path, stack: SigstoreStack, trust: SigningTrust) -> None:
        self.tmp, self.stack, self.trust, self.n = tmp_path, stack, trust, 0

    def __call__(
        self,
        sbom: Sbom,
        repository: str = REPO,
        *,
        provenance: bool = False,
        signer_workflow: str | None = None,
    ) -> list[Path]:
        """[SBOM bundle(, provenance bundle)]; ``signer_workflow`` (``OWNER/REPO/PATH@REF``): the workflow
        that signed, when it is a reusable workflow of another repository than the one that ran."""
        self.n += 1
        d = self.tmp / f"signed-{self.n}"
        d.mkdir()
        sbom_file = d / "sbom.cdx.json"
        sbom_file.write_text(dumps_sbom(sbom))
        bundles = sign_sbom(
            sbom_file,
            out_dir=d,
            token=self.stack.token(
                repository=repository,
                overrides={"job_workflow_ref": signer_workflow} if signer_workflow else {},
            ),
            trust=self.trust,
            provenance=provenance,
            env={},
        )
        return [Path(b.bundle_path) for b in bundles]

    def statement(self, statement: dict[str, Any], repository: str = REPO) -> Path:
        """Sign any in-toto statement (e.g. one whose predicate is not a valid SBOM) as ``repository``."""
        self.n += 1
        d = self.tmp / f"signed-{self.n}"
        d.mkdir()
        (bundle,) = sign_statements(
            [StatementToSign("sbom", statement)],
            out_dir=d,
            token=self.stack.token(repository=repository),
            trust=self.trust,
        )
        return Path(bundle.bundle_path)
