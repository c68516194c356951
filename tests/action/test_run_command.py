"""`nix-attest run`, `diff` and `comment` without Nix: options and their action-input fallbacks, error
lines, the outputs, the diff stage and the GitHub token."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.github_server import Server
from helpers.report_fixtures import comp, sbom

from nix_attest.cli import build_parser, main
from nix_attest.commands import run as run_cmd
from nix_attest.errors import InputError
from nix_attest.github.auth import resolve_token
from nix_attest.github.context import PullRequestContext
from nix_attest.sbom.cyclonedx import write_sbom
from nix_attest.sbom.model import Component

TOKEN = "ghs_" + "r" * 36


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith(("INPUT_", "GITHUB_")) or key == "GH_TOKEN":
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def options(*argv: str, ctx: PullRequestContext | None = None) -> run_cmd.RunOptions:
    args = build_parser(("run",)).parse_args(["run", *argv])
    return run_cmd.options(args, ctx or PullRequestContext())


def one_error_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nix-attest: error: "), err
    return lines[0]


# -- 1: the output directory ---------------------------------------------------------------------------


def test_run_output_dir_that_cannot_be_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code = main(["run", ".#default", "--comment", "never", "-o", str(blocker / "out")])
    assert code == 2
    line = one_error_line(capsys.readouterr().err)
    assert f"cannot create the output directory {blocker / 'out'}" in line


# -- 2: store-paths: every built output comes from the generator (tests/core/test_generate.py); the
# real-Nix run in test_action_commands.py checks the output itself.


def test_diff_uses_the_buildtime_sbom_from_the_same_evaluation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = sbom(comp("app", "1.0"))
    known = sbom(
        comp("app", "1.0", closure="buildtime"), comp("lib", "2", closure="buildtime"), closure="buildtime"
    )
    base = sbom(comp("app", "1.0", closure="buildtime"), closure="buildtime")
    monkeypatch.setattr("nix_attest.sbom.base.base_sbom_from_git", lambda ref, installable: base)

    def no_second_evaluation(*args: object, **kwargs: object) -> object:
        raise AssertionError("the installable was evaluated a second time")

    monkeypatch.setattr("nix_attest.sbom.generate.generate_sbom", no_second_evaluation)
    diff = run_cmd.stage_diff(options("--diff-base", "main"), head, known)
    assert diff.head is known and [c.name for c in diff.diff.added] == ["lib"]


# -- 3: diff -o - ------------------------------------------------------------------------------------------


def two_sboms(tmp_path: Path) -> tuple[Path, Path]:
    base, head = tmp_path / "base.cdx.json", tmp_path / "head.cdx.json"
    write_sbom(sbom(comp("app", "1"), comp("lib", "1", lic=("MIT",))), str(base))
    write_sbom(sbom(comp("app", "1"), comp("lib", "2", lic=("MIT",))), str(head))
    return base, head


def test_diff_output_dash_is_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base, head = two_sboms(tmp_path)
    assert main(["diff", str(base), str(head), "--format", "json", "-o", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["changed"] == [{"name": "lib", "old": ["1"], "new": ["2"]}]
    assert not (tmp_path / "-").exists()


# -- 4: the token ------------------------------------------------------------------------------------------


def test_resolve_token_order_and_masking(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"INPUT_GITHUB_TOKEN": "input", "GITHUB_TOKEN": "env", "GH_TOKEN": "gh"}
    assert resolve_token(env) == "input"
    assert resolve_token({**env, "INPUT_GITHUB_TOKEN": " "}) == "env"
    assert resolve_token({"GH_TOKEN": "gh"}) == "gh"
    assert resolve_token({}) is None
    assert capsys.readouterr().out == ""  # masking is a workflow command: only in Actions
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert resolve_token({"GITHUB_TOKEN": "secret-value"}) == "secret-value"
    assert capsys.readouterr().out == "::add-mask::secret-value\n"


def test_comment_prefers_the_action_input_token(
    github: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "report.md"
    body.write_text("hello\n")
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("INPUT_GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "w" * 36)  # unknown to the server: 401 if used
    args = ["comment", "--body-file", str(body), "--repository", "o/r", "--pr", "5", "--no-summary"]
    assert main(args) == 0
    assert "comment created" in capsys.readouterr().out
    assert github.state.requests[-1].headers["Authorization"] == f"Bearer {TOKEN}"


# -- 6 and 7: the diff stage -------------------------------------------------------------------------------

POLICY = "version: 1\nfail-on: error\nlicenses:\n  deny: [GPL-3.0-only]\n"


def test_diff_stage_reuses_the_loaded_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    base = tmp_path / "base.cdx.json"
    write_sbom(sbom(comp("app", "1"), comp("lib", "1", lic=("GPL-3.0-only",))), str(base))
    head = sbom(comp("app", "1"), comp("lib", "2", lic=("GPL-3.0-only",)))
    opts = options("--policy", str(policy), "--fail-on", "never", "--diff-base", str(base), "-o", "out")
    Path("out").mkdir()
    policy = run_cmd.stage_policy(opts, head, run_cmd.load_run_policy(opts))
    assert policy is not None and policy.report.fail_on == "never"

    def no_reload(*_: object, **__: object) -> None:
        raise AssertionError("the policy was loaded a second time")

    monkeypatch.setattr("nix_attest.policy.load_policy", no_reload)
    monkeypatch.setattr("nix_attest.policy.load.load_policy", no_reload)
    built = run_cmd.SbomStage(sbom=head, path=Path("out/sbom.cdx.json"))
    earlier = run_cmd.Produced(sbom=built, policy=policy)
    state = run_cmd.diff_with_base(opts, earlier)
    assert state.warnings == () and state.diff is not None
    assert state.base_policy is not None
    assert state.base_policy.fail_on == "never"  # the --fail-on override holds for the base too
    assert "licenses.deny" in [v.rule for v in state.base_policy.active]
    err = capsys.readouterr().err
    assert f"nix-attest: diff against {base}\n" in err and "nix-attest: nix-attest:" not in err


def test_diff_base_json_that_is_missing(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", ".#default", "--comment", "never", "--diff-base", "nosuch.json"])
    assert code == 2
    assert (
        one_error_line(capsys.readouterr().err) == "nix-attest: error: base SBOM file not found: nosuch.json"
    )
    assert not Path("nix-attest-out").exists()  # refused before anything ran


# -- 8 and 10: flags fall back to the action inputs --------------------------------------------------------


def test_every_flag_falls_back_to_its_input(monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = PullRequestContext(repository="ctx/repo", number=9, base_sha="b" * 40)
    opts = options(ctx=ctx)
    assert (opts.repository, opts.pr, opts.diff_base, opts.comment) == ("ctx/repo", 9, "b" * 40, "always")
    inputs = {
        "INSTALLABLE": ".#app",
        "CLOSURE": "buildtime",
        "FAIL_ON": "warning",
        "COMMENT": "on-failure",
        "REPOSITORY": "in/put",
        "PR": "12",
        "DIFF_BASE": "main",
        "OUTPUT_DIR": "o",
        "ARTIFACT_NAME": "a",
        "SIGN": "true",
    }
    for key, value in inputs.items():
        monkeypatch.setenv(f"INPUT_{key}", value)
    opts = options(ctx=ctx)
    assert (opts.installable, opts.closure, opts.fail_on, opts.comment) == (
        ".#app",
        "buildtime",
        "warning",
        "on-failure",
    )
    assert (opts.repository, opts.pr, opts.diff_base, opts.sign) == ("in/put", 12, "main", True)
    assert (opts.output_dir, opts.artifact_name) == (Path("o"), "a")
    # a flag wins over the input
    opts = options("--repository", "fl/ag", "--pr", "3", "--comment", "never", ctx=ctx)
    assert (opts.repository, opts.pr, opts.comment) == ("fl/ag", 3, "never")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("COMMENT", "sometimes", "input comment must be one of always, on-failure, never"),
        ("FAIL_ON", "note", "input fail-on must be one of error, warning, never"),
        ("CLOSURE", "both", "input closure must be one of runtime, buildtime"),
        ("PR", "abc", "input pr must be a pull request number"),
    ],
)
def test_bad_inputs_are_usage_errors(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(f"INPUT_{name}", value)
    with pytest.raises(InputError, match=message) as err:
        options()
    assert err.value.exit_code == 2


# -- the dependency graph --------------------------------------------------------------------------------


def test_author_and_dependency_graph_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (options().author, options().dependency_graph) == (None, False)
    monkeypatch.setenv("INPUT_SBOM_AUTHOR", "ACME <sbom@acme.example>")
    monkeypatch.setenv("INPUT_DEPENDENCY_GRAPH", "true")
    opts = options()
    assert (opts.author, opts.dependency_graph) == ("ACME <sbom@acme.example>", True)


def _submit_env(monkeypatch: pytest.MonkeyPatch, github: Server) -> None:
    for key, value in {
        "GITHUB_API_URL": github.url,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": "octo/widgets",
        "GITHUB_SHA": "c" * 40,
        "GITHUB_REF": "refs/heads/main",
    }.items():
        monkeypatch.setenv(key, value)


def _pc(name: str, version: str, closure: str = "runtime") -> Component:
    return replace(comp(name, version, closure=closure), purl=f"pkg:nix/{name}@{version}")  # type: ignore[arg-type]


def test_run_submits_the_buildtime_closure_with_runtime_marks(
    monkeypatch: pytest.MonkeyPatch, github: Server, tmp_path: Path
) -> None:
    _submit_env(monkeypatch, github)
    runtime = sbom(_pc("app", "1.0"), _pc("lib", "2"))
    buildtime = sbom(
        _pc("app", "1.0", "buildtime"),
        _pc("lib", "2", "buildtime"),
        _pc("cc", "13", "buildtime"),
        closure="buildtime",
    )
    stage = run_cmd.SbomStage(sbom=runtime, path=tmp_path / "s.json", buildtime=buildtime)
    opts = options("--dependency-graph", "-o", str(tmp_path))
    done = run_cmd.submitted(opts, stage, run_cmd.Produced())
    assert done.warnings == ()
    ((repository, body),) = github.state.snapshots
    resolved = body["manifests"][".#default"]["resolved"]
    assert repository == "octo/widgets"
    assert {p: e["scope"] for p, e in resolved.items()} == {
        "pkg:nix/lib@2": "runtime",
        "pkg:nix/cc@13": "development",
    }
    assert json.loads((tmp_path / "dependency-snapshot.json").read_text()) == body
    # a read-only token: a warning, the run goes on
    github.state.read_only.add(TOKEN)
    done = run_cmd.submitted(opts, stage, run_cmd.Produced())
    assert len(done.warnings) == 1 and "contents: write" in done.warnings[0]
    # outside Actions without a commit: a warning too
    monkeypatch.delenv("GITHUB_SHA")
    done = run_cmd.submitted(opts, stage, run_cmd.Produced())
    assert done.warnings[0].startswith("dependency graph submission failed: no --sha")
