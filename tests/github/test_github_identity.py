"""One comment and one artifact per use: installable, job, matrix leg, or a named comment group."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nix_attest.errors import InputError
from nix_attest.github.comment import marker
from nix_attest.github.identity import claim_artifact_name, matrix_leg, use_identity

JOB = "PR/attest"
# what actions/upload-artifact v4 refuses in a name
FORBIDDEN = re.compile(r'["\:<>|*?\r\n\\/]')


def env(matrix: str = "null", index: str = "0") -> dict[str, str]:
    return {"NIX_ATTEST_MATRIX": matrix, "NIX_ATTEST_JOB_INDEX": index, "GITHUB_JOB": "attest"}


def test_outside_a_matrix_the_marker_is_the_one_earlier_versions_wrote() -> None:
    for outside in (env(), env("{}"), {"GITHUB_JOB": "attest"}, {}):
        use = use_identity(".#default", JOB, env=outside)
        assert use.marker == marker(".#default", JOB) and use.label is None


def test_each_matrix_leg_has_its_own_marker_and_artifact() -> None:
    a = use_identity(".#default", JOB, env=env('{"python": "3.11", "os": "ubuntu"}', "0"))
    b = use_identity(".#default", JOB, env=env('{"python": "3.12", "os": "ubuntu"}', "1"))
    assert a.marker != b.marker and a.artifact_name != b.artifact_name
    assert a.marker != marker(".#default", JOB)
    assert a.label == "os=ubuntu, python=3.11"
    assert a.artifact_name.startswith("nix-attest-attest-0-default-")
    # toJSON(matrix) is pretty-printed; key order and spacing do not change the leg
    same = use_identity(".#default", JOB, env=env('{\n  "os": "ubuntu",\n  "python": "3.11"\n}', "5"))
    assert same.marker == a.marker


def test_installable_and_job_tell_uses_apart() -> None:
    base = use_identity(".#default", JOB, env=env())
    assert use_identity(".#other", JOB, env=env()).marker != base.marker
    assert use_identity(".#default", "PR/other", env=env()).marker != base.marker
    assert use_identity(".#other", JOB, env=env()).artifact_name != base.artifact_name


def test_a_comment_group_names_the_comment_wherever_it_runs() -> None:
    a = use_identity(".#default", JOB, "linux", env=env('{"python": "3.11"}', "0"))
    b = use_identity(".#other", "PR/other", "linux", env=env('{"python": "3.12"}', "1"))
    assert a.marker == b.marker and a.label == "linux"
    assert use_identity(".#default", JOB, "macos", env=env()).marker != a.marker
    for bad in (" ", "a\nb", "x" * 201):
        with pytest.raises(InputError, match="comment-group"):
            use_identity(".#default", JOB, bad, env=env())


@pytest.mark.parametrize(
    "installable", [".#default", "github:o/r?dir=a/b#pkgs.x86_64-linux.hello", "./sub#a:b", '"*?<>|\\']
)
def test_artifact_names_are_valid_for_upload_artifact(installable: str) -> None:
    name = use_identity(installable, "W/j", env={"GITHUB_JOB": 'j/"x"'}).artifact_name
    assert name.startswith("nix-attest-") and not FORBIDDEN.search(name) and len(name) < 120


def test_a_matrix_that_is_not_json_is_bad_input() -> None:
    with pytest.raises(InputError, match="NIX_ATTEST_MATRIX"):
        matrix_leg(env("{not json"))
    assert matrix_leg(env("[1, 2]")).values == ""  # not a matrix object: no leg


def test_the_same_name_twice_in_a_job_is_made_unique(tmp_path: Path) -> None:
    assert claim_artifact_name("nix-attest-x", str(tmp_path)) == ("nix-attest-x", False)
    assert claim_artifact_name("nix-attest-x", str(tmp_path)) == ("nix-attest-x-2", True)
    assert claim_artifact_name("nix-attest-x", str(tmp_path)) == ("nix-attest-x-3", True)
    assert claim_artifact_name("nix-attest-y", str(tmp_path)) == ("nix-attest-y", False)
    # another job (another RUNNER_TEMP) starts afresh; outside Actions nothing is recorded
    other = tmp_path / "other"
    other.mkdir()
    assert claim_artifact_name("nix-attest-x", str(other)) == ("nix-attest-x", False)
    assert claim_artifact_name("nix-attest-x", None) == ("nix-attest-x", False)


@pytest.mark.parametrize(
    "bad", ['sbom"x', "a:b", "a<b", "a>b", "a|b", "a*b", "a?b", "a\rb", "a\nb", "a\\b", "a/b", " "]
)
def test_an_artifact_name_upload_artifact_would_refuse_is_bad_input_at_once(
    tmp_path: Path, bad: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An explicit artifact-name (often built from ${{ matrix.* }}) that upload-artifact refuses failed
    the job at its very end, after the build; now it is one line, exit 2, before anything runs."""
    with pytest.raises(InputError, match="artifact name"):
        claim_artifact_name(bad, str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_EVENT_PATH", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no nix: reaching the build would be exit 3
    from nix_attest.cli import main

    assert main(["run", ".#default", "--artifact-name", bad, "-o", str(tmp_path / "out")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "artifact name" in line and "upload-artifact" in line
