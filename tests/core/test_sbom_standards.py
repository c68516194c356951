"""The SBOM's minimum elements with real Nix: author, timestamp, suppliers, licences, checkable hashes,
compositions, CycloneDX 1.5/1.6/1.7, and the independent NTIA checker (sbomaudit) agreeing."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from nix_attest.cli import main
from nix_attest.sbom.read import load_sbom
from nix_attest.sbom.validate import schema_errors

from .conftest import COMMIT_DATE
from .test_sbom_nix import by_name, props, store_query

pytestmark = pytest.mark.nix

AUTHOR = "ACME Corp <sbom@acme.example>"


@pytest.fixture(autouse=True)
def _no_github(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_REPOSITORY", "GITHUB_SERVER_URL", "SOURCE_DATE_EPOCH"):
        monkeypatch.delenv(name, raising=False)


def sbom(tmp_path: Path, *args: str, name: str = "sbom.json") -> dict[str, Any]:
    out = tmp_path / name
    assert main(["sbom", *args, "-o", str(out), "--quiet"]) == 0
    doc: dict[str, Any] = json.loads(out.read_text())
    return doc


def git_flake(supplied_flake: Path) -> str:
    return f"git+file://{supplied_flake}#default"


def test_author_and_suppliers_on_github(
    supplied_flake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/widgets")
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.example.com")
    doc = sbom(tmp_path, git_flake(supplied_flake))
    meta = doc["metadata"]
    # the SBOM's author: the repository owner and its URL
    assert meta["authors"] == [{"name": "acme"}]
    assert meta["manufacturer"] == {"name": "acme", "url": ["https://github.example.com/acme"]}
    # the timestamp is the flake's lastModified (the commit's time), so the SBOM stays deterministic
    assert meta["timestamp"] == COMMIT_DATE
    assert props(meta)["nix-attest:timestamp:source"] == ["flake"]
    own = {"name": "acme", "url": ["https://github.example.com/acme/widgets"]}
    assert meta["component"]["supplier"] == own
    comps = by_name(doc)
    # defined in the repository's flake (meta.position points into its source): the repository owner
    assert comps["widget-helper"]["supplier"] == own
    # defined in a local input: who supplies it is unknown, its maintainers are the contacts
    assert comps["zlib"]["supplier"] == {"contact": [{"name": "Jane Packager", "email": "jane@example.org"}]}


def test_author_flag_and_no_invented_supplier(supplied_flake: Path, tmp_path: Path) -> None:
    doc = sbom(tmp_path, git_flake(supplied_flake), "--author", AUTHOR)
    assert doc["metadata"]["authors"] == [{"name": "ACME Corp", "email": "sbom@acme.example"}]
    assert doc["metadata"]["manufacturer"] == {
        "name": "ACME Corp",
        "contact": [{"email": "sbom@acme.example"}],
    }
    sb = load_sbom(tmp_path / "sbom.json")
    assert sb.meta.authors[0].email == "sbom@acme.example"
    assert sb.root.supplier is not None and sb.root.supplier.name == "ACME Corp"


def test_nothing_known_means_no_supplier_and_no_author(demo_flake: Path, tmp_path: Path) -> None:
    doc = sbom(tmp_path, f"path:{demo_flake}#default")
    assert "authors" not in doc["metadata"] and "manufacturer" not in doc["metadata"]
    assert all("supplier" not in c for c in [doc["metadata"]["component"], *doc["components"]])
    # a path: flake outside any git repository: no deterministic time is known, so none is written
    assert "timestamp" not in doc["metadata"]


@pytest.mark.parametrize(
    "bad", ["<>", "a <b>", "a <ftp://x>", "x\ny", "a <b@c.d> <e@f.g>", "a\x1b[2J <b@c.d>", "a <b@c.d)>"]
)
def test_bad_author_is_a_usage_error(
    bad: str, demo_flake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s.json"
    assert main(["sbom", f"path:{demo_flake}#default", "--author", bad, "-o", str(out), "--quiet"]) == 2
    assert "--author" in capsys.readouterr().err and not out.exists()


def test_timestamp_precedence(
    demo_flake: Path, supplied_flake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a path: flake inside a git repository: the commit's time
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    shutil.copy(demo_flake / "flake.nix", repo / "sub" / "flake.nix")
    env = {"GIT_COMMITTER_DATE": "2023-05-06T07:08:09Z", "GIT_AUTHOR_DATE": "2023-05-06T07:08:09Z"}
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "x"]):
        subprocess.run(
            ["git", "-c", "user.email=t@e.org", "-c", "user.name=t", *args],
            cwd=repo,
            env={**env, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
            check=True,
            capture_output=True,
        )
    doc = sbom(tmp_path, f"path:{repo / 'sub'}#default", name="a.json")
    assert doc["metadata"]["timestamp"] == "2023-05-06T07:08:09Z"
    assert props(doc["metadata"])["nix-attest:timestamp:source"] == ["commit"]
    # SOURCE_DATE_EPOCH wins over the flake's lastModified
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    doc = sbom(tmp_path, git_flake(supplied_flake), name="b.json")
    assert doc["metadata"]["timestamp"] == "2023-11-14T22:13:20Z"
    assert props(doc["metadata"])["nix-attest:timestamp:source"] == ["SOURCE_DATE_EPOCH"]


def test_licences_one_expression_and_concluded_for_sources(
    demo_flake: Path, legacy_file: Path, tmp_path: Path
) -> None:
    doc = sbom(tmp_path, f"path:{demo_flake}#default", "--no-build")
    comps = by_name(doc)
    assert comps["greet-cli"]["licenses"] == [
        {"expression": "Apache-2.0 AND MIT", "acknowledgement": "declared"}
    ]
    # the source tarball carries the licence of the one package built from it, as a conclusion
    src = comps["greeting"]
    assert src["licenses"] == [{"license": {"id": "MIT", "acknowledgement": "concluded"}}]
    assert props(src)["nix-attest:license:concluded_from"] == [comps["libgreet"]["bom-ref"]]
    # a component nothing declares a licence for stays without one
    legacy = sbom(tmp_path, "-f", str(legacy_file), "-A", "app", name="legacy.json")
    assert "licenses" not in by_name(legacy)["dep-lib"]


def test_hashes_can_be_checked(demo_flake: Path, tmp_path: Path) -> None:
    doc = sbom(tmp_path, f"path:{demo_flake}#default", "--closure", "buildtime")
    comps = by_name(doc)
    # a build-time-only output that was built has the hashes of its file, as sha256sum/sha512sum print
    tool = comps["build-tool"]
    data = Path(tool["bom-ref"]).read_bytes()
    assert tool["hashes"] == [
        {"alg": "SHA-256", "content": hashlib.sha256(data).hexdigest()},
        {"alg": "SHA-512", "content": hashlib.sha512(data).hexdigest()},
    ]
    assert props(tool)["nix:narinfo:nar_hash"][0].startswith("sha256")
    # the flat fixed-output source: its declared SHA-256 equals the file's, and SHA-512 is added
    src = comps["greeting"]
    body = Path(src["bom-ref"]).read_bytes()
    assert [h["content"] for h in src["hashes"]] == [
        hashlib.sha256(body).hexdigest(),
        hashlib.sha512(body).hexdigest(),
    ]
    # the builder script (a source added to the store) is a file too
    assert all(h["alg"] in ("SHA-256", "SHA-512") for c in doc["components"] for h in c.get("hashes", []))


def test_directory_outputs_have_only_their_nar_hash(tmp_path: Path) -> None:
    tree = tmp_path / "tree-1.0"
    tree.mkdir()
    (tree / "f").write_text("x\n")
    path = subprocess.run(["nix-store", "--add", str(tree)], check=True, capture_output=True, text=True)
    doc = sbom(tmp_path, path.stdout.strip())
    root = doc["metadata"]["component"]
    assert "hashes" not in root  # a NAR hash is not the hash of any file anyone downloads
    assert props(root)["nix:narinfo:nar_hash"]


def test_compositions_say_the_closure_is_complete(demo_flake: Path, tmp_path: Path) -> None:
    doc = sbom(tmp_path, f"path:{demo_flake}#default")
    (composition,) = doc["compositions"]
    assert composition["aggregate"] == "complete"
    assert composition["assemblies"] == [doc["metadata"]["component"]["bom-ref"]]
    assert composition["dependencies"] == sorted(d["ref"] for d in doc["dependencies"])
    assert load_sbom(tmp_path / "sbom.json").meta.complete


SOURCE_REFERENCES = """
let
  inner = builtins.toFile "inner-b" "inner content";
  outer = builtins.toFile "outer-a" "see ${inner}";
