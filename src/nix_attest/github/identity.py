"""Which use of the action this is: the key of its sticky comment and the name of its artifact.

One workflow run can use the action many times: several steps in one job, a job per matrix leg,
several jobs. Each use needs its own comment (one marker per installable, job and matrix leg, or per
named comment group) and its own artifact (``actions/upload-artifact`` v4 refuses a second upload
under the same name in one run). Composite actions cannot see the matrix, so the root action passes
``toJSON(matrix)`` and ``strategy.job-index`` through its step's ``env:`` (``NIX_ATTEST_MATRIX``,
``NIX_ATTEST_JOB_INDEX``).

Outside a matrix the comment key is ``installable|workflow/job``, as before matrix legs had keys. The
workflow is its file's path (``GITHUB_WORKFLOW_REF``), no longer its ``name:`` (two workflow files with one
name shared a comment): the key under the name is kept as ``legacy_marker`` so that a comment an earlier
version wrote is adopted (rewritten under the new marker) instead of a second comment being posted.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..fsutil import write_atomic
from ..untrusted import TooDeep, loads_json
from .comment import marker_for

MATRIX_ENV = "NIX_ATTEST_MATRIX"
JOB_INDEX_ENV = "NIX_ATTEST_JOB_INDEX"
CLAIMED_FILE = "nix-attest-artifact-names"  # in RUNNER_TEMP: the names this job has used
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# what actions/upload-artifact v4 refuses in a name (@actions/artifact: NTFS's forbidden characters)
_FORBIDDEN = re.compile(r'["\:<>|*?\r\n\\/]')
MAX_GROUP = 200


@dataclass(frozen=True, slots=True)
class MatrixLeg:
    index: int | None  # strategy.job-index
    values: str  # the leg's matrix, canonical JSON ("" outside a matrix)
    label: str  # "os=ubuntu-24.04, python=3.12" for people ("" outside a matrix)


@dataclass(frozen=True, slots=True)
class UseIdentity:
    key: str  # what the comment marker is a digest of
    marker: str
    legacy_key: str | None  # the key earlier versions gave this use (workflow name), when different
    artifact_name: str  # default artifact name (before making it unique in the job)
    label: str | None  # shown in the report header: the comment group or the matrix leg

    @property
    def legacy_marker(self) -> str | None:
        return marker_for(self.legacy_key) if self.legacy_key is not None else None


def matrix_leg(env: Mapping[str, str]) -> MatrixLeg:
    """The matrix leg from the action's environment (``toJSON(matrix)`` is ``null`` outside a matrix)."""
    index_text = env.get(JOB_INDEX_ENV, "").strip()
    index = int(index_text) if index_text.isdigit() else None
    raw = env.get(MATRIX_ENV, "").strip()
    if not raw or raw == "null":
        return MatrixLeg(index, "", "")
    try:
        matrix = loads_json(raw)
    except (TooDeep, ValueError) as exc:
        raise InputError(f"{MATRIX_ENV} is not the JSON of a matrix: {exc}") from exc
    if not isinstance(matrix, dict) or not matrix:
        return MatrixLeg(index, "", "")
    values = json.dumps(matrix, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    label = ", ".join(f"{k}={_scalar(v)}" for k, v in sorted(matrix.items()))
    return MatrixLeg(index, values, label[:200])


def _scalar(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))


def use_identity(
    installable: str,
    job: str,
    group: str | None = None,
    env: Mapping[str, str] | None = None,
    *,
    legacy_job: str | None = None,
) -> UseIdentity:
    """The comment key/marker and default artifact name of one use.

    ``job`` is ``workflow/job`` (``PullRequestContext.job``). A ``group`` names the comment: every use
    with the same group shares one comment, wherever it runs; without one the key is the installable,
    the job and the matrix leg. ``legacy_job`` (``PullRequestContext.legacy_job``) gives the marker the
    same use had when the workflow was named by its ``name:``."""
    env = env if env is not None else os.environ
    leg = matrix_leg(env)
    if group is not None and (not group.strip() or len(group) > MAX_GROUP or "\n" in group):
        raise InputError(f"comment-group must be one line of 1 to {MAX_GROUP} characters")
    legacy_key = None
    if group:
        key = f"group|{group}"
        label: str | None = group
    else:
        leg_part = f"|{leg.values}" if leg.values else ""
        key = f"{installable}|{job}{leg_part}"
        if legacy_job is not None and legacy_job != job:
            legacy_key = f"{installable}|{legacy_job}{leg_part}"
        label = leg.label or None
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    job_id = env.get("GITHUB_JOB") or "local"
    parts = ["nix-attest", _slug(job_id, 40)]
    if leg.values and leg.index is not None:
        parts.append(str(leg.index))
    parts += [_slug(group or installable, 40), digest]
    return UseIdentity(key, marker_for(key), legacy_key, "-".join(p for p in parts if p), label)


def _slug(text: str, limit: int) -> str:
    return _UNSAFE.sub("-", text).strip("-.")[:limit].strip("-.")


def claim_artifact_name(name: str, runner_temp: str | None) -> tuple[str, bool]:
    """``name``, or ``name-2``, ``name-3``, ... when this job already uploaded one under ``name``
    (the same installable used twice in one job). The names a job used are kept in RUNNER_TEMP, which
    the runner empties per job. Returns the name and whether it had to change. A name upload-artifact
    would refuse (at the end of the job, after the build) is bad input now."""
    bad = _FORBIDDEN.search(name)
    if bad or not name.strip() or name != name.strip():
        what = f"holds {bad.group()!r}" if bad else "is empty or starts or ends with a space"
        raise InputError(
            f"artifact name {name!r} {what}, which actions/upload-artifact refuses "
            '(no " : < > | * ? \\ / or line breaks)'
        )
    if not runner_temp:
        return name, False
    claimed_file = Path(runner_temp) / CLAIMED_FILE
    try:
        claimed = set(claimed_file.read_text(encoding="utf-8").splitlines())
    except FileNotFoundError:
        claimed = set()
    except OSError as exc:
        raise InputError(f"cannot read {claimed_file}: {exc.strerror or exc}") from exc
    chosen = name
    n = 1
    while chosen in claimed:
        n += 1
        chosen = f"{name}-{n}"
    write_atomic(claimed_file, "".join(f"{c}\n" for c in sorted(claimed | {chosen})))
    return chosen, chosen != name
