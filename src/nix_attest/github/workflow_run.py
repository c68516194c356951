"""The trusted half of fork pull requests: a ``workflow_run`` workflow reading the PR run's artifacts.

A pull request from a fork runs with a read-only token, so its check cannot comment. The base
repository's ``workflow_run`` workflow runs afterwards with a write token, and must treat everything
the PR run left as hostile data (GitHub Security Lab, "preventing pwn requests"):

- the event: which run, its head commit and head repository (set by GitHub, trusted);
- the run's artifacts: listed and downloaded through the REST API (the archive from storage, without
  the token), unpacked with bounds: only known flat file names, a size cap per file and in total;
- the pull request: ``workflow_run.pull_requests`` is empty for forks (and may list pull requests of
  other repositories), so the numbers it gives, the one the artifact claims and GitHub's open PRs from
  the run's head branch are only candidates: a candidate is believed after fetching the PR and
  finding that its head repository is the run's head repository and its head commit the run's head
  commit. A PR of that fork whose head has moved on is
  a stale run (a newer push's run comments), not an error.
"""

from __future__ import annotations

import io
import lzma
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..untrusted import TooDeep, loads_json
from .http import GitHubClient, GitHubNotFoundError, ResponseTooLarge

MAX_ARCHIVE_BYTES = 64 * 2**20  # one artifact's zip
MAX_ARTIFACTS = 100
# all of one run's artifacts together: each is downloaded, parsed and scanned by the trusted job, and a
# fork's run can upload MAX_ARTIFACTS of them each just under MAX_ARCHIVE_BYTES (hours of the base
# repository's runner for every push); an honest matrix leg's artifact is a few MiB
MAX_TOTAL_BYTES = 512 * 2**20
MAX_ENTRIES = 1000
MAX_CANDIDATES = 5  # pull request numbers looked up per artifact


class PullRequestMismatch(InputError):
    """The pull request named by the event or the artifact is not the one the run built (exit 2)."""


@dataclass(frozen=True, slots=True)
class StaleRun:
    """The run's pull request has moved on to another commit of the same fork: nothing to comment."""

    number: int
    head_sha: str


@dataclass(frozen=True, slots=True)
class WorkflowRun:
    id: int
    repository: str  # OWNER/REPO of the base repository (where this workflow runs)
    head_repository: str  # OWNER/REPO the pull request's head commit lives in
    head_sha: str
    head_branch: str | None  # the branch in head_repository the run built
    event: str  # the event that triggered the run: pull_request, push, ...
    conclusion: str | None  # success, failure, cancelled, ...
    html_url: str | None
    pull_requests: tuple[int, ...]  # from the event: empty for pull requests from forks

    @property
    def from_fork(self) -> bool:
        return self.head_repository.lower() != self.repository.lower()


@dataclass(frozen=True, slots=True)
class RunArtifact:
    id: int
    name: str
    size: int


def read_workflow_run(env: Mapping[str, str]) -> WorkflowRun:
    """The ``workflow_run`` event from ``GITHUB_EVENT_PATH``; exit 2 when this is not one."""
    path = env.get("GITHUB_EVENT_PATH")
    if env.get("GITHUB_EVENT_NAME") not in (None, "", "workflow_run") or not path:
        raise InputError("--workflow-run needs the workflow_run event (run it in a workflow_run workflow)")
    try:
        with open(path, "rb") as fh:
            event: Any = loads_json(fh.read())
    except (OSError, ValueError, TooDeep) as exc:
        raise InputError(f"cannot read the event file {path}: {exc}") from exc
    run = event.get("workflow_run") if isinstance(event, dict) else None
    if not isinstance(run, dict):
        raise InputError(f"{path} is not a workflow_run event")
    base = _full_name(run.get("repository")) or _full_name(event.get("repository"))
    head = _full_name(run.get("head_repository"))
    run_id, sha = run.get("id"), run.get("head_sha")
    if not isinstance(run_id, int) or not isinstance(sha, str) or not base or not head:
        raise InputError(f"{path}: workflow_run lacks id, head_sha, repository or head_repository")
    numbers = tuple(
        pr["number"]
        for pr in run.get("pull_requests") or ()
        if isinstance(pr, dict) and isinstance(pr.get("number"), int)
    )
    return WorkflowRun(
        id=run_id,
        repository=base,
        head_repository=head,
        head_sha=sha,
        head_branch=run.get("head_branch") if isinstance(run.get("head_branch"), str) else None,
        event=str(run.get("event") or ""),
        conclusion=run.get("conclusion") if isinstance(run.get("conclusion"), str) else None,
        html_url=run.get("html_url") if isinstance(run.get("html_url"), str) else None,
        pull_requests=numbers,
    )


def _full_name(repo: object) -> str | None:
    name = repo.get("full_name") if isinstance(repo, dict) else None
    return name if isinstance(name, str) and name.count("/") == 1 else None


def run_artifacts(client: GitHubClient, run: WorkflowRun, prefix: str) -> list[RunArtifact]:
    """The run's unexpired artifacts whose names start with ``prefix`` (oldest first)."""
    found: list[RunArtifact] = []
    path = f"/repos/{run.repository}/actions/runs/{run.id}/artifacts"
    for item in client.paginate(path, {"per_page": 100}, items_key="artifacts", max_pages=10):
        name, ident, size = item.get("name"), item.get("id"), item.get("size_in_bytes")
        if not isinstance(name, str) or not isinstance(ident, int) or item.get("expired") is True:
            continue
        if name.startswith(prefix):
            found.append(RunArtifact(ident, name, size if isinstance(size, int) else 0))
    if len(found) > MAX_ARTIFACTS:
        raise InputError(f"run {run.id} has {len(found)} {prefix}* artifacts, more than {MAX_ARTIFACTS}")
    total = sum(a.size for a in found)
    if total > MAX_TOTAL_BYTES:
        raise InputError(
            f"run {run.id}'s {prefix}* artifacts hold {total} bytes, "
            f"more than {MAX_TOTAL_BYTES} bytes together"
        )
    return sorted(found, key=lambda a: a.id)