in derivation {
  name = "uses-sources-1.0";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "cat ${outer} > $out" ];
}
"""


def test_sources_referenced_by_sources_are_in_the_buildtime_closure(tmp_path: Path) -> None:
    """A derivation lists only the sources it names (inputSrcs); Nix puts their references in the
    build too. A closure that leaves those out is not complete, whatever `compositions` says."""
    nix_file = tmp_path / "srcs.nix"
    nix_file.write_text(SOURCE_REFERENCES)
    doc = sbom(tmp_path, "-f", str(nix_file), "--no-build")
    comps = by_name(doc)
    assert set(comps) == {"outer-a", "inner-b"}
    deps = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    assert deps[comps["outer-a"]["bom-ref"]] == [comps["inner-b"]["bom-ref"]]
    assert deps[comps["inner-b"]["bom-ref"]] == []
    assert comps["inner-b"]["hashes"][0]["content"] == hashlib.sha256(b"inner content").hexdigest()


@pytest.mark.parametrize("version", ["1.5", "1.6", "1.7"])
def test_spec_versions_are_schema_valid(version: str, supplied_flake: Path, tmp_path: Path) -> None:
    doc = sbom(tmp_path, git_flake(supplied_flake), "--spec-version", version, "--author", AUTHOR)
    assert doc["specVersion"] == version and schema_errors(doc, version) == []
    text = json.dumps(doc)
    if version == "1.5":  # no licence acknowledgement, and the BOM's maker is `manufacture`
        assert "acknowledgement" not in text and "manufacture" in doc["metadata"]
    else:
        assert '"acknowledgement": "declared"' in text and "manufacturer" in doc["metadata"]


@pytest.mark.parametrize("version", ["1.5", "1.6", "1.7"])
def test_buildtime_sources_in_every_spec_version(version: str, demo_flake: Path, tmp_path: Path) -> None:
    """A buildtime SBOM has fixed-output sources with download URLs: CycloneDX 1.5 has no
    `source-distribution` reference (1.6 added it), so there the URL is a `distribution`."""
    doc = sbom(tmp_path, f"path:{demo_flake}#default", "--no-build", "--spec-version", version)
    assert schema_errors(doc, version) == []
    refs = by_name(doc)["greeting"]["externalReferences"]
    kind = "distribution" if version == "1.5" else "source-distribution"
    assert refs == [{"type": kind, "url": "https://example.org/releases/greeting-1.0.tar"}]
    src = next(c for c in load_sbom(tmp_path / "sbom.json").components if c.name == "greeting")
    assert src.fixed_output is not None and src.fixed_output.urls == (refs[0]["url"],)


def _ntia(path: Path) -> str:
    exe = shutil.which("sbomaudit") or str(Path(__file__).resolve().parents[2] / ".venv/bin/sbomaudit")
    out = subprocess.run(
        [exe, "--offline", "--verbose", "-i", str(path)], capture_output=True, text=True, check=False
    )
    lines = [line for line in out.stdout.splitlines() if "NTIA conformant" in line]
    assert lines, out.stdout[-2000:] + out.stderr[-2000:]
    return lines[-1]


def test_sbomaudit_reports_ntia_conformant(
    demo_flake: Path, supplied_flake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The independent checker (sbomaudit, PyPI) on the demo and on the fixture flake: supplier, name,
    version, identifiers, relationships, author and timestamp are all there."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # the demo copy is not in a git repository
    sbom(tmp_path, f"path:{demo_flake}#default", "--author", AUTHOR, name="demo.json")
    assert "[x] NTIA conformant" in _ntia(tmp_path / "demo.json")
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/widgets")
    sbom(tmp_path, git_flake(supplied_flake), name="fixture.json")
    assert "[x] NTIA conformant" in _ntia(tmp_path / "fixture.json")
    # and without an author nothing is invented: the checker says so
    monkeypatch.delenv("GITHUB_REPOSITORY")
    sbom(tmp_path, f"path:{demo_flake}#default", name="anonymous.json")
    assert "[ ] NTIA conformant: FAILED" in _ntia(tmp_path / "anonymous.json")


def test_unknown_input_paths_leave_suppliers_unknown_not_the_sbom_failed(
    supplied_flake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from nix_attest.errors import NixError

    def broken(*args: object) -> object:
        raise NixError("nix flake archive failed: offline")

    monkeypatch.setattr("nix_attest.sbom.generate.flake_source_paths", broken)
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/widgets")
    out = tmp_path / "s.json"
    assert main(["sbom", git_flake(supplied_flake), "-o", str(out)]) == 0
    assert "suppliers of flake inputs unknown: nix flake archive failed" in capsys.readouterr().err
    doc = json.loads(out.read_text())
    assert doc["metadata"]["component"]["supplier"]["name"] == "acme"  # the root is still the owner's
    # the flake's own source path comes from `nix flake metadata`; the input's is unknown now
    assert by_name(doc)["widget-helper"]["supplier"]["name"] == "acme"
    assert "name" not in by_name(doc)["zlib"]["supplier"]


RECURSIVE_SOURCE = """
derivation {
  name = "vendored-1.0";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "echo vendored > $out" ];
  outputHashMode = "recursive";
  outputHashAlgo = "sha256";
  outputHash = "@NAR@";
}
"""


def test_a_recursive_fixed_output_hash_is_never_a_file_hash(tmp_path: Path) -> None:
    """A recursive (NAR) fixed-output hash is not the SHA-256 of any file anyone downloads: it is
    `nix:fod:sha256`, never in `hashes`; once built, `hashes` is the file's own SHA-256."""
    body = tmp_path / "content"
    body.write_text("vendored\n")
    nar = subprocess.run(["nix-store", "--dump", str(body)], check=True, capture_output=True).stdout
    nar_hex = hashlib.sha256(nar).hexdigest()
    nix_file = tmp_path / "rec.nix"
    nix_file.write_text(RECURSIVE_SOURCE.replace("@NAR@", nar_hex))
    evaluated = sbom(tmp_path, "-f", str(nix_file), "--no-build", name="a.json")["metadata"]["component"]
    assert "hashes" not in evaluated and props(evaluated)["nix:fod:sha256"] == [nar_hex]
    built = sbom(tmp_path, "-f", str(nix_file), name="b.json")["metadata"]["component"]
    assert built["hashes"][0] == {"alg": "SHA-256", "content": hashlib.sha256(b"vendored\n").hexdigest()}


