"""End to end with real Nix: the SBOM matches Nix's own graph, is valid and byte-deterministic."""

from __future__ import annotations

import io
import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from nix_attest.cli import main
from nix_attest.nix.installable import parse_installable
from nix_attest.sbom.read import load_sbom
from nix_attest.sbom.validate import schema_errors

from .conftest import NIX

pytestmark = pytest.mark.nix


def sbom(tmp_path: Path, *args: str, name: str = "sbom.json") -> dict[str, Any]:
    out = tmp_path / name
    assert main(["sbom", *args, "-o", str(out), "--quiet"]) == 0
    doc: dict[str, Any] = json.loads(out.read_text())
    return doc


def store_query(flag: str, path: str) -> list[str]:
    """``nix-store -q FLAG PATH``: the same in every Nix version."""
    out = subprocess.run(["nix-store", "-q", flag, path], check=True, capture_output=True, text=True).stdout
    return out.split()


def props(c: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in c.get("properties", []):
        out.setdefault(p["name"], []).append(p["value"])
    return out


def by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in doc["components"]}


def test_runtime_sbom_matches_nix_store_closure(demo_flake: Path, tmp_path: Path) -> None:
    doc = sbom(tmp_path, f"path:{demo_flake}#default")
    assert doc["specVersion"] == "1.6" and doc["serialNumber"].startswith("urn:uuid:")
    root = doc["metadata"]["component"]
    out_path = root["bom-ref"]
    closure = subprocess.run(["nix-store", "-qR", out_path], check=True, capture_output=True, text=True)
    expected = set(closure.stdout.split()) - {out_path}
    assert {c["bom-ref"] for c in doc["components"]} == expected
    # dependencies are exactly Nix's references (self-references dropped)
    refs = {p: sorted(r for r in store_query("--references", p) if r != p) for p in expected | {out_path}}
    assert {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]} == refs
    # the NAR hash as Nix states it (nix-store --dump | sha256sum reproduces it), labelled as such
    app = subprocess.run(["nix-store", "--dump", out_path], check=True, capture_output=True).stdout
    import hashlib

    nar = subprocess.run(["nix-store", "-q", "--hash", out_path], check=True, capture_output=True, text=True)
    from nix_attest.nix.hashes import to_hex

    assert to_hex(props(root)["nix:narinfo:nar_hash"][0]) == to_hex(nar.stdout.strip())
    assert load_sbom(tmp_path / "sbom.json").root.nar_sha256 == hashlib.sha256(app).hexdigest()
    assert props(root)["nix:narinfo:nar_size"] == [str(len(app))]
    # the demo's outputs are single files: SHA-256 and SHA-512 of the file, as sha256sum prints them
    data = Path(out_path).read_bytes()
    assert root["hashes"] == [
        {"alg": "SHA-256", "content": hashlib.sha256(data).hexdigest()},
        {"alg": "SHA-512", "content": hashlib.sha512(data).hexdigest()},
    ]


def test_runtime_sbom_carries_nix_metadata(demo_flake: Path, tmp_path: Path) -> None:
    doc = sbom(tmp_path, f"path:{demo_flake}#default")
    root = doc["metadata"]["component"]
    assert (root["name"], root["version"]) == ("hello-app", "1.0.0")
    assert root["licenses"] == [{"license": {"id": "GPL-3.0-or-later", "acknowledgement": "declared"}}]
    assert root["purl"] == "pkg:nix/hello-app@1.0.0"
    comps = by_name(doc)
    assert set(comps) == {"libgreet", "greet-cli"}  # build-tool and the source are build-time only
    lib = comps["libgreet"]
    assert lib["purl"] == "pkg:generic/libgreet@1.2.0"  # meta.identifiers.purl wins
    assert lib["cpe"].startswith("cpe:2.3:a:example:libgreet:1.2.0")
    assert {"type": "website", "url": "https://example.org/libgreet"} in lib["externalReferences"]
    # a list of licences in meta.license is one SPDX expression: all of them apply (AND)
    assert comps["greet-cli"]["licenses"] == [
        {"expression": "Apache-2.0 AND MIT", "acknowledgement": "declared"}
    ]
    assert all(c["scope"] == "required" for c in doc["components"])
    meta_props = props(doc["metadata"])
    assert meta_props["nix-attest:closure"] == ["runtime"]
    assert meta_props["nix-attest:flake:nar_hash"][0].startswith("sha256-")
    tools = {t["name"]: t for t in doc["metadata"]["tools"]["components"]}
    assert tools["nix"]["version"].count(".") == 2


