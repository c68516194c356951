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
import datetime as dt
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from ..attest.model import SignedBundle
from ..errors import EXIT_CHECK_FAILED, EXIT_OK, InputError, NixAttestError, OutputError, UsageError
from ..fsutil import write_atomic
from ..github import actions
from ..github.auth import resolve_token
from ..github.comment import upsert_comment
from ..github.context import PullRequestContext, pull_request_context
from ..github.dependency_graph import SubmitResult, context_from_env, snapshot, submit_snapshot
from ..github.http import GitHubClient
from ..github.identity import UseIdentity, claim_artifact_name, use_identity
from ..github.run_record import RUN_RECORD, RunRecord, dumps_run_record
from ..nix.installable import reject_option_like
from ..policy import Policy
from ..policy.model import FAIL_ON_LEVELS, FailOn, PolicyReport
from ..report.compare import new_violations
from ..report.diffjson import dumps_diff
from ..report.markdown import render_comment, render_summary
from ..report.model import Counts, Links, ReportData, Verdict
from ..sbom.diff import SbomDiff, diff_sboms
from ..sbom.model import Closure, Sbom
from ..vuln.db import NVD_FEED_URL, NvdCache
from ..vuln.model import VulnReport
from ..vuln.pipeline import MODES as VULN_MODES
from ..vuln.pipeline import Mode as VulnMode
from ..vuln.pipeline import VulnSettings, VulnStage
from ..vuln.sources.osv import OSV_API_URL

COMMENT_MODES = ("always", "on-failure", "never")
CLOSURES: tuple[Closure, ...] = ("runtime", "buildtime")

Choice = TypeVar("Choice", bound=str)


@dataclass(frozen=True)
class RunOptions:
    installable: str
    closure: Closure | None
    policy: str | None
    fail_on: FailOn | None
    check_reproducible: bool
    sign: bool
    trust_config: str | None
    upload_attestation: bool
    comment: str
    diff_base: str | None
    output_dir: Path
    artifact_name: str  # empty: the default of this use (github.identity)
    repository: str | None
    pr: int | None
    author: str | None = None  # "Name <email|url>" (default on GitHub: the repository owner)
    dependency_graph: bool = False  # submit the closure to GitHub's dependency graph
    comment_group: str | None = None
    private_repository: bool = False  # sign although the event says the repository is not public
    vulnerabilities: VulnMode = "auto"
    nvd_cache: Path | None = None
    nvd_url: str = NVD_FEED_URL
    osv_url: str = OSV_API_URL


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
    p.add_argument(
        "--artifact-name",
        metavar="NAME",
        help="artifact name the report links to (default: one per installable, job and matrix leg)",
    )
    p.add_argument(
        "--private-repository",
        action="store_true",
        default=None,
        help="with --sign: sign although the event says the repository is not public",
    )
    p.add_argument(
        "--comment-group",
        metavar="NAME",
        help="name the sticky comment: uses with the same group share one (default: one per "
        "installable, job and matrix leg)",
    )
    p.add_argument("--repository", metavar="OWNER/REPO", help="for the comment (default: GITHUB_REPOSITORY)")
    p.add_argument("--pr", type=int, metavar="N", help="pull request number (default: from the event)")
    p.add_argument(
        "--sbom-author",
        metavar="'NAME <EMAIL|URL>'",
        help="the SBOM's author (default: the repository owner)",
    )
    p.add_argument(
        "--dependency-graph",
        action="store_true",
        default=None,
        help="submit the closure to GitHub's dependency graph (needs contents: write)",
    )
    p.add_argument(
        "--vulnerabilities",
        choices=VULN_MODES,
        help="scan for known vulnerabilities: auto (default: when a local NVD database exists), true "
        "(downloading the database when missing), false",
    )
    p.add_argument(
        "--nvd-cache", metavar="DIR", help="cache directory of the NVD database (default: as vulndb update)"
    )
    p.add_argument("--nvd-url", metavar="URL", help=f"NVD feeds (default: {NVD_FEED_URL})")
    p.add_argument("--osv-url", metavar="URL", help=f"OSV API (default: {OSV_API_URL})")
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
    installable = flag("installable", ".#default")
    reject_option_like(installable)
    return RunOptions(
        installable=installable,
        closure=_one_of(choice("closure", CLOSURES), CLOSURES),
        policy=flag("policy") or None,
        fail_on=_one_of(choice("fail-on", FAIL_ON_LEVELS), FAIL_ON_LEVELS),
        check_reproducible=boolean("check-reproducible"),
        sign=boolean("sign"),
        trust_config=flag("trust-config") or None,
        upload_attestation=boolean("upload-attestation"),
        comment=choice("comment", COMMENT_MODES, "always"),
        diff_base=diff_base or ctx.base_sha or ctx.base_ref,
        output_dir=Path(flag("output-dir", "nix-attest-out")),
        artifact_name=flag("artifact-name"),
        repository=flag("repository") or ctx.repository,
        pr=pr,
        author=flag("sbom-author") or None,
        dependency_graph=boolean("dependency-graph"),
        comment_group=flag("comment-group") or None,
        private_repository=boolean("private-repository"),
        vulnerabilities=_one_of(choice("vulnerabilities", VULN_MODES), VULN_MODES) or "auto",
        nvd_cache=Path(flag("nvd-cache")) if flag("nvd-cache") else None,
        nvd_url=flag("nvd-url") or NVD_FEED_URL,
        osv_url=flag("osv-url") or OSV_API_URL,
    )