SHARED_SOURCE = """
let
  system = builtins.currentSystem;
  src = derivation {
    name = "shared-src-1.0.tar"; inherit system; builder = "/bin/sh"; args = [ "-c" "echo @TAG@ > $out" ];
    outputHashMode = "flat"; outputHashAlgo = "sha256"; outputHash = "@HASH@";
  };
  mk = name: licence:
    (derivation { inherit name system src; builder = "/bin/sh"; args = [ "-c" "echo > $out" ]; })
    // { meta.license = { spdxId = licence; }; };
  a = mk "a-1.0" "MIT";
  b = mk "b-1.0" "GPL-3.0-only";
in derivation { name = "both-1.0"; inherit system a b; builder = "/bin/sh"; args = [ "-c" "echo > $out" ]; }
"""


def test_a_source_two_licences_are_built_from_gets_no_conclusion(tmp_path: Path) -> None:
    """A source packages under different licences are built from: no licence can be concluded for it
    (nix-attest does not pick one)."""
    tag = f"shared-{tmp_path.name}"
    nix_file = tmp_path / "shared.nix"
    digest = hashlib.sha256(f"{tag}\n".encode()).hexdigest()
    nix_file.write_text(SHARED_SOURCE.replace("@TAG@", tag).replace("@HASH@", digest))
    comps = by_name(sbom(tmp_path, "-f", str(nix_file), "--no-build"))
    assert comps["a"]["licenses"][0]["license"]["id"] == "MIT"
    assert "licenses" not in comps["shared-src"]
    assert "nix-attest:license:concluded_from" not in props(comps["shared-src"])


