"""Shared builders for attest tests (SBOM records written with the real CycloneDX writer)."""

from __future__ import annotations

from nix_attest.sbom.model import (
    Component,
    FixedOutput,
    FlakeInfo,
    FlakeInput,
    Hash,
    Sbom,
    SbomMeta,
)

ROOT_PATH = "/nix/store/0c7mbbxkgf5a7d2gzjqnk9a3pn6xw2d1-hello-2.12.1"
ROOT_NAR = "5a1f6f7e0b7c3d1e2f4a5b6c7d8e9f00112233445566778899aabbccddeeff01"


def make_sbom(*, root_hash: str | None = ROOT_NAR) -> Sbom:
    fod = Component(
        ref="/nix/store/4s1ss6r2w3j5l4nq6nqb2b0h4yqg8mwa-hello-2.12.1.tar.gz",
        name="hello-2.12.1.tar.gz",
        version="2.12.1",
        store_path="/nix/store/4s1ss6r2w3j5l4nq6nqb2b0h4yqg8mwa-hello-2.12.1.tar.gz",
        kind="file",
        closures=("buildtime",),
        fixed_output=FixedOutput(
            method="flat",
            algo="sha256",
            hash_hex="8d99142afd92576f30b0cd7cb42a8dc6809998bc5d607d88761f512e26c7db20",
            urls=(
                "https://ftpmirror.gnu.org/hello/hello-2.12.1.tar.gz",
                "https://ftp.gnu.org/gnu/hello/hello-2.12.1.tar.gz",
            ),
        ),
    )
    glibc = Component(
        ref="/nix/store/9df65igwjmf2wbw0gbrrgair6piqjgmi-glibc-2.38",
        name="glibc",
        version="2.38",
        store_path="/nix/store/9df65igwjmf2wbw0gbrrgair6piqjgmi-glibc-2.38",
        closures=("buildtime", "runtime"),
        hashes=(Hash("SHA-256", "11" * 32),),
    )
    root = Component(
        ref=ROOT_PATH,
        name="hello",
        version="2.12.1",
        store_path=ROOT_PATH,
        kind="application",
        closures=("runtime",),
        nar_hash=f"sha256:{root_hash}" if root_hash else None,  # a directory: its NAR hash only
    )
    flake = FlakeInfo(
        original_url="github:octo/widgets",
        locked_url="github:octo/widgets/0123456789abcdef0123456789abcdef01234567",
        rev="0123456789abcdef0123456789abcdef01234567",
        nar_hash="sha256-" + "A" * 43 + "=",
        inputs=(
            FlakeInput(
                name="nixpkgs",
                locked_url="github:NixOS/nixpkgs/fedcba9876543210fedcba9876543210fedcba98",
                rev="fedcba9876543210fedcba9876543210fedcba98",
                nar_hash="sha256-" + "B" * 43 + "=",
            ),
        ),
    )
    meta = SbomMeta(
        installable="github:octo/widgets#hello",
        closure="runtime",
        tool_version="0.1.0",
        nix_version="2.8.0",
        system="x86_64-linux",
        flake=flake,
    )
    return Sbom(
        root=root,
        components=(fod, glibc),
        dependencies={ROOT_PATH: (glibc.ref,), glibc.ref: (), fod.ref: ()},
        meta=meta,
    )