def _one_of(value: str, choices: tuple[Choice, ...]) -> Choice | None:
    """``value`` as the (typed) choice it is, None when empty (argparse or the input checked it)."""
    return next((choice for choice in choices if choice == value), None)


# -- stage results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SbomStage:
    sbom: Sbom
    path: Path  # where the SBOM was written
    outputs: tuple[str, ...] = ()  # every output path the build produced, main output first
    buildtime: Sbom | None = None  # the evaluation-only buildtime SBOM, from the same evaluation


@dataclass(frozen=True)
class PolicyStage:
    rules: Policy  # the policy loaded once (fail-on override applied), for head and base
    report: PolicyReport


@dataclass(frozen=True)
class SignStage:
    bundles: tuple[SignedBundle, ...]


@dataclass(frozen=True)
class DiffStage:
    base: Sbom
    head: Sbom  # the head SBOM the diff was computed on
    buildtime: Sbom | None  # the buildtime head generated for a buildtime base (None: not needed)
    diff: SbomDiff


@dataclass(frozen=True)
class Produced:
    """What the stages produced, each stage's record once it has run; ``error`` stopped the pipeline."""

    sbom: SbomStage | None = None
    store_paths: tuple[str, ...] = ()  # every output built
    vulnerabilities: VulnStage | None = None
    policy: PolicyStage | None = None
    sign: SignStage | None = None
    diff: DiffStage | None = None
    base_policy: PolicyReport | None = None
    warnings: tuple[str, ...] = ()
    error: NixAttestError | None = None

    def warn(self, warning: str) -> Produced:
        return replace(self, warnings=(*self.warnings, warning))


# -- stages -------------------------------------------------------------------------------------------


def stage_sbom(opts: RunOptions) -> SbomStage:
    from ..sbom.cyclonedx import write_sbom
    from ..sbom.generate import generate
    from ..sbom.supplier import parse_author

    author = parse_author(opts.author) if opts.author else None  # a bad author fails before building
    # a diff against a git ref compares buildtime SBOMs, the dependency graph wants the sources a build
    # vendors, and vendored dependencies are only in the buildtime closure: assemble the head's
    # buildtime SBOM from this same evaluation
    diff_from_git = bool(opts.diff_base) and not str(opts.diff_base).endswith(".json")
    with_buildtime = diff_from_git or opts.dependency_graph or vuln_settings(opts).enabled
    with actions.group("build and SBOM"):
        made = generate(
            opts.installable,
            closure=opts.closure,
            build=True,
            check_reproducible=opts.check_reproducible,
            with_buildtime=with_buildtime,
            author=author,
        )
    path = opts.output_dir / "sbom.cdx.json"
    write_sbom(made.sbom, str(path))
    return SbomStage(sbom=made.sbom, path=path, outputs=made.outputs, buildtime=made.buildtime)


