"""Parsers for what Nix prints: derivation JSON (every shape), path-info (every shape), names, hashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nix_attest.errors import InputError, InvalidStorePath
from nix_attest.nix.drv import parse_derivations
from nix_attest.nix.hashes import nix32_decode, to_hex
from nix_attest.nix.names import parse_drv_name, parse_package_name, store_path_name
from nix_attest.nix.pathinfo import closure_paths, parse_path_info
from nix_attest.nix.runner import parse_version, trim_nix_error

DATA = Path(__file__).resolve().parents[1] / "data"
S = "/nix/store/"
HEX = "62096b6061d53553da498a0216e11d2215e12d4731d7db30c14bc7ed05ab2065"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hello-2.12.1", ("hello", "2.12.1")),
        ("foo-bar-1.0-rc", ("foo-bar", "1.0-rc")),
        ("openssl-3.0.13-dev", ("openssl", "3.0.13-dev")),
        ("source", ("source", None)),
        ("python3.11-requests-2.31.0", ("python3.11-requests", "2.31.0")),
        ("greeting-1.0.tar", ("greeting", "1.0.tar")),  # Nix's rule; see parse_package_name
        ("x-", ("x-", None)),
    ],
)
def test_parse_drv_name_follows_nix(name: str, expected: tuple[str, str | None]) -> None:
    assert parse_drv_name(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # fetchurl names a source after the URL's last segment: the extension is not the version
        ("openssl-3.0.13.tar.gz", ("openssl", "3.0.13")),
        ("Python-3.12.1.tar.xz", ("Python", "3.12.1")),
        ("bzip2-1.0.8.tar.bz2", ("bzip2", "1.0.8")),
        ("zstd-1.5.5.tar.zst", ("zstd", "1.5.5")),
        ("libfoo-2.1.tgz", ("libfoo", "2.1")),
        ("unzip-6.0.zip", ("unzip", "6.0")),
        ("greeting-1.0.tar", ("greeting", "1.0")),
        ("x-1.0-rc1.tar.xz", ("x", "1.0-rc1")),
        ("rustc-1.75.0-src.tar.gz", ("rustc", "1.75.0")),
        # a -src / -source suffix names the kind of path
        ("zlib-1.3.1-src", ("zlib", "1.3.1")),
        ("foo-2.0-source", ("foo", "2.0")),
        ("bar-src", ("bar-src", None)),
        # fetchFromGitHub's default name, and a GitHub tag archive
        ("source", ("source", None)),
        ("v1.2.3.tar.gz", ("v1.2.3", "1.2.3")),
        # a patch is not versioned
        ("CVE-2023-1234.patch", ("CVE-2023-1234.patch", None)),
        # package files of other ecosystems, named by their own conventions
        ("serde-1.0.197.crate", ("serde", "1.0.197")),
        ("rails-7.1.3.gem", ("rails", "7.1.3")),
        ("commons-io-2.15.1.jar", ("commons-io", "2.15.1")),
        ("requests-2.31.0-py3-none-any.whl", ("requests", "2.31.0")),
        ("typing_extensions-4.9.0-1-py3-none-any.whl", ("typing_extensions", "4.9.0")),
        ("numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", ("numpy", "1.26.4")),
        ("libfoo_1.2.3.orig.tar.xz", ("libfoo", "1.2.3")),
        ("libfoo_1.2.3-1.debian.tar.xz", ("libfoo", "1.2.3-1")),
        ("libfoo_1.2.3-1_amd64.deb", ("libfoo", "1.2.3-1")),
        ("google-chrome-stable_123.0.6312.58-1_amd64.deb", ("google-chrome-stable", "123.0.6312.58-1")),
        ("llvm-17.0.6.src.tar.xz", ("llvm", "17.0.6")),
        ("node-v20.11.1.tar.xz", ("node", "20.11.1")),
        ("curl-8.6.0.tar.xz.asc", ("curl", "8.6.0")),
        # nixpkgs' unstable versions: the date is the version, "unstable" part of it
        ("foo-unstable-2024-01-01", ("foo", "unstable-2024-01-01")),
        ("foo-0-unstable-2024-01-01", ("foo", "0-unstable-2024-01-01")),
        # an output of a multiple-output package is the package's version
        ("openssl-3.0.13-dev", ("openssl", "3.0.13")),
        ("glibc-2.39-52-bin", ("glibc", "2.39-52")),
        ("foo-1.0-rc1", ("foo", "1.0-rc1")),
        ("src", ("src", None)),
        # everything else as Nix parses it
        ("hello-2.12.1", ("hello", "2.12.1")),
        ("python3.11-requests-2.31.0", ("python3.11-requests", "2.31.0")),
        ("foo.zip", ("foo", None)),
        (".tar.gz", (".tar.gz", None)),
    ],
)
def test_parse_package_name_leaves_archive_extensions_out_of_the_version(
    name: str, expected: tuple[str, str | None]
) -> None:
    assert parse_package_name(name) == expected


def test_store_path_names() -> None:
    p = S + "r66mxzhcias4zcf5mfrdlgc05a5d3hrp-hello-1.0"
    assert store_path_name(p) == "hello-1.0"
    assert store_path_name(p + ".drv") == "hello-1.0"


def test_nix_base32_matches_nix() -> None:
    # `nix hash to-base32 --type sha256 sha256-EFUdrtf6Rn0LWIJufrmg8q99aT3jGfLvd1//zaJEufY=`
    b32 = "1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h"
    hex_digest = "10551daed7fa467d0b58826e7eb9a0f2af7d693de319f2ef775fffcda244b9f6"
    assert nix32_decode(b32, 32).hex() == hex_digest
    assert to_hex("sha256:" + b32) == ("sha256", hex_digest)
    assert to_hex("sha256-EFUdrtf6Rn0LWIJufrmg8q99aT3jGfLvd1//zaJEufY=") == ("sha256", hex_digest)
    assert to_hex(hex_digest, "sha256") == ("sha256", hex_digest)


def test_malformed_hash_is_an_input_error() -> None:
    with pytest.raises(InputError, match="sha256"):
        to_hex("sha256:not-a-hash!")
    with pytest.raises(InputError, match="unsupported"):
        to_hex("deadbeef")


@pytest.mark.parametrize("fixture", sorted(p.name for p in (DATA / "drv").glob("v*.json")))
def test_every_derivation_json_shape_parses_to_the_same_graph(fixture: str) -> None:
    drvs = parse_derivations(json.loads((DATA / "drv" / fixture).read_text()))
    app = next(d for d in drvs.values() if d.name == "app-1.0")
    lib = next(d for d in drvs.values() if d.name == "lib-2.0")
    src = next(d for d in drvs.values() if d.name == "src-1.0.tar")
    assert all(p.startswith(S) for p in drvs)
    assert app.input_drvs == {lib.path: ("dev", "out"), src.path: ("out",)}
    assert app.input_srcs == (S + "1h8z6rcj6v6l1q3hx8yq7nq3l8gpzd2m-builder.sh",)
    assert (
        app.main_output is not None and app.main_output.path == S + "a9cvsnd7y2jhc3ip1a6ng6kxg0jx5ls2-app-1.0"
    )
    assert [o.name for o in lib.outputs] == ["dev", "out"]
    assert app.fixed_output is None and lib.fixed_output is None
    fod = src.fixed_output
    assert fod is not None
    assert (fod.method, fod.hash_algo, fod.hash_hex) == ("flat", "sha256", HEX)
    assert fod.path == S + "d5m3wb4w5y1pxkyv4pq4cgmrcyl7g8h0-src-1.0.tar"
    assert src.env["urls"].split()[0] == "https://example.org/src-1.0.tar"


def test_recursive_fod_in_v1_is_nar_method() -> None:
    doc = {
        S + "0v3r6v8n0z2bqkz2l2n1l4i7i1c3m6sa-s.drv": {
            "outputs": {
                "out": {"path": S + "d5m3wb4w5y1pxkyv4pq4cgmrcyl7g8h0-s", "hashAlgo": "r:sha256", "hash": HEX}
            },
            "inputSrcs": [],
            "inputDrvs": {},
            "env": {"name": "s"},
            "system": "x86_64-linux",
        }
    }
    (d,) = parse_derivations(doc).values()
    assert d.fixed_output is not None and d.fixed_output.method == "nar"


PI_28 = [
    {
        "path": S + "r66mxzhcias4zcf5mfrdlgc05a5d3hrp-hello-1.0",
        "narHash": "sha256:1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h",
        "narSize": 120,
        "references": [S + "a9cvsnd7y2jhc3ip1a6ng6kxg0jx5ls2-dep"],
        "deriver": S + "b6wzvjp55iapvbbnd0fx9w1ag6bznr1q-hello-1.0.drv",
    },
    {
        "path": S + "a9cvsnd7y2jhc3ip1a6ng6kxg0jx5ls2-dep",
        "narHash": "sha256:1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h",
        "narSize": 8,
        "references": [],
    },
]


@pytest.mark.parametrize(
    "doc",
    [
        PI_28,  # Nix <= 2.18: a list
        {e["path"]: {k: v for k, v in e.items() if k != "path"} for e in PI_28},  # 2.19+: keyed by path
        {  # newest: base names and SRI hashes
            e["path"][len(S) :]: {
                "narHash": "sha256-EFUdrtf6Rn0LWIJufrmg8q99aT3jGfLvd1//zaJEufY=",
                "narSize": e["narSize"],
                "references": [r[len(S) :] for r in e["references"]],
                "deriver": e.get("deriver", "")[len(S) :] or None,
            }
            for e in PI_28
        },
    ],
    ids=["list-2.8", "object-2.19", "basenames-sri"],
)
def test_path_info_shapes(doc: object) -> None:
    infos = parse_path_info(doc)
    hello = infos[S + "r66mxzhcias4zcf5mfrdlgc05a5d3hrp-hello-1.0"]
    assert hello.nar_sha256 == "10551daed7fa467d0b58826e7eb9a0f2af7d693de319f2ef775fffcda244b9f6"
    assert hello.nar_size == 120
    assert hello.references == (S + "a9cvsnd7y2jhc3ip1a6ng6kxg0jx5ls2-dep",)
    assert hello.deriver == S + "b6wzvjp55iapvbbnd0fx9w1ag6bznr1q-hello-1.0.drv"
    assert closure_paths(infos, [hello.path]) == sorted(infos)


def test_invalid_path_in_path_info() -> None:
    with pytest.raises(InvalidStorePath):
        parse_path_info({S + "r66mxzhcias4zcf5mfrdlgc05a5d3hrp-x": None})


def test_version_detection() -> None:
    assert parse_version("nix (Nix) 2.8.0").number == "2.8.0"
    v = parse_version("nix (Determinate Nix 3.6.2) 2.29.0")
    assert v.number == "2.29.0" and v.at_least(2, 15)
    assert not parse_version("nix (Nix) 2.8.0").at_least(2, 15)


def test_trim_nix_error_keeps_the_message() -> None:
    err = (
        "\x1b[31;1merror:\x1b[0m\n       … while evaluating the attribute 'x'\n\n"
        "       error: flake 'path:/tmp/x' does not provide attribute 'packages.x86_64-linux.nope'\n"
    )
    assert (
        trim_nix_error(err) == "flake 'path:/tmp/x' does not provide attribute 'packages.x86_64-linux.nope'"
    )
