"""The pull request and job a run belongs to, read from the GitHub Actions environment (no network)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..untrusted import TooDeep, loads_json


@dataclass(frozen=True, slots=True)
class PullRequestContext:
    repository: str | None = None  # OWNER/REPO
    number: int | None = None  # the PR (or issue) number, when the event has one
    base_ref: str | None = None  # branch name of the PR base
    base_sha: str | None = None  # commit of the PR base
    job: str = "local"  # workflow file + job: one sticky comment per installable and job
    legacy_job: str = "local"  # workflow name + job: the key before 0.x (comments adopted on upgrade)
    server_url: str = "https://github.com"
    run_url: str | None = None
    event_name: str | None = None


def pull_request_context(env: Mapping[str, str] | None = None) -> PullRequestContext:
    env = env if env is not None else os.environ
    event = _event(env.get("GITHUB_EVENT_PATH"))
    pr = event.get("pull_request") if isinstance(event.get("pull_request"), dict) else None
    issue = event.get("issue") if isinstance(event.get("issue"), dict) else None
    number: int | None = None
    base_ref = base_sha = None
    if pr is not None:
        number = pr.get("number") if isinstance(pr.get("number"), int) else None
        base = pr.get("base") if isinstance(pr.get("base"), dict) else {}
        base_ref = _s(base.get("ref"))
        base_sha = _s(base.get("sha"))
    elif issue is not None and isinstance(issue.get("number"), int):
        number = issue["number"]
    base_ref = base_ref or (env.get("GITHUB_BASE_REF") or None)
    server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    repository = env.get("GITHUB_REPOSITORY") or None
    run_id = env.get("GITHUB_RUN_ID")
    run_url = f"{server}/{repository}/actions/runs/{run_id}" if repository and run_id else None
    name = env.get("GITHUB_WORKFLOW") or ""
    workflow = workflow_path(env.get("GITHUB_WORKFLOW_REF")) or name
    job_id = env.get("GITHUB_JOB") or ""
    job = f"{workflow}/{job_id}" if workflow or job_id else "local"
    legacy_job = f"{name}/{job_id}" if name or job_id else "local"
    return PullRequestContext(
        repository=repository,
        number=number,
        base_ref=base_ref,
        base_sha=base_sha,
        job=job,
        legacy_job=legacy_job,
        server_url=server,
        run_url=run_url,
        event_name=env.get("GITHUB_EVENT_NAME") or None,
    )


def workflow_path(workflow_ref: str | None) -> str | None:
    """The workflow file's path in its repository from ``GITHUB_WORKFLOW_REF``
    (``owner/repo/.github/workflows/ci.yml@refs/pull/5/merge`` -> ``.github/workflows/ci.yml``): unlike
    the workflow's ``name:``, two workflows cannot share it, and without the ref it is the same on every
    branch and pull request."""
    if not workflow_ref:
        return None
    path = workflow_ref.rpartition("@")[0] if "@" in workflow_ref else workflow_ref
    parts = path.split("/", 2)
    return parts[2] if len(parts) == 3 and parts[2] else None


def _event(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            data = loads_json(fh.read())
    except TooDeep as exc:
        raise InputError(f"GitHub event file {path} is {exc}") from exc
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _s(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
