"""The closure as a GitHub dependency-graph snapshot (``POST /repos/{owner}/{repo}/dependency-graph/
snapshots``, REST "Create a snapshot of dependencies for a repository"), so Dependabot alerts and
dependency review see what Nix builds and vendors.

One manifest per installable; its packages are the SBOM's components keyed and identified by their
purl (an ecosystem purl such as ``pkg:cargo/...`` for a vendored source where the SBOM has one, else
``pkg:nix/...``); ``relationship`` is ``direct`` for what the root depends on itself, else
``indirect``; ``scope`` is ``runtime`` for the runtime closure and ``development`` for what is only
needed to build. The job, commit and ref come from the Actions run; the token needs
``contents: write`` (a read-only token gives a warning, not a failure).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .. import TOOL_NAME, TOOL_URL, __version__
from ..errors import UsageError
from ..sbom.model import Component, Sbom
from .http import GitHubClient, GitHubError, GitHubPermissionError
from .identity import matrix_leg

SNAPSHOT_VERSION = 0
_SHA = re.compile(r"^[0-9a-f]{40}$")
_PR_EVENTS = ("pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment")


@dataclass(frozen=True, slots=True)
class SubmitContext:
    """Where the snapshot belongs: ``repository`` (OWNER/REPO), the commit and ref it describes, and
    the job that produced it (``correlator`` groups successive snapshots of the same job)."""

    repository: str
    sha: str
    ref: str
    job_id: str
    correlator: str
    html_url: str | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", self.repository):
            raise UsageError(f"--repository must be OWNER/REPO, got {self.repository[:80]!r}")
        if not _SHA.match(self.sha):
            raise UsageError(f"--sha must be a full 40-character commit SHA, got {self.sha[:80]!r}")
        if not self.ref.startswith("refs/"):
            raise UsageError(f"--ref must be a full ref (refs/heads/...), got {self.ref[:80]!r}")


def context_from_env(
    env: Mapping[str, str],
    *,
    repository: str | None = None,
    sha: str | None = None,
    ref: str | None = None,
    correlator: str | None = None,
    installable: str = "",
) -> SubmitContext:
    """The run's context: flags first, then the Actions variables (on pull-request events the PR's head
    commit, as GitHub's dependency-submission toolkit does)."""
    event_sha = _pull_request_head(env) if env.get("GITHUB_EVENT_NAME") in _PR_EVENTS else None
    repo = repository or env.get("GITHUB_REPOSITORY") or ""
    commit = sha or event_sha or env.get("GITHUB_SHA") or ""
    full_ref = ref or env.get("GITHUB_REF") or ""
    missing = [
        name for name, value in (("--repository", repo), ("--sha", commit), ("--ref", full_ref)) if not value
    ]
    if missing:
        raise UsageError(f"no {', '.join(missing)}: give them, or run in GitHub Actions")
    run_id = env.get("GITHUB_RUN_ID") or "local"
    job = "_".join(x for x in (env.get("GITHUB_WORKFLOW"), env.get("GITHUB_JOB")) if x) or "nix-attest"
    server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    return SubmitContext(
        repository=repo,
        sha=commit.lower(),
        ref=full_ref,
        job_id=f"{run_id}-{env.get('GITHUB_RUN_ATTEMPT') or '1'}",
        # one correlator per job, installable and matrix leg: GitHub keeps only the latest snapshot per
        # correlator, so neither several installables nor the legs of a matrix replace each other
        correlator=correlator or "_".join(x for x in (job, installable, _leg_key(env)) if x),
        html_url=f"{server}/{repo}/actions/runs/{run_id}" if env.get("GITHUB_RUN_ID") else None,
    )


_MAX_LEG_LABEL = 120


def _leg_key(env: Mapping[str, str]) -> str:
    """The matrix leg as part of the correlator: its values (``os=ubuntu-24.04, system=...``), stable
    from run to run (not ``strategy.job-index``, which moves when the matrix changes); a long leg is
    a digest of its values. Empty outside a matrix."""
    leg = matrix_leg(env)
    if not leg.values:
        return ""
    if len(leg.values) <= _MAX_LEG_LABEL:
        return leg.label
    return "matrix-" + hashlib.sha256(leg.values.encode()).hexdigest()[:16]


def _pull_request_head(env: Mapping[str, str]) -> str | None:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            event = json.load(fh)
    except (OSError, ValueError):
        return None
    pr = event.get("pull_request") if isinstance(event, dict) else None
    head = pr.get("head") if isinstance(pr, dict) else None
    sha = head.get("sha") if isinstance(head, dict) else None
    return sha if isinstance(sha, str) and _SHA.match(sha) else None