def test_buildtime_sbom_matches_derivation_graph(demo_flake: Path, tmp_path: Path) -> None:
    doc = sbom(tmp_path, f"path:{demo_flake}#default", "--no-build")
    assert props(doc["metadata"])["nix-attest:closure"] == ["buildtime"]
    drv_path = props(doc["metadata"]["component"])["nix-attest:drv_path"][0]
    # Nix's own view, through the stable nix-store queries (no JSON shape involved)
    drvs = {p for p in store_query("--requisites", drv_path) if p.endswith(".drv")}
    got_drvs = {
        props(c)["nix-attest:drv_path"][0] for c in doc["components"] if "nix-attest:drv_path" in props(c)
    }
    assert got_drvs | {drv_path} == drvs
    # every derivation lists exactly its inputs: input derivations (as their output) and sources
    ref_of = {p: store_query("--outputs", p)[0] for p in drvs}  # the demo's derivations have one output
    deps = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    for p in drvs:
        inputs = store_query("--references", p)
        expected = {ref_of[i] if i.endswith(".drv") else i for i in inputs}
        assert deps[ref_of[p]] == sorted(expected)
    src = by_name(doc)["greeting"]
    assert src["type"] == "file" and src["scope"] == "excluded"
    # the tarball's extension is not part of its version (nor of its purl)
    assert (src["version"], src["purl"]) == ("1.0", "pkg:nix/greeting@1.0")
    assert src["hashes"] == [
        {"alg": "SHA-256", "content": "62096b6061d53553da498a0216e11d2215e12d4731d7db30c14bc7ed05ab2065"}
    ]
    assert src["externalReferences"] == [
        {"type": "source-distribution", "url": "https://example.org/releases/greeting-1.0.tar"}
    ]
    assert props(src)["nix:fod:method"] == ["flat"]
    assert "build-tool" in by_name(doc)


def test_buildtime_with_build_marks_runtime_members(demo_flake: Path, tmp_path: Path) -> None:
    doc = sbom(tmp_path, f"path:{demo_flake}#default", "--closure", "buildtime")
    closures = {c["name"]: props(c)["nix-attest:closure"][0] for c in doc["components"]}
    assert closures["libgreet"] == "buildtime,runtime"
    assert closures["build-tool"] == "buildtime"


