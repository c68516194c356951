"""The NVD database's actions/cache restore follows the `cache` input's rule: `auto` keeps it out of
jobs that can sign or publish (a default-branch entry can be written by any default-branch workflow,
and the index's checks find damage, not a forged whole: one that leaves records out hides findings
from a VDR the job would sign). The root action and actions/comment, run like the runner."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from action_runner import prepare_action, run_action

TOKEN = "ghs_" + "n" * 36
SIGNS = {"ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example/x", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"}
RELEASE = {"GITHUB_EVENT_NAME": "release", "GITHUB_REF": "refs/tags/v1.0"}
TAG = {"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/tags/v1.0"}
CASES = [
    pytest.param({}, {}, True, id="a pull request job"),
    pytest.param(SIGNS, {}, False, id="a job that can sign"),
    pytest.param(RELEASE, {}, False, id="a release job"),
    pytest.param(TAG, {}, False, id="a tag push"),
    pytest.param(SIGNS, {"cache": "true"}, True, id="cache true in a signing job"),
    pytest.param({}, {"cache": "false"}, False, id="cache false"),
]


def _env(tmp_path: Path, extra: dict[str, str]) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "base": {"ref": "main", "sha": "0" * 40}}}))
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "GITHUB_API_URL": "http://127.0.0.1:9",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_REF": "refs/pull/7/merge",
        **extra,
    }


def _check(
    tmp_path: Path, action: str, given: dict[str, str], env: dict[str, str], stops: str, restored: bool
) -> None:
    """Runs `action` (a folder of the repository, "" for the root action) like the runner, its `stops`
    step exiting 2 at once (the cache steps are before it and the save after it runs always()); the
    NVD database is restored (and saved) exactly when `restored`, and said to be left out otherwise."""
    root, job = prepare_action(tmp_path)
    ws = tmp_path / "ws"
    ws.mkdir()
    temp = tmp_path / "rt"
    temp.mkdir()
    result = run_action(root / action, given, env=env, workspace=ws, runner_temp=temp, token=TOKEN, job=job)
    assert result.step(stops).returncode == 2
    assert result.step("nvd-restore").ran is restored
    assert result.step("nvd-built").ran is restored  # nothing saved where nothing is restored
    said = "not using the NVD database cache" in result.step("nvd").stderr
    assert said is not restored


@pytest.mark.parametrize(("env", "inputs", "restored"), CASES)
def test_the_root_action_restores_the_nvd_database_only_where_the_cache_rule_allows(
    tmp_path: Path, env: dict[str, str], inputs: dict[str, str], restored: bool
) -> None:
    # a closure that is not one: the run step stops at once (exit 2)
    given = {"installable": ".#default", "closure": "bogus", "comment": "never", **inputs}
    _check(tmp_path, "", given, _env(tmp_path, env), "run", restored)


@pytest.mark.parametrize(("env", "inputs", "restored"), CASES[:3] + CASES[4:])
def test_the_comment_action_follows_the_same_rule(
    tmp_path: Path, env: dict[str, str], inputs: dict[str, str], restored: bool
) -> None:
    event = tmp_path / "wr.json"
    event.write_text("{}")  # not a workflow_run event: the comment step stops at once (exit 2)
    run_env = {**_env(tmp_path, env), "GITHUB_EVENT_NAME": "workflow_run", "GITHUB_EVENT_PATH": str(event)}
    _check(tmp_path, "actions/comment", {"workflow-run": "true", **inputs}, run_env, "comment", restored)