def manifest_location(installable: str, cwd: str | None = None) -> str | None:
    """The file a local installable is defined in, relative to the repository root when known
    (``.#default`` -> ``flake.nix``, ``./sub#pkg`` -> ``sub/flake.nix``, ``-f pkgs.nix -A x`` ->
    ``pkgs.nix``); None for remote flakes and store paths."""
    if installable.startswith("-f "):
        return _inside(installable[3:].split(" -A ", 1)[0])
    ref = installable.removeprefix("path:").split("#", 1)[0].split("?", 1)[0]
    if ref in ("", ".") or ref.startswith("./"):
        return _inside(os.path.join(ref or ".", "flake.nix"))
    return None


def _inside(path: str) -> str | None:
    """A relative path that stays inside the working directory, normalised; else None."""
    norm = os.path.normpath(path)
    if os.path.isabs(norm) or norm == ".." or norm.startswith("../"):
        return None
    return norm


def _merge(entries: dict[str, dict[str, Any]], purl: str, entry: dict[str, Any]) -> None:
    """Components that share a purl (several outputs of one package) are one package."""
    seen = entries.get(purl)
    if seen is None:
        entries[purl] = entry
        return
    if entry["relationship"] == "direct":
        seen["relationship"] = "direct"
    if entry["scope"] == "runtime":
        seen["scope"] = "runtime"
    seen["dependencies"] = sorted(set(seen["dependencies"]) | set(entry["dependencies"]))


def snapshot(
    sbom: Sbom,
    ctx: SubmitContext,
    *,
    runtime_refs: frozenset[str] | None = None,
    scanned: str | None = None,
    manifest: str | None = None,
) -> dict[str, Any]:
    """The snapshot request body. ``runtime_refs``: the runtime closure, when ``sbom`` is a buildtime
    SBOM made without it (default: each component's own closure marks)."""
    by_ref: dict[str, Component] = {c.ref: c for c in sbom.components}
    purl_of = {ref: c.purl for ref, c in by_ref.items() if c.purl}
    root = sbom.root
    direct = set(sbom.dependencies.get(root.ref, ()))

    def runtime(c: Component) -> bool:
        return c.ref in runtime_refs if runtime_refs is not None else c.is_runtime

    resolved: dict[str, dict[str, Any]] = {}
    for c in sbom.components:
        if not c.purl or c.purl == root.purl:
            continue
        deps = sorted({purl_of[d] for d in sbom.dependencies.get(c.ref, ()) if d in purl_of} - {c.purl})
        _merge(
            resolved,
            c.purl,
            {
                "package_url": c.purl,
                "relationship": "direct" if c.ref in direct else "indirect",
                "scope": "runtime" if runtime(c) else "development",
                "dependencies": deps,
            },
        )
    name = manifest or sbom.meta.installable
    body: dict[str, Any] = {"name": name}
    location = manifest_location(sbom.meta.installable)
    if location:
        body["file"] = {"source_location": location}
    body["metadata"] = {k: v for k, v in (("closure", sbom.meta.closure), ("root", root.purl)) if v}
    body["resolved"] = dict(sorted(resolved.items()))
    return {
        "version": SNAPSHOT_VERSION,
        "job": {
            "id": ctx.job_id,
            "correlator": ctx.correlator,
            **({"html_url": ctx.html_url} if ctx.html_url else {}),
        },
        "sha": ctx.sha,
        "ref": ctx.ref,
        "detector": {"name": TOOL_NAME, "version": __version__, "url": TOOL_URL},
        "scanned": scanned or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "manifests": {name: body},
    }


@dataclass(frozen=True, slots=True)
class SubmitResult:
    submitted: bool
    message: str  # what happened, one line
    snapshot_id: int | None = None


def submit_snapshot(client: GitHubClient, repository: str, body: dict[str, Any]) -> SubmitResult:
    """POST the snapshot. A token without ``contents: write`` (403, e.g. a fork's pull request) is
    reported, not raised; any other failure raises :class:`GitHubError` (exit 3)."""
    path = f"/repos/{repository}/dependency-graph/snapshots"
    try:
        response = client.request("POST", path, json=body)
    except GitHubError as exc:
        if isinstance(exc, GitHubPermissionError) or exc.status == 403:
            return SubmitResult(
                False,
                f"dependency graph not updated: the token cannot write to {repository} "
                "(the job needs permissions: contents: write; a fork's pull request never has it)",
            )
        raise
    try:
        data = response.json()
    except ValueError:
        data = {}
    data = data if isinstance(data, dict) else {}
    sid = data.get("id") if isinstance(data.get("id"), int) else None
    result = str(data.get("result") or "accepted")
    packages = sum(len(m.get("resolved") or {}) for m in body["manifests"].values())
    label = f"snapshot {sid}" if sid is not None else "snapshot"
    return SubmitResult(True, f"dependency graph {label} {result.lower()}: {packages} packages", sid)
