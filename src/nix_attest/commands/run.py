"""`nix-attest run`: build -> SBOM -> (reproducibility) -> policy -> (sign, upload) -> diff -> report ->
comment/summary, the whole pipeline the root action runs.

Every option is a flag; a flag left out falls back to the action input (``INPUT_<NAME>``, mapped by the
composite action's ``env:``), then to the default (``--repository`` and ``--pr``: to the event). A
failing stage keeps the outputs of earlier stages and the report is still written. The exit code comes
from the policy (``--fail-on``) or from a stage that could not produce what was asked (build, SBOM,
policy file, signing); diff, upload and comment problems are warnings.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..attest.model import SignedBundle
from ..errors import EXIT_CHECK_FAILED, EXIT_OK, InputError, NixAttestError, OutputError, UsageError
from ..fsutil import write_atomic
from ..github import actions
from ..github.auth import resolve_token
from ..github.comment import marker, upsert_comment
from ..github.context import PullRequestContext, pull_request_context
from ..github.http import GitHubClient
from ..policy import Policy
from ..policy.model import FAIL_ON_LEVELS, PolicyReport
from ..report.compare import new_violations
from ..report.diffjson import dumps_diff
from ..report.markdown import render_comment, render_summary
from ..report.model import Counts, Links, ReportData, Verdict
from ..sbom.diff import SbomDiff, diff_sboms
from ..sbom.model import Sbom

COMMENT_MODES = ("always", "on-failure", "never")
CLOSURES = ("runtime", "buildtime")


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
    store_paths: tuple[str, ...] = ()  # every output built
    buildtime: Sbom | None = None
    rules: Policy | None = None  # the policy loaded once (fail-on override applied), for head and base
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
    p.add_argument("--closure", choices=CLOSURES, help="which closure the SBOM describes")
    p.add_argument(
        "--policy", metavar="FILE", help="policy file (default: nix-attest.policy.yaml when present)"
    )
    p.add_argument(
        "--fail-on",
        choices=FAIL_ON_LEVELS,
        help="lowest severity that fails the run (policy's own, else error)",
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
    def given(name: str) -> Any:
        return getattr(args, name.replace("-", "_"))

    def flag(name: str, default: str = "") -> str:
        value = given(name)
        return str(value) if value is not None else actions.get_input(name, default)

    def choice(name: str, choices: tuple[str, ...], default: str = "") -> str:
        value = given(name)  # argparse checked the flag's choices
        if value is not None:
            return str(value)
        return actions.get_choice_input(name, choices, default) if actions.get_input(name) else default

    def boolean(name: str) -> bool:
        value = given(name)
        return bool(value) if value is not None else actions.get_bool_input(name, False)

    pr_text = str(args.pr) if args.pr is not None else actions.get_input("pr")
    try:
        pr = int(pr_text) if pr_text else ctx.number
    except ValueError:
        raise InputError(f"input pr must be a pull request number, got {pr_text!r}") from None
    diff_base = flag("diff-base")
    if diff_base.endswith(".json") and not Path(diff_base).is_file():
        raise InputError(f"base SBOM file not found: {diff_base}")
    return RunOptions(
        installable=flag("installable", ".#default"),
        closure=choice("closure", CLOSURES) or None,
        policy=flag("policy") or None,
        fail_on=choice("fail-on", FAIL_ON_LEVELS) or None,
        check_reproducible=boolean("check-reproducible"),
        sign=boolean("sign"),
        trust_config=flag("trust-config") or None,
        upload_attestation=boolean("upload-attestation"),
        comment=choice("comment", COMMENT_MODES, "always"),
        diff_base=diff_base or ctx.base_sha or ctx.base_ref,
        output_dir=Path(flag("output-dir", "nix-attest-out")),
        artifact_name=flag("artifact-name", "nix-attest"),
        repository=flag("repository") or ctx.repository,
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
    state.store_paths = built_outputs(opts, sbom)


def built_outputs(opts: RunOptions, sbom: Sbom) -> tuple[str, ...]:
    """Every output path the build produced: the root derivation's outputs, main output first.

    A runtime SBOM lists them all (the root, and the root derivation's other outputs as components
    with its ``drv_path``). A buildtime SBOM has one component per derivation, so a root with one
    output gives its store path; with several, their paths are asked of Nix (the build is a no-op)."""
    root = sbom.root
    if sbom.meta.closure == "runtime":
        others = sorted(
            c.store_path for c in sbom.runtime_components if root.drv_path and c.drv_path == root.drv_path
        )
        return (root.store_path, *others)
    if not root.is_runtime:  # nothing was built (an evaluated root)
        return ()
    if len(root.outputs) <= 1:
        return (root.store_path,)
    from ..nix.build import build
    from ..nix.installable import parse_installable
    from ..nix.runner import Nix

    built = build(Nix(quiet=True), parse_installable(opts.installable), drv_path=root.drv_path)
    paths = {p for result in built for p in result.outputs.values()}
    return (root.store_path, *sorted(paths - {root.store_path}))


def stage_policy(opts: RunOptions, state: RunState) -> None:
    from ..policy import DEFAULT_POLICY, evaluate, load_policy, render_json

    assert state.sbom is not None
    path = opts.policy or (DEFAULT_POLICY if Path(DEFAULT_POLICY).is_file() else None)
    if path is None:
        return
    with actions.group("policy"):
        rules = load_policy(path)
        if opts.fail_on:
            rules = replace(rules, fail_on=opts.fail_on)  # type: ignore[arg-type]
        report = evaluate(rules, state.sbom)
    write_atomic(opts.output_dir / "policy.json", render_json(report))
    state.rules, state.policy = rules, report


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
            with GitHubClient(token=resolve_token(os.environ)) as client:
                state.bundles = upload_bundles(
                    state.bundles, client, opts.repository, server_url=ctx.server_url
                )
        except NixAttestError as err:
            state.problems.append(f"attestation upload failed: {err}")


def stage_diff(opts: RunOptions, state: RunState) -> None:
    from ..sbom.base import base_sbom_from_git
    from ..sbom.generate import generate_sbom
    from ..sbom.read import load_sbom

    assert state.sbom is not None and opts.diff_base
    with actions.group(f"diff against {opts.diff_base}"):
        if opts.diff_base.endswith(".json"):
            base = load_sbom(opts.diff_base)
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
        if state.rules is not None:
            from ..policy import evaluate

            state.base_policy = evaluate(state.rules, base)


# -- the pipeline ---------------------------------------------------------------------------------------


def _verdict(state: RunState) -> Verdict:
    if state.policy is not None and state.policy.failed:
        return "fail"
    if state.error is not None:
        return "error"
    return "pass"


def report_data(opts: RunOptions, state: RunState, ctx: PullRequestContext) -> ReportData:
    sbom = state.sbom
    counts = Counts.from_sbom(sbom, state.buildtime) if sbom is not None else Counts()
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
    token = resolve_token(os.environ)
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
        "store-paths": "\n".join(state.store_paths),
        "reproducible": _reproducible(state.sbom),
        "comment-url": comment_url or "",
        "attestation-urls": "\n".join(b.attestation_url for b in state.bundles if b.attestation_url),
    }
    for name, value in values.items():
        actions.set_output(name, value)


def _reproducible(sbom: Sbom | None) -> str:
    if sbom is None or sbom.meta.reproducibility is None:
        return ""
    return "true" if all(c.reproducible for c in sbom.meta.reproducibility) else "false"


def run(args: argparse.Namespace) -> int:
    ctx = pull_request_context()
    opts = options(args, ctx)
    try:
        opts.output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create the output directory {opts.output_dir}: {exc.strerror or exc}"
        ) from exc
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