def test_sbom_is_byte_deterministic(
    demo_flake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = tmp_path / "a.json"
    b = tmp_path / "b.json"
    assert main(["sbom", f"path:{demo_flake}#default", "-o", str(a), "--quiet"]) == 0
    assert main(["sbom", f"path:{demo_flake}#default", "-o", str(b), "--quiet"]) == 0
    assert a.read_bytes() == b.read_bytes()
    assert "timestamp" not in json.loads(a.read_text())["metadata"]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    c = tmp_path / "c.json"
    assert main(["sbom", f"path:{demo_flake}#default", "-o", str(c), "--quiet"]) == 0
    doc = json.loads(c.read_text())
    assert doc["metadata"]["timestamp"] == "2023-11-14T22:13:20Z"
    assert doc["serialNumber"] != json.loads(a.read_text())["serialNumber"]  # content-derived


def test_output_is_schema_valid_for_both_spec_versions(demo_flake: Path, tmp_path: Path) -> None:
    for version in ("1.6", "1.5"):
        doc = sbom(tmp_path, f"path:{demo_flake}#default", "--spec-version", version, name=f"{version}.json")
        assert doc["specVersion"] == version
        assert schema_errors(doc, version) == []


def test_cyclonedx_library_reads_our_output(demo_flake: Path, tmp_path: Path) -> None:
    """cyclonedx-python-lib's own model deserialises the document with every component and edge."""
    from cyclonedx.model.bom import Bom

    doc = sbom(tmp_path, f"path:{demo_flake}#default", "--no-build")
    bom = Bom.from_json(doc)  # type: ignore[attr-defined]
    assert {str(c.bom_ref) for c in bom.components} == {c["bom-ref"] for c in doc["components"]}
    assert len(bom.dependencies) == len(doc["dependencies"])
    assert str(bom.serial_number) == doc["serialNumber"].removeprefix("urn:uuid:")


def test_reader_round_trips_exactly(demo_flake: Path, tmp_path: Path) -> None:
    from nix_attest.sbom.cyclonedx import dumps_sbom

    for extra in ((), ("--no-build",)):
        out = tmp_path / "rt.json"
        assert main(["sbom", f"path:{demo_flake}#default", *extra, "-o", str(out), "--quiet"]) == 0
        assert dumps_sbom(load_sbom(out)) == out.read_text()


def test_legacy_file_attribute(legacy_file: Path, tmp_path: Path) -> None:
    doc = sbom(tmp_path, "-f", str(legacy_file), "-A", "app")
    root = doc["metadata"]["component"]
    assert (root["name"], root["version"]) == ("legacy-app", "0.5")
    assert root["licenses"] == [{"license": {"id": "BSD-2-Clause", "acknowledgement": "declared"}}]
    assert [c["name"] for c in doc["components"]] == ["dep-lib"]
    assert doc["components"][0]["version"] == "2.1"
    assert "nix-attest:metadata" in props(doc["components"][0])  # no meta: said so


def test_store_path_and_drv_installables(legacy_file: Path, tmp_path: Path) -> None:
    drv = subprocess.run(
        ["nix-instantiate", str(legacy_file), "-A", "app"], check=True, capture_output=True, text=True
    ).stdout.strip()
    by_drv = sbom(tmp_path, drv, name="drv.json")
    assert props(by_drv["metadata"])["nix-attest:closure"] == ["runtime"]
    out_path = by_drv["metadata"]["component"]["bom-ref"]
    by_path = sbom(tmp_path, out_path, name="path.json")
    assert by_path["metadata"]["component"]["bom-ref"] == out_path
    assert {c["bom-ref"] for c in by_path["components"]} == {c["bom-ref"] for c in by_drv["components"]}
    bt = sbom(tmp_path, drv, "--no-build", name="bt.json")
    assert props(bt["metadata"])["nix-attest:closure"] == ["buildtime"]


def test_build_command_prints_outputs(demo_flake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", f"path:{demo_flake}#libgreet", "--json", "--quiet"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["outputs"]["out"].endswith("-libgreet-1.2.0")
    assert Path(doc["outputs"]["out"]).exists()


def test_check_reproducible(legacy_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "-f", str(legacy_file), "-A", "pure", "--check-reproducible", "--json"]) == 0
    assert list(json.loads(capsys.readouterr().out)["reproducible"].values()) == [True]
    out = tmp_path / "impure.json"
    code = main(["sbom", "-f", str(legacy_file), "-A", "impure", "--check-reproducible", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "not reproducible" in err and "impure-1.0" in err
    doc = json.loads(out.read_text())  # the SBOM is still written, and records the result
    assert props(doc["metadata"])["nix-attest:reproducible"] == ["false"]
    assert props(doc["metadata"]["component"])["nix-attest:reproducible"] == ["false"]


# --- errors: one line, a defined exit code, nothing written -------------------------------------


def run_err(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return code, err


def test_error_unknown_attribute(
    demo_flake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.json"
    code, err = run_err(capsys, "sbom", f"path:{demo_flake}#nope", "-o", str(out), "--quiet")
    assert code == 2 and "unknown installable" in err and "nope" in err
    assert not out.exists()


def test_error_evaluation(legacy_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_err(capsys, "sbom", "-f", str(legacy_file), "-A", "evalError", "-o", str(tmp_path / "x"))
    assert code == 3 and "deliberate evaluation failure" in err


def test_error_not_a_derivation(
    legacy_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_err(capsys, "sbom", "-f", str(legacy_file), "-A", "notADrv", "-o", str(tmp_path / "x"))
    assert code == 2 and "does not evaluate to a derivation" in err


def test_error_build_failure(legacy_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.json"
    code, err = run_err(capsys, "sbom", "-f", str(legacy_file), "-A", "broken", "-o", str(out), "--quiet")
    assert code == 3 and "build of" in err and "failed" in err
    assert not out.exists()


def test_error_invalid_store_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_err(
        capsys, "sbom", "/nix/store/00000000000000000000000000000000-missing-1.0", "-o", str(tmp_path / "x")
    )
    assert code == 2 and "not valid" in err


def test_error_unwritable_output(
    demo_flake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, err = run_err(
        capsys, "sbom", f"path:{demo_flake}#default", "-o", str(blocker / "sub" / "x.json"), "--quiet"
    )
    assert code == 2 and "cannot write" in err


def test_error_nix_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    code, err = run_err(capsys, "sbom", ".#x", "-o", str(tmp_path / "x"))
    assert code == 3 and "nix is not installed" in err and "nix-installer-action" in err


def test_error_runtime_needs_build(
    demo_flake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_err(
        capsys,
        "sbom",
        f"path:{demo_flake}#default",
        "--no-build",
        "--closure",
        "runtime",
        "-o",
        str(tmp_path / "x"),
    )
    assert code == 2 and "needs a build" in err


def test_nix_is_real() -> None:
    """Guard: these tests ran against a real Nix that nix-attest supports (2.8 or newer)."""
    from nix_attest.nix.runner import parse_version

    out = subprocess.run([*NIX, "--version"], check=True, capture_output=True, text=True).stdout
    assert "(Nix)" in out or "Determinate Nix" in out, out
    assert parse_version(out).at_least(2, 8)


def _fresh(tmp_path: Path) -> Path:
    """A derivation no earlier run has built."""

    f = tmp_path / "fresh.nix"
    f.write_text(
        'derivation { name = "fresh-1.0"; system = builtins.currentSystem; builder = "/bin/sh"; '
        f'args = [ "-c" "echo building; echo {uuid.uuid4()} > $out" ]; }}'
    )
    return f


def test_progress_is_plain_log_lines_off_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "-f", str(_fresh(tmp_path))]) == 0
    err = capsys.readouterr().err
    assert any(line.startswith("nix: ") and "fresh-1.0.drv" in line for line in err.splitlines()), err
    assert "\x1b[" not in err  # no progress bar escape codes when not a terminal


def test_quiet_silences_progress(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "-f", str(_fresh(tmp_path)), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.strip().endswith("-fresh-1.0")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_non_reproducible_output_is_named_on_a_terminal_too(legacy_file: Path) -> None:
    """On a terminal Nix draws its progress bar; the rebuild verdict must not depend on that."""
    from nix_attest.nix import build as nixbuild
    from nix_attest.nix.runner import Nix

    term = _Terminal()
    nix = Nix(progress_stream=term)
    drv = subprocess.run(
        ["nix-instantiate", str(legacy_file), "-A", "impure"], check=True, capture_output=True, text=True
    ).stdout.strip()
    (out,) = nixbuild.build(nix, parse_installable(drv), drv_path=drv)
    (result,) = nixbuild.rebuild(nix, drv, list(out.outputs.values()))
    assert not result.reproducible and result.path == out.outputs["out"]
    assert "may not be deterministic" in term.getvalue()  # Nix's own output reached the terminal


def test_unknown_legacy_attribute_is_a_usage_error(
    legacy_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_err(capsys, "sbom", "-f", str(legacy_file), "-A", "nope", "-o", str(tmp_path / "x"))
    assert code == 2 and "unknown installable" in err and "nope" in err


@pytest.mark.parametrize("value", ["99999999999999", "yesterday", "-"])
def test_bad_source_date_epoch_is_refused_before_nix_runs(
    value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    monkeypatch.setenv("PATH", str(tmp_path))  # no nix: the value must be checked first
    code, err = run_err(capsys, "sbom", ".#x", "-o", str(tmp_path / "x"))
    assert code == 2 and "SOURCE_DATE_EPOCH" in err


def test_rebuild_of_a_path_without_deriver_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "plain.txt"
    src.write_text(str(uuid.uuid4()))
    path = subprocess.run(
        ["nix-store", "--add", str(src)], check=True, capture_output=True, text=True
    ).stdout.strip()
    code, err = run_err(capsys, "sbom", path, "--check-reproducible", "-o", str(tmp_path / "x"))
    assert code == 2 and "deriver is unknown" in err