def load_run_policy(opts: RunOptions) -> Policy | None:
    """The policy (None: no policy file), with the fail-on override applied."""
    from ..policy import DEFAULT_POLICY, load_policy

    path = opts.policy or (DEFAULT_POLICY if Path(DEFAULT_POLICY).is_file() else None)
    if path is None:
        return None
    rules = load_policy(path)
    return replace(rules, fail_on=opts.fail_on) if opts.fail_on else rules


def stage_policy(
    opts: RunOptions, sbom: Sbom, rules: Policy | None, vulnerabilities: VulnStage | None = None
) -> PolicyStage | None:
    """Check the SBOM (and the findings of the vulnerability stage) against the policy."""
    from ..policy import evaluate, render_json

    if rules is None:
        return None
    result = vulnerabilities.report.result if vulnerabilities is not None else None
    with actions.group("policy"):
        report = evaluate(rules, sbom, vulnerabilities=result.findings if result is not None else None)
    write_atomic(opts.output_dir / "policy.json", render_json(report))
    return PolicyStage(rules=rules, report=report)


def vuln_settings(opts: RunOptions) -> VulnSettings:
    from ..vuln.db import default_cache_dir

    return VulnSettings(
        opts.vulnerabilities, NvdCache(opts.nvd_cache or default_cache_dir()), opts.nvd_url, opts.osv_url
    )


def stage_vulnerabilities(
    opts: RunOptions, sbom: SbomStage, policy: Policy | None
) -> tuple[VulnStage, tuple[str, ...]]:
    """Scan the head (runtime and buildtime components together) and write the VDR, VEX and JSON into
    the output directory. A failure is a warning: the report says the scan did not happen."""
    from ..sbom.merge import merge_closures
    from ..vuln.pipeline import log_notes, not_scanned, opened_index, scan_sbom, write_files

    settings = vuln_settings(opts)
    notes: list[str] = []
    try:
        with actions.group("vulnerabilities"), opened_index(settings, notes) as index:
            if index is None:
                return VulnStage(not_scanned(settings)), ()
            scanned = merge_closures(sbom.sbom, sbom.buildtime) if sbom.buildtime is not None else sbom.sbom
            result = scan_sbom(scanned, index, settings, policy, _today(), notes)
            log_notes(result)
            files = write_files(opts.output_dir, scanned, result, policy)
    except NixAttestError as err:
        return VulnStage(VulnReport(None, f"not scanned: {err}")), (f"vulnerability scan skipped: {err}",)
    return VulnStage(VulnReport(result), scanned, files), ()


def _today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def stage_sign(opts: RunOptions, sbom_path: Path) -> SignStage:
    from ..attest.instance import check_issuer, check_server
    from ..attest.oidc import resolve_identity_token
    from ..attest.pipeline import sign_sbom
    from ..attest.sign import identity_token, token_claims
    from ..attest.trust import signing_trust
    from ..attest.visibility import check_signing_allowed, check_token_visibility

    env = dict(os.environ)
    check_signing_allowed(env, private_repository=opts.private_repository)
    public_instance = not opts.trust_config
    check_server(
        env, public_instance=public_instance, explicit_token=bool(env.get("SIGSTORE_ID_TOKEN", "").strip())
    )
    with actions.group("sign"):
        token = resolve_identity_token(None, env)
        identity_token(token)  # malformed: bad input (exit 2), before any trust root loads
        claims = token_claims(token)
        check_token_visibility(claims, env, private_repository=opts.private_repository)
        check_issuer(claims, public_instance=public_instance)
        bundles = sign_sbom(
            sbom_path,
            out_dir=opts.output_dir,
            token=token,
            trust=signing_trust(opts.trust_config),
            provenance=True,
            env=dict(os.environ),
        )
    return SignStage(bundles=bundles)


def stage_upload(opts: RunOptions, signed: SignStage, ctx: PullRequestContext) -> SignStage:
    """Store the bundles with GitHub's attestations API; the bundles then carry their attestation URLs."""
    from ..attest.pipeline import upload_bundles

    if not opts.repository:
        raise UsageError("upload-attestation needs GITHUB_REPOSITORY")
    with GitHubClient(token=resolve_token(os.environ)) as client:
        bundles = upload_bundles(signed.bundles, client, opts.repository, server_url=ctx.server_url)
    return SignStage(bundles=bundles)


