"""Fixtures for attest tests: a running local Sigstore stack, its trust files, a realistic SBOM."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from attest_helpers import make_sbom
from sigstore.models import ClientTrustConfig
from sigstore_stack import SigstoreStack

from nix_attest.attest.trust import SigningTrust
from nix_attest.sbom.cyclonedx import dumps_sbom


@pytest.fixture(scope="session")
def stack() -> Iterator[SigstoreStack]:
    s = SigstoreStack.start()
    yield s
    s.close()


@pytest.fixture(scope="session")
def other_stack() -> Iterator[SigstoreStack]:
    """A second, unrelated Sigstore instance (for "bundle from another trust root")."""
    s = SigstoreStack.start()
    yield s
    s.close()


@pytest.fixture(scope="session")
def trust_files(stack: SigstoreStack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("trust")
    config = d / "trust_config.json"
    config.write_text(json.dumps(stack.client_trust_config()))
    root = d / "trusted_root.json"
    root.write_text(json.dumps(stack.trusted_root()))
    return {"config": config, "root": root}


@pytest.fixture(scope="session")
def signing_trust(stack: SigstoreStack) -> SigningTrust:
    cfg = ClientTrustConfig.from_json(json.dumps(stack.client_trust_config()))
    return SigningTrust(cfg, f"{stack.url}/api/v1/log/entries?logIndex={{index}}", "local test stack")


@pytest.fixture()
def sbom_file(tmp_path: Path) -> Path:
    path = tmp_path / "sbom.cdx.json"
    path.write_text(dumps_sbom(make_sbom()))
    return path