def download_artifact(
    client: GitHubClient, run: WorkflowRun, artifact: RunArtifact, *, left: int = MAX_TOTAL_BYTES
) -> bytes:
    """The artifact's zip, at most MAX_ARCHIVE_BYTES and at most ``left`` (what the run's total bound
    leaves after the artifacts already downloaded: the listing's sizes may understate them)."""
    if artifact.size > MAX_ARCHIVE_BYTES:
        raise InputError(f"artifact {artifact.name} is {artifact.size} bytes, more than {MAX_ARCHIVE_BYTES}")
    path = f"/repos/{run.repository}/actions/artifacts/{artifact.id}/zip"
    try:
        return client.download(path, max_bytes=min(MAX_ARCHIVE_BYTES, left))
    except ResponseTooLarge:
        if left < MAX_ARCHIVE_BYTES:
            raise InputError(
                f"artifact {artifact.name}: run {run.id}'s artifacts are more than {MAX_TOTAL_BYTES} "
                "bytes together"
            ) from None
        raise InputError(f"artifact {artifact.name} is larger than {MAX_ARCHIVE_BYTES} bytes") from None


def unpack(archive: bytes, wanted: Mapping[str, int], *, source: str) -> dict[str, bytes]:
    """The members of a zip named exactly like a key of ``wanted`` (flat names: nothing in a directory,
    nothing with ``..``), each at most ``wanted[name]`` bytes however the zip describes it. Other
    members are ignored; a broken, encrypted or oversized archive is exit 2."""
    out: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zf:
            members = zf.infolist()
            if len(members) > MAX_ENTRIES:
                raise InputError(f"{source} has {len(members)} files, more than {MAX_ENTRIES}")
            for info in members:
                limit = wanted.get(info.filename)
                if limit is None or info.is_dir():
                    continue
                if info.filename in out:
                    raise InputError(f"{source} holds {info.filename} twice")
                with zf.open(info) as fh:
                    data = fh.read(limit + 1)
                if len(data) > limit:
                    raise InputError(f"{source}: {info.filename} is larger than {limit} bytes")
                out[info.filename] = data
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,  # an unknown compression method
        RuntimeError,  # encrypted
        EOFError,
        OSError,
        ValueError,  # a corrupt offset (negative seek), a name that is not UTF-8
        zlib.error,
        lzma.LZMAError,
    ) as exc:
        raise InputError(f"{source} is not a readable zip archive: {exc}") from exc
    return out


def pull_request_number(client: GitHubClient, run: WorkflowRun, claimed: int | None) -> int | StaleRun:
    """The pull request the run built. Candidates: the event's numbers, then the artifact's claim, then
    GitHub's open pull requests from the run's head repository and branch; the first whose head
    repository is the run's head repository and whose head commit is the run's head commit is the
    answer. A candidate of that repository at another commit makes a :class:`StaleRun` (when none
    matches); anything else is :class:`PullRequestMismatch`."""
    candidates = list(dict.fromkeys([*run.pull_requests, *([claimed] if claimed is not None else [])]))
    problem: str | None = None
    stale: StaleRun | None = None
    for number in candidates[:MAX_CANDIDATES]:
        try:
            pr = client.get_json(f"/repos/{run.repository}/pulls/{number}")
        except GitHubNotFoundError:
            problem = problem or f"refusing to comment on #{number}: no such pull request in {run.repository}"
            continue
        verdict = _judge(run, number, pr)
        if isinstance(verdict, int):
            return verdict
        if isinstance(verdict, StaleRun):
            stale = stale or verdict
        else:
            problem = problem or verdict
    if stale is None and run.head_branch:
        owner = run.head_repository.split("/")[0]
        listed = client.get_json(
            f"/repos/{run.repository}/pulls",
            params={"state": "open", "head": f"{owner}:{run.head_branch}", "per_page": 10},
        )
        for pr in listed if isinstance(listed, list) else ():
            listed_number = pr.get("number") if isinstance(pr, dict) else None
            if isinstance(listed_number, int) and not isinstance(listed_number, bool):
                verdict = _judge(run, listed_number, pr)
                if isinstance(verdict, int):
                    return verdict
                if isinstance(verdict, StaleRun):
                    stale = stale or verdict
    if stale is not None:
        return stale
    if problem is None:
        raise InputError(
            f"cannot tell which pull request run {run.id} belongs to: the event names none, the "
            "artifact has no run.json with pull_request, and no open pull request has its head branch"
        )
    raise PullRequestMismatch(problem)


def _judge(run: WorkflowRun, number: int, pr: object) -> int | StaleRun | str:
    """``number`` when ``pr`` is the run's (its head repository and commit), a :class:`StaleRun` when
    its head repository is the run's but the commit another, else why not."""
    head = pr.get("head") if isinstance(pr, dict) else None
    sha = head.get("sha") if isinstance(head, dict) else None
    repo = _full_name(head.get("repo")) if isinstance(head, dict) else None
    if repo is None or repo.lower() != run.head_repository.lower():
        return (
            f"refusing to comment on #{number}: its head is in {repo or 'a deleted repository'}, "
            f"run {run.id} built {run.head_repository}"
        )
    if sha != run.head_sha:
        return StaleRun(number, sha if isinstance(sha, str) else "unknown")
    return number