def submitted(opts: RunOptions, sbom: SbomStage, done: Produced) -> Produced:
    """The dependency-graph stage: any failure (a read-only token's included) is a warning."""
    try:
        result = stage_submit(opts, sbom)
    except NixAttestError as err:
        return done.warn(f"dependency graph submission failed: {err}")
    if not result.submitted:
        return done.warn(result.message)
    actions.notice(result.message)
    return done


def stage_submit(opts: RunOptions, sbom: SbomStage) -> SubmitResult:
    """Send the closure to GitHub's dependency graph: the buildtime SBOM (what the build vendors is
    there), with the runtime closure marked ``runtime``. Returns the result line (a read-only token's
    refusal included); other failures raise."""
    head = sbom.buildtime or sbom.sbom
    runtime = sbom.sbom if sbom.buildtime is not None else None
    refs = frozenset({runtime.root.ref, *(c.ref for c in runtime.components)}) if runtime else None
    ctx = context_from_env(os.environ, repository=opts.repository, installable=opts.installable)
    body = snapshot(head, ctx, runtime_refs=refs, manifest=opts.installable)
    write_atomic(
        opts.output_dir / "dependency-snapshot.json", json.dumps(body, indent=2, sort_keys=True) + "\n"
    )
    with actions.group("dependency graph"), GitHubClient(token=resolve_token(os.environ)) as client:
        return submit_snapshot(client, ctx.repository, body)


def stage_diff(opts: RunOptions, head: Sbom, head_buildtime: Sbom | None = None) -> DiffStage:
    """Compare ``head`` with the base SBOM (a file, or generated at a git ref) of the same closure kind."""
    from ..sbom.base import base_sbom_from_git
    from ..sbom.read import load_sbom

    assert opts.diff_base
    if opts.diff_base.endswith(".json"):
        base = load_sbom(opts.diff_base)
    else:
        base = base_sbom_from_git(opts.diff_base, opts.installable)
    buildtime = _buildtime_head(opts, base, head, head_buildtime)
    compared = buildtime or head
    return DiffStage(base=base, head=compared, buildtime=buildtime, diff=diff_sboms(base, compared))


def _buildtime_head(opts: RunOptions, base: Sbom, head: Sbom, known: Sbom | None) -> Sbom | None:
    """The buildtime SBOM of the installable when only a buildtime base can be compared (else None):
    the one the SBOM stage already assembled, or (a runtime base-file case) a fresh evaluation."""
    from ..sbom.generate import generate_sbom

    if base.meta.closure == head.meta.closure:
        return None
    if base.meta.closure != "buildtime":
        raise UsageError(f"the base SBOM is a {base.meta.closure} SBOM; give a {head.meta.closure} one")
    if known is not None:
        return known
    return generate_sbom(opts.installable, closure="buildtime", build=False, quiet=True)


# -- the pipeline ---------------------------------------------------------------------------------------


def signed(opts: RunOptions, sbom: SbomStage, ctx: PullRequestContext) -> tuple[SignStage, tuple[str, ...]]:
    """Sign (a failure raises), then upload: an upload failure is a warning and keeps the signed bundles."""
    signature = stage_sign(opts, sbom.path)
    if not opts.upload_attestation:
        return signature, ()
    try:
        return stage_upload(opts, signature, ctx), ()
    except NixAttestError as err:
        return signature, (f"attestation upload failed: {err}",)


