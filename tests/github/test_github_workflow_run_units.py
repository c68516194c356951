"""The pieces of the fork-safe flow that read a fork's artifact: bounded, flat, validated."""

from __future__ import annotations

import io
import json
import random
import zipfile

import pytest

from nix_attest.errors import InputError
from nix_attest.github.run_record import RunRecord, dumps_run_record, loads_run_record
from nix_attest.github.workflow_run import unpack
from nix_attest.report.diffjson import dumps_diff, loads_diff
from nix_attest.sbom.diff import ComponentEntry, LicenseChange, SbomDiff, VersionChange

WANTED = {"sbom.cdx.json": 1000, "run.json": 100}


def archive(*members: tuple[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


def test_only_known_flat_names_are_read() -> None:
    got = unpack(
        archive(
            ("sbom.cdx.json", b"{}"),
            ("../run.json", b"escape"),
            ("sub/run.json", b"nested"),
            ("/run.json", b"absolute"),
            ("report.md", b"forged"),
        ),
        WANTED,
        source="a",
    )
    assert got == {"sbom.cdx.json": b"{}"}


def test_a_member_larger_than_its_limit_is_refused_whatever_the_header_says() -> None:
    bomb = archive(("sbom.cdx.json", b"0" * 10_000_000))  # compresses to a few KiB
    assert len(bomb) < 20_000
    with pytest.raises(InputError, match="larger than 1000 bytes"):
        unpack(bomb, WANTED, source="a")


def test_broken_and_duplicated_archives_are_refused() -> None:
    with pytest.raises(InputError, match="not a readable zip"):
        unpack(b"PK\x03\x04 not really", WANTED, source="a")
    with pytest.warns(UserWarning), pytest.raises(InputError, match="twice"):
        unpack(archive(("run.json", b"1"), ("run.json", b"2")), WANTED, source="a")
    many = archive(*((f"f{i}", b"") for i in range(1001)))
    with pytest.raises(InputError, match="more than 1000"):
        unpack(many, WANTED, source="a")


def test_run_record_round_trip_and_bounds() -> None:
    record = RunRecord(".#default", '.#default|W/j|{"python":"3.12"}', "python=3.12", 7)
    assert loads_run_record(dumps_run_record(record).encode()) == record
    good = json.loads(dumps_run_record(record))
    for field, bad in (
        ("installable", ""),
        ("installable", "x\ny"),
        ("comment_key", "k" * 32769),
        ("installable", "i" * 4097),
        ("label", ["x"]),
        ("pull_request", -1),
        ("pull_request", True),
        ("pull_request", "7"),
        ("format", 2),
    ):
        with pytest.raises(InputError):
            loads_run_record(json.dumps({**good, field: bad}).encode())
    with pytest.raises(InputError, match="not JSON"):
        loads_run_record(b"<html>")
    with pytest.raises(InputError, match="nested"):
        loads_run_record(b"[" * 1000 + b"]" * 1000)


def test_diff_json_round_trip_and_bounds() -> None:
    diff = SbomDiff(
        "base",
        "head",
        added=(ComponentEntry("a", "1", "/nix/store/a", ("MIT",), True),),
        removed=(ComponentEntry("b", None, "/nix/store/b", (), False),),
        changed=(VersionChange("c", ("1",), ("2",), ()),),
        license_changes=(LicenseChange("d", "3", ("MIT",), ("GPL-3.0-only",)),),
        base_runtime_size=10,
        head_runtime_size=12,
    )
    assert loads_diff(dumps_diff(diff)) == diff
    doc = json.loads(dumps_diff(diff))
    for bad in (
        {**doc, "added": "x"},
        {**doc, "added": [{"version": "1"}]},
        {**doc, "changed": [{"name": "c", "old": [1]}]},
        {**doc, "runtime_closure_size": {"base": -1}},
        {**doc, "base": "b" * 1001},
        [],
    ):
        with pytest.raises(InputError):
            loads_diff(json.dumps(bad))


def test_what_run_writes_for_a_big_matrix_leg_the_trusted_side_reads() -> None:
    """The key holds the leg's whole matrix as JSON: a leg with a long value (an include with a
    config object) or a long flake URL must not make the fork-safe comment refuse an honest run."""
    from nix_attest.github.identity import use_identity

    matrix = {"config": {"flags": ["--option", "x" * 300] * 10}, "os": "ubuntu-24.04"}
    installable = "github:example/" + "r" * 40 + "/" + "0" * 40 + "?dir=" + "sub/" * 100 + "#packages.default"
    env = {"NIX_ATTEST_MATRIX": json.dumps(matrix), "NIX_ATTEST_JOB_INDEX": "3", "GITHUB_JOB": "attest"}
    use = use_identity(installable, "nix-attest PR check/attest", env=env)
    record = RunRecord(installable, use.key, use.label, 7)
    assert loads_run_record(dumps_run_record(record).encode()) == record


@pytest.mark.parametrize(
    "method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]
)
def test_a_corrupted_archive_is_bad_input_never_an_internal_error(method: int) -> None:
    """Bytes flipped or cut anywhere in a fork's zip (seeded): exit 2 naming the artifact, never
    'internal error: ValueError' (a negative seek, a non-UTF-8 name) or LZMAError."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        zf.writestr("sbom.cdx.json", b'{"bomFormat": "CycloneDX"}' * 20)
        zf.writestr("run.json", b'{"format": 1}')
    good = buf.getvalue()
    rng = random.Random(method)
    for _ in range(250):
        data = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.2:
            del data[rng.randrange(len(data)) :]
        try:
            unpack(bytes(data), WANTED, source="artifact a")
        except InputError as exc:
            assert str(exc).startswith("artifact a")
