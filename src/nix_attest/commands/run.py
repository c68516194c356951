"""`nix-attest run`: build -> SBOM -> (reproducibility) -> policy -> (sign, upload) -> diff -> report ->
comment/summary, the whole pipeline the root action runs.

Every option is a flag; a flag left out falls back to the action input (``INPUT_<NAME>``, mapped by the
composite action's ``env:``), then to the default. A failing stage keeps the outputs of earlier stages
and the report is still written. The exit code comes from the policy (``--fail-on``) or from a stage
that could not produce what was asked (build, SBOM, policy file, signing); diff, upload and comment
problems are warnings.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..attest.model import SignedBundle
from ..errors import EXIT_CHECK_FAILED, EXIT_OK, NixAttestError, UsageError
from ..fsutil import write_atomic
from ..github import actions
from ..github.comment import marker, upsert_comment
from ..github.context import PullRequestContext, pull_request_context
from ..github.http import GitHubClient
from ..policy.model import PolicyReport
from ..report.compare import new_violations
from ..report.diffjson import dumps_diff
from ..report.markdown import render_comment, render_summary
from ..report.model import Counts, Links, ReportData, Verdict
from ..sbom.diff import SbomDiff, diff_sboms
from ..sbom.model import Sbom

COMMENT_MODES = ("always", "on-failure", "never")
FAIL_ON = ("error", "warning", "never")


@dataclass(frozen=True)
class RunOptions:
    installable: str
    closure: str | None
    policy: str | None
    fail_on: str | None
    check_reproducible: bool
    sign: bool
    trust_config: str | None
    upload_attestation: bool
    comment: str
    diff_base: str | None
    output_dir: Path
    artifact_name: str
    repository: str | None
    pr: int | None


@dataclass
class RunState:
    """What the stages produced so far (mutable while the pipeline runs, frozen into ReportData)."""

    sbom: Sbom | None = None
    sbom_path: Path | None = None
    buildtime: Sbom | None = None
    policy: PolicyReport | None = None
    bundles: tuple[SignedBundle, ...] = ()
    diff: SbomDiff | None = None
    diff_head: Sbom | None = None
    base_policy: PolicyReport | None = None
    problems: list[str] = field(default_factory=list)
    error: NixAttestError | None = None


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "run",
        help="the whole pipeline: build, SBOM, policy, sign, diff, report, comment",
        description="Build the installable, write its SBOM, check reproducibility and policy, sign, compare "
        "with the base, write the report and job summary and post the sticky PR comment. Flags fall back to "
        "the GitHub Action inputs (INPUT_* variables).",
    )
    p.add_argument(
        "installable", nargs="?", metavar="INSTALLABLE", help="flake ref with attribute (.#default)"
    )
    p.add_argument("--closure", choices=("runtime", "buildtime"), help="which closure the SBOM describes")
    p.add_argument(
        "--policy", metavar="FILE", help="policy file (default: nix-attest.policy.yaml when present)"
    )
    p.add_argument(
        "--fail-on", choices=FAIL_ON, help="lowest severity that fails the run (policy's own, else error)"
    )
    p.add_argument(
        "--check-reproducible", action="store_true", default=None, help="rebuild and compare outputs"
    )
    p.add_argument(
        "--sign", action="store_true", default=None, help="sign the SBOM and SLSA provenance with Sigstore"
    )
    p.add_argument(
        "--trust-config", metavar="FILE", help="Sigstore ClientTrustConfig JSON (default: public-good)"
    )
    p.add_argument(
        "--upload-attestation",
        action="store_true",
        default=None,
        help="store bundles with GitHub's attestations API",
    )
    p.add_argument("--comment", choices=COMMENT_MODES, help="when to post the sticky PR comment (always)")
    p.add_argument(
        "--diff-base", metavar="REF|FILE", help="git ref or base SBOM file to diff against (PR base)"
    )
    p.add_argument("-o", "--output-dir", metavar="DIR", help="where outputs go (nix-attest-out)")
    p.add_argument("--artifact-name", metavar="NAME", help="artifact name the report links to (nix-attest)")
    p.add_argument("--repository", metavar="OWNER/REPO", help="for the comment (default: GITHUB_REPOSITORY)")
    p.add_argument("--pr", type=int, metavar="N", help="pull request number (default: from the event)")
    p.set_defaults(func=run)


def options(args: argparse.Namespace, ctx: PullRequestContext) -> RunOptions:
    def flag(name: str, default: str = "") -> str:
        value = getattr(args, name.replace("-", "_"))
        return str(value) if value is not None else actions.get_input(name, default)

    def boolean(name: str) -> bool:
        value = getattr(args, name.replace("-", "_"))
        return bool(value) if value is not None else actions.get_bool_input(name, False)

    installable = flag("installable", ".#default")
    fail_on = flag("fail-on") or None
    if fail_on is not None and fail_on not in FAIL_ON:
        raise UsageError(f"fail-on must be one of {', '.join(FAIL_ON)}, got {fail_on!r}")
    comment = flag("comment", "always")
    if comment not in COMMENT_MODES:
        raise UsageError(f"comment must be one of {', '.join(COMMENT_MODES)}, got {comment!r}")
    closure = flag("closure") or None
    if closure not in (None, "runtime", "buildtime"):
        raise UsageError(f"closure must be runtime or buildtime, got {closure!r}")
    pr = args.pr or ctx.number
    return RunOptions(
        installable=installable,
        closure=closure,
        policy=flag("policy") or None,
        fail_on=fail_on,
        check_reproducible=boolean("check-reproducible"),
        sign=boolean("sign"),
        trust_config=flag("trust-config") or None,
        upload_attestation=boolean("upload-attestation"),
        comment=comment,
        diff_base=flag("diff-base") or ctx.base_sha or ctx.base_ref,
        output_dir=Path(flag("output-dir", "nix-attest-out")),
        artifact_name=flag("artifact-name", "nix-attest"),
        repository=args.repository or ctx.repository,
        pr=pr,
    )


# -- stages -------------------------------------------------------------------------------------------


def stage_sbom(opts: RunOptions, state: RunState) -> None:
    from ..sbom.cyclonedx import write_sbom
    from ..sbom.generate import generate_sbom

    with actions.group("build and SBOM"):
        sbom = generate_sbom(
            opts.installable,
            closure=opts.closure,  # type: ignore[arg-type]
            build=True,
            check_reproducible=opts.check_reproducible,
        )
    path = opts.output_dir / "sbom.cdx.json"
    write_sbom(sbom, str(path))
    state.sbom, state.sbom_path = sbom, path


def stage_policy(opts: RunOptions, state: RunState) -> None:
    from ..policy import DEFAULT_POLICY, evaluate, load_policy, render_json

    assert state.sbom is not None
    path = opts.policy or (DEFAULT_POLICY if Path(DEFAULT_POLICY).is_file() else None)
    if path is None:
        return
    with actions.group("policy"):
        report = evaluate(load_policy(path), state.sbom)
        if opts.fail_on:
            report = replace(report, fail_on=opts.fail_on)  # type: ignore[arg-type]
    write_atomic(opts.output_dir / "policy.json", render_json(report))
    state.policy = report


def stage_sign(opts: RunOptions, state: RunState, ctx: PullRequestContext) -> None:
    from ..attest.oidc import resolve_identity_token
    from ..attest.pipeline import sign_sbom, upload_bundles
    from ..attest.trust import signing_trust

    assert state.sbom_path is not None
    with actions.group("sign"):
        token = resolve_identity_token(None, dict(os.environ))
        state.bundles = sign_sbom(
            state.sbom_path,
            out_dir=opts.output_dir,
            token=token,
            trust=signing_trust(opts.trust_config),
            provenance=True,
            env=dict(os.environ),
        )
    if opts.upload_attestation:
        try:
            if not opts.repository:
                raise UsageError("upload-attestation needs GITHUB_REPOSITORY")
            with GitHubClient(token=_github_token()) as client:
                state.bundles = upload_bundles(
                    state.bundles, client, opts.repository, server_url=ctx.server_url
                )
        except NixAttestError as err:
            state.problems.append(f"attestation upload failed: {err}")


def stage_diff(opts: RunOptions, state: RunState) -> None:
    from ..sbom.base import base_sbom_from_git, load_base_sbom
    from ..sbom.generate import generate_sbom

    assert state.sbom is not None and opts.diff_base
    with actions.group(f"nix-attest: diff against {opts.diff_base}"):
        if opts.diff_base.endswith(".json") and Path(opts.diff_base).is_file():
            base = load_base_sbom(opts.diff_base)
        else:
            base = base_sbom_from_git(opts.diff_base, opts.installable)
        head = state.sbom
        if base.meta.closure != head.meta.closure:
            if base.meta.closure != "buildtime":
                raise UsageError(
                    f"the base SBOM is a {base.meta.closure} SBOM; give a {head.meta.closure} one"
                )
            head = generate_sbom(opts.installable, closure="buildtime", build=False, quiet=True)
            state.buildtime = head
        state.diff = diff_sboms(base, head)
        state.diff_head = head
        write_atomic(opts.output_dir / "diff.json", dumps_diff(state.diff))
        if state.policy is not None:
            from ..policy import evaluate, load_policy

            path = opts.policy or "nix-attest.policy.yaml"
            state.base_policy = evaluate(load_policy(path), base)


# -- the pipeline ---------------------------------------------------------------------------------------


def _github_token() -> str:
    token = (
        actions.get_input("github-token") or os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN", "")
    )
    actions.set_secret(token)
    return token


def _verdict(state: RunState) -> Verdict:
    if state.policy is not None and state.policy.failed:
        return "fail"
    if state.error is not None:
        return "error"
    return "pass"


def report_data(opts: RunOptions, state: RunState, ctx: PullRequestContext) -> ReportData:
    sbom = state.sbom
    counts = Counts()
    if sbom is not None:
        build_sbom = state.buildtime or (sbom if sbom.meta.closure == "buildtime" else None)
        counts = Counts(
            runtime=_count(sbom, "runtime") if sbom.meta.closure == "runtime" else None,
            buildtime=_count(build_sbom, "buildtime") if build_sbom is not None else None,
            runtime_size=sbom.runtime_closure_size() if sbom.meta.closure == "runtime" else None,
        )
    new = None
    if state.policy is not None and state.base_policy is not None:
        new = new_violations(state.base_policy, state.policy)
    problems = list(state.problems)
    if state.error is not None:
        problems.insert(0, f"{state.error}")
    return ReportData(
        installable=opts.installable,
        verdict=_verdict(state),
        counts=counts,
        policy=state.policy,
        reproducibility=sbom.meta.reproducibility if sbom is not None else None,
        bundles=state.bundles,
        diff=state.diff,
        diff_head=state.diff_head,
        diff_base_label=opts.diff_base,
        new_violations=new,
        problems=tuple(problems),
        links=Links(run_url=ctx.run_url, artifact_name=opts.artifact_name),
    )


def _count(sbom: Sbom, closure: str) -> int:
    members = sbom.runtime_components if closure == "runtime" else sbom.buildtime_components
    return len(members) + (1 if closure in sbom.root.closures else 0)


def publish(opts: RunOptions, state: RunState, ctx: PullRequestContext, data: ReportData) -> str | None:
    """Write report.md and the job summary, then the comment; returns the comment URL."""
    mark = marker(opts.installable, ctx.job)
    body = render_comment(data, mark)
    write_atomic(opts.output_dir / "report.md", body.split("\n", 1)[1] if body.startswith(mark) else body)
    try:
        actions.append_summary(render_summary(data))
    except NixAttestError as err:
        actions.warning(f"cannot write the job summary: {err}")
    failing = data.verdict != "pass"
    if opts.comment == "never":
        return None
    if not opts.repository or not opts.pr:
        if actions.in_actions():
            actions.notice("no pull request for this event: comment skipped")
        return None
    token = _github_token()
    if not token:
        actions.warning("no github-token: comment skipped")
        return None
    try:
        with GitHubClient(token=token) as client:
            result = upsert_comment(
                client, opts.repository, opts.pr, body, mark, create=opts.comment == "always" or failing
            )
    except NixAttestError as err:
        actions.warning(f"could not comment on the pull request: {err}")
        return None
    if result.warning:
        actions.warning(result.warning)
    return result.url


def set_outputs(opts: RunOptions, state: RunState, data: ReportData, comment_url: str | None) -> None:
    values: dict[str, Any] = {
        "sbom-path": str(state.sbom_path) if state.sbom_path else "",
        "bundle-paths": "\n".join(b.bundle_path for b in state.bundles),
        "verdict": "fail" if data.verdict != "pass" else "pass",
        "violations": len(state.policy.active) if state.policy else 0,
        "store-paths": _store_paths(state.sbom),
        "reproducible": _reproducible(state.sbom),
        "comment-url": comment_url or "",
        "attestation-urls": "\n".join(b.attestation_url for b in state.bundles if b.attestation_url),
    }
    for name, value in values.items():
        actions.set_output(name, value)


def _store_paths(sbom: Sbom | None) -> str:
    if sbom is None:
        return ""
    return sbom.root.store_path if sbom.meta.closure == "runtime" else ""


def _reproducible(sbom: Sbom | None) -> str:
    if sbom is None or sbom.meta.reproducibility is None:
        return ""
    return "true" if all(c.reproducible for c in sbom.meta.reproducibility) else "false"


def run(args: argparse.Namespace) -> int:
    ctx = pull_request_context()
    opts = options(args, ctx)
    opts.output_dir.mkdir(parents=True, exist_ok=True)
    opts = replace(opts, output_dir=opts.output_dir.resolve())
    state = RunState()
    try:
        stage_sbom(opts, state)
        stage_policy(opts, state)
        if opts.sign:
            stage_sign(opts, state, ctx)
    except NixAttestError as err:
        state.error = err
    if state.sbom is not None and opts.diff_base and state.error is None:
        try:
            stage_diff(opts, state)
        except NixAttestError as err:
            state.problems.append(f"supply-chain diff skipped: {err}")
    for problem in state.problems:
        actions.warning(problem)
    data = report_data(opts, state, ctx)
    comment_url = publish(opts, state, ctx, data)
    set_outputs(opts, state, data, comment_url)
    if state.error is not None:
        raise state.error
    if state.policy is not None and state.policy.failed:
        actions.error(
            f"policy failed: {len(state.policy.active)} violation(s) at or above fail-on "
            f"{state.policy.fail_on!r}; see the report"
        )
        return EXIT_CHECK_FAILED
    return EXIT_OK