def main_stages(opts: RunOptions, ctx: PullRequestContext) -> Produced:
    """Build and SBOM, policy, signing: a failure stops the pipeline and keeps what came before."""
    done = Produced()
    try:
        sbom = stage_sbom(opts)
        done = replace(done, sbom=sbom)
        done = replace(done, store_paths=sbom.outputs)
        with actions.group("policy file"):
            rules = load_run_policy(opts)  # before the scan: its waivers are VEX statements
        if vuln_settings(opts).mode != "false":
            vulns, warnings = stage_vulnerabilities(opts, sbom, rules)
            done = replace(done, vulnerabilities=vulns, warnings=(*done.warnings, *warnings))
        done = replace(done, policy=stage_policy(opts, sbom.sbom, rules, done.vulnerabilities))
        if opts.dependency_graph:
            done = submitted(opts, sbom, done)
        if opts.sign:
            signature, warnings = signed(opts, sbom, ctx)
            done = replace(done, sign=signature, warnings=(*done.warnings, *warnings))
    except NixAttestError as err:
        return replace(done, error=err)
    return done


def diff_with_base(opts: RunOptions, done: Produced) -> Produced:
    """The diff stage (and the base's policy check): a failure is a warning, what came before is kept."""
    if done.sbom is None or not opts.diff_base or done.error is not None:
        return done
    try:
        with actions.group(f"diff against {opts.diff_base}"):
            diff = stage_diff(opts, done.sbom.sbom, done.sbom.buildtime)
            done = replace(done, diff=diff)
            write_atomic(opts.output_dir / "diff.json", dumps_diff(diff.diff))
            done = replace(done, base_policy=_base_policy(done.policy, diff.base))
    except NixAttestError as err:
        return done.warn(f"supply-chain diff skipped: {err}")
    return _base_vulnerabilities(opts, done)


def _base_vulnerabilities(opts: RunOptions, done: Produced) -> Produced:
    """Scan the base too (same database, no second refresh) to tell new, fixed and still present apart."""
    from ..vuln.pipeline import compare, opened_index, scan_sbom

    stage = done.vulnerabilities
    if stage is None or stage.report.result is None or done.diff is None:
        return done
    settings = replace(vuln_settings(opts), mode="auto")  # the head's scan refreshed the database
    policy = done.policy.rules if done.policy is not None else None
    try:
        with actions.group("vulnerabilities of the base"), opened_index(settings, []) as index:
            if index is None:
                return done
            base = scan_sbom(done.diff.base, index, settings, policy, _today(), ())
    except NixAttestError as err:
        return done.warn(f"vulnerabilities of the base not scanned: {err}")
    report = replace(
        stage.report, diff=compare(base.findings, stage.report.findings), base_label=opts.diff_base
    )
    return replace(done, vulnerabilities=replace(stage, report=report))


def _base_policy(policy: PolicyStage | None, base: Sbom) -> PolicyReport | None:
    """The base checked against the policy already loaded for the head (None: no policy)."""
    from ..policy import evaluate

    return evaluate(policy.rules, base) if policy is not None else None


def _verdict(done: Produced) -> Verdict:
    if done.policy is not None and done.policy.report.failed:
        return "fail"
    if done.error is not None:
        return "error"
    return "pass"


def report_data(
    opts: RunOptions, done: Produced, ctx: PullRequestContext, label: str | None = None
) -> ReportData:
    sbom = done.sbom.sbom if done.sbom is not None else None
    buildtime = done.diff.buildtime if done.diff is not None else None
    policy = done.policy.report if done.policy is not None else None
    new = None
    if policy is not None and done.base_policy is not None:
        new = new_violations(done.base_policy, policy)
    errors = (f"{done.error}",) if done.error is not None else ()
    return ReportData(
        installable=opts.installable,
        label=label,
        verdict=_verdict(done),
        counts=Counts.from_sbom(sbom, buildtime) if sbom is not None else Counts(),
        policy=policy,
        reproducibility=sbom.meta.reproducibility if sbom is not None else None,
        bundles=done.sign.bundles if done.sign is not None else (),
        diff=done.diff.diff if done.diff is not None else None,
        diff_head=done.diff.head if done.diff is not None else None,
        diff_base_label=opts.diff_base,
        new_violations=new,
        vulnerabilities=done.vulnerabilities.report if done.vulnerabilities is not None else None,
        problems=(*errors, *done.warnings),
        links=Links(run_url=ctx.run_url, artifact_name=opts.artifact_name),
    )


