"""What a report shows: plain records gathered by the pipeline, rendered by ``report.markdown``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..attest.model import SignedBundle
from ..policy.model import PolicyReport, Violation
from ..sbom.diff import SbomDiff
from ..sbom.model import OutputCheck, Sbom
from ..vuln.model import VulnReport

Verdict = Literal["pass", "fail", "error"]


@dataclass(frozen=True, slots=True)
class Counts:
    runtime: int | None = None  # components in the runtime closure (None: not computed)
    buildtime: int | None = None
    runtime_size: int | None = None  # bytes (NAR sizes)

    @classmethod
    def from_sbom(cls, sbom: Sbom, buildtime: Sbom | None = None) -> Counts:
        """Counts for an SBOM (root included); ``buildtime`` gives the buildtime count of a runtime SBOM."""
        runtime = sbom if sbom.meta.closure == "runtime" else None
        build = buildtime or (sbom if sbom.meta.closure == "buildtime" else None)
        return cls(
            runtime=len(runtime.runtime_components) + int(runtime.root.is_runtime) if runtime else None,
            buildtime=len(build.buildtime_components) + int(build.root.is_buildtime) if build else None,
            runtime_size=runtime.runtime_closure_size() if runtime else None,
        )


@dataclass(frozen=True, slots=True)
class Links:
    run_url: str | None = None  # the job summary lives on the run page
    artifact_url: str | None = None
    artifact_name: str | None = None


@dataclass(frozen=True)
class ReportData:
    installable: str
    verdict: Verdict
    label: str | None = None  # which use: the comment group or the matrix leg ("os=..., python=...")
    counts: Counts = Counts()
    policy: PolicyReport | None = None
    reproducibility: tuple[OutputCheck, ...] | None = None  # None: not checked
    bundles: tuple[SignedBundle, ...] = ()
    diff: SbomDiff | None = None
    diff_head: Sbom | None = None  # the head SBOM the diff was computed on (for the change graph)
    diff_base_label: str | None = None
    new_violations: tuple[Violation, ...] | None = None  # None: base not checked
    vulnerabilities: VulnReport | None = None  # None: the scan was not asked for
    problems: tuple[str, ...] = ()  # stages that failed or were skipped, one line each
    links: Links = Links()