def test_compositions_unknown_for_a_path_no_derivation_is_known_for(tmp_path: Path) -> None:
    """A runtime path whose derivation is gone (garbage-collected .drv): what it is made of is not
    known, and `compositions` says so for it, while the closure itself is still complete."""
    tag = tmp_path.name
    nix_file = tmp_path / "gone.nix"
    nix_file.write_text(
        f"""let system = builtins.currentSystem;
          dep = derivation {{ name = "gone-dep-1.0"; inherit system; builder = "/bin/sh";
                              args = [ "-c" "echo {tag} > $out" ]; }};
        in derivation {{ name = "gone-app-1.0"; inherit system; builder = "/bin/sh";
                         args = [ "-c" "echo ${{dep}} > $out" ]; }}"""
    )
    out = subprocess.run(
        ["nix-build", "--no-out-link", "--option", "substituters", "", str(nix_file)],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    app_drv = store_query("--deriver", out)[0]
    dep_drv = next(d for d in store_query("--requisites", app_drv) if d.endswith("-gone-dep-1.0.drv"))
    # the outputs keep their .drv files alive (keep-derivations); these are this test's own
    subprocess.run(
        ["nix-store", "--delete", "--ignore-liveness", app_drv, dep_drv], check=True, capture_output=True
    )
    doc = sbom(tmp_path, out)
    dep = by_name(doc)["gone-dep"]
    assert "nix-attest:metadata" in props(dep)
    assert doc["compositions"] == [
        {
            "aggregate": "complete",
            "assemblies": [out],
            "dependencies": sorted(d["ref"] for d in doc["dependencies"]),
        },
        {"aggregate": "unknown", "assemblies": [dep["bom-ref"]]},
    ]


def test_a_foreign_sbom_is_not_called_complete(demo_flake: Path, tmp_path: Path) -> None:
    """An SBOM nix-attest did not make (no `complete` composition) is read as incomplete, and
    writing it again does not add one: completeness is only said of a closure Nix enumerated."""
    from nix_attest.sbom import cyclonedx, spdx

    doc = sbom(tmp_path, f"path:{demo_flake}#default")
    doc.pop("compositions")
    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps(doc))
    read = load_sbom(foreign)
    assert not read.meta.complete
    assert "compositions" not in json.loads(cyclonedx.dumps_sbom(read))
    spdx_doc = json.loads(spdx.dumps_sbom(read))
    assert '"complete"' not in spdx_doc["annotations"][0]["comment"]