def publish(
    opts: RunOptions,
    ctx: PullRequestContext,
    data: ReportData,
    mark: str,
    legacy_marks: tuple[str, ...] = (),
) -> str | None:
    """Write report.md and the job summary, then the comment (adopting one of ours under a
    ``legacy_marks`` marker when none has ``mark``); returns the comment URL."""
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
                client,
                opts.repository,
                opts.pr,
                body,
                mark,
                create=opts.comment == "always" or failing,
                legacy_marks=legacy_marks,
            )
    except NixAttestError as err:
        actions.warning(f"could not comment on the pull request: {err}")
        return None
    if result.warning:
        actions.warning(result.warning)
    return result.url


def set_outputs(done: Produced, data: ReportData, comment_url: str | None) -> None:
    bundles = done.sign.bundles if done.sign is not None else ()
    values: dict[str, str] = {
        "sbom-path": str(done.sbom.path) if done.sbom is not None else "",
        "bundle-paths": "\n".join(b.bundle_path for b in bundles),
        "verdict": "fail" if data.verdict != "pass" else "pass",
        "violations": str(len(done.policy.report.active) if done.policy is not None else 0),
        "store-paths": "\n".join(done.store_paths),
        "reproducible": _reproducible(done.sbom.sbom if done.sbom is not None else None),
        "comment-url": comment_url or "",
        "attestation-urls": "\n".join(b.attestation_url for b in bundles if b.attestation_url),
        "vulnerabilities": _active_vulnerabilities(done),
    }
    for name, value in values.items():
        actions.set_output(name, value)


def _active_vulnerabilities(done: Produced) -> str:
    """The number of active findings, empty when there was no scan."""
    stage = done.vulnerabilities
    if stage is None or stage.report.result is None:
        return ""
    return str(len(stage.report.result.active))


def _reproducible(sbom: Sbom | None) -> str:
    if sbom is None or sbom.meta.reproducibility is None:
        return ""
    return "true" if all(c.reproducible for c in sbom.meta.reproducibility) else "false"


def _output_dir(opts: RunOptions) -> RunOptions:
    """Create the output directory; the options then name it by its absolute path."""
    try:
        opts.output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create the output directory {opts.output_dir}: {exc.strerror or exc}"
        ) from exc
    return replace(opts, output_dir=opts.output_dir.resolve())


def identify(opts: RunOptions, ctx: PullRequestContext) -> tuple[RunOptions, UseIdentity]:
    """This use's comment marker and artifact name (unique in the job), written with the output
    directory as the step outputs ``artifact-name`` and ``output-dir`` at once: the upload step needs
    them even when a stage fails."""
    use = use_identity(opts.installable, ctx.job, opts.comment_group, legacy_job=ctx.legacy_job)
    wanted = opts.artifact_name or use.artifact_name
    runner_temp = os.environ.get("RUNNER_TEMP") if actions.in_actions() else None
    name, renamed = claim_artifact_name(wanted, runner_temp)
    if renamed:
        actions.warning(f"artifact name {wanted!r} was already used in this job: uploading as {name!r}")
    actions.set_output("artifact-name", name)
    actions.set_output("output-dir", str(opts.output_dir))
    # for the fork-safe workflow_run workflow: name the comment as this run would, claim the PR
    record = RunRecord(opts.installable, use.key, use.label, opts.pr, use.legacy_key)
    write_atomic(opts.output_dir / RUN_RECORD, dumps_run_record(record))
    return replace(opts, artifact_name=name), use


def run(args: argparse.Namespace) -> int:
    ctx = pull_request_context()
    opts, use = identify(_output_dir(options(args, ctx)), ctx)
    done = diff_with_base(opts, main_stages(opts, ctx))
    for warning in done.warnings:
        actions.warning(warning)
    data = report_data(opts, done, ctx, use.label)
    legacy = (use.legacy_marker,) if use.legacy_marker else ()
    comment_url = publish(opts, ctx, data, use.marker, legacy)
    set_outputs(done, data, comment_url)
    if done.error is not None:
        raise done.error
    if done.policy is not None and done.policy.report.failed:
        report = done.policy.report
        actions.error(
            f"policy failed: {len(report.active)} violation(s) at or above fail-on "
            f"{report.fail_on!r}; see the report"
        )
        return EXIT_CHECK_FAILED
    return EXIT_OK
