"""Records of the vulnerability stage: what is matched (targets), what is known (advisories) and what
was found (findings). Plain frozen records; sources produce them, formats and the policy consume them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

VulnSeverity = Literal["critical", "high", "medium", "low", "none", "unknown"]
SEVERITY_LEVELS: tuple[VulnSeverity, ...] = get_args(VulnSeverity)  # most severe first
FailOnSeverity = Literal["critical", "high", "medium", "low", "never"]
FAIL_ON_SEVERITIES: tuple[FailOnSeverity, ...] = get_args(FailOnSeverity)

# How a finding was matched, from the most to the least trustworthy identification
MatchMethod = Literal[
    "cpe:meta",  # meta.identifiers.cpe set by the package's maintainer
    "cpe:possible",  # meta.identifiers.possibleCPEs
    "cpe:curated",  # nix-attest's vendor:product map for well-known packages
    "cpe:heuristic",  # pname as the product, any vendor
    "purl",  # an ecosystem package URL (vendored dependency), queried at OSV
    "git",  # a git repository and commit/tag, queried at OSV
    "nixpkgs-meta",  # meta.knownVulnerabilities
    "reported",  # stated by a CycloneDX document read back (another tool's VDR)
]
MATCH_METHODS: tuple[MatchMethod, ...] = get_args(MatchMethod)
Confidence = Literal["high", "medium", "low"]
CONFIDENCE_OF: dict[MatchMethod, Confidence] = {
    "cpe:meta": "high",
    "cpe:possible": "medium",
    "cpe:curated": "medium",
    "cpe:heuristic": "low",
    "purl": "high",
    "git": "high",
    "nixpkgs-meta": "high",
    "reported": "high",
}
CpeSource = Literal["meta", "possible", "curated", "heuristic"]

# CycloneDX 1.6 impact analysis (VEX)
AnalysisState = Literal[
    "resolved", "resolved_with_pedigree", "exploitable", "in_triage", "false_positive", "not_affected"
]
ANALYSIS_STATES: tuple[AnalysisState, ...] = get_args(AnalysisState)
Justification = Literal[
    "code_not_present",
    "code_not_reachable",
    "requires_configuration",
    "requires_dependency",
    "requires_environment",
    "protected_by_compiler",
    "protected_at_runtime",
    "protected_at_perimeter",
    "protected_by_mitigating_control",
]
JUSTIFICATIONS: tuple[Justification, ...] = get_args(Justification)


def severity_rank(severity: str) -> int:
    """0 for critical ... 5 for unknown (lower is more severe)."""
    return SEVERITY_LEVELS.index(severity) if severity in SEVERITY_LEVELS else len(SEVERITY_LEVELS) - 1


def at_or_above(severity: str, threshold: str) -> bool:
    """True when ``severity`` is at least ``threshold`` (``never``: nothing is)."""
    if threshold == "never":
        return False
    return severity_rank(severity) <= severity_rank(threshold)


def severity_from_score(score: float | None) -> VulnSeverity:
    """CVSS v3/v4 qualitative rating of a base score."""
    if score is None:
        return "unknown"
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    if score > 0.0:
        return "low"
    return "none"


@dataclass(frozen=True, slots=True)
class Rating:
    method: str  # CycloneDX rating method: CVSSv4, CVSSv31, CVSSv3, CVSSv2, other
    severity: VulnSeverity
    score: float | None = None
    vector: str | None = None
    source: str | None = None  # who rated: nvd@nist.gov, a CNA, GitHub, ...


@dataclass(frozen=True, slots=True)
class Advisory:
    id: str
    source: str  # "NVD", "OSV", "nixpkgs"
    summary: str | None = None
    aliases: tuple[str, ...] = ()
    ratings: tuple[Rating, ...] = ()  # the preferred first: CVSS v4, else v3.1, else v3.0, else v2
    published: str | None = None
    modified: str | None = None
    url: str | None = None
    fixed_versions: tuple[str, ...] = ()
    known_exploited: bool = False  # listed in the CISA KEV catalog

    @property
    def severity(self) -> VulnSeverity:
        return self.ratings[0].severity if self.ratings else "unknown"

    @property
    def score(self) -> float | None:
        return self.ratings[0].score if self.ratings else None

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id, *self.aliases)


@dataclass(frozen=True, slots=True)
class CpeId:
    cpe: str
    source: CpeSource


@dataclass(frozen=True, slots=True)
class Target:
    """One SBOM component as the sources see it: its identifiers and what its patches fix."""

    ref: str
    name: str
    version: str | None
    purl: str | None = None
    cpes: tuple[CpeId, ...] = ()  # best first
    purls: tuple[str, ...] = ()  # ecosystem purls (pkg:cargo, pkg:npm, pkg:pypi, pkg:golang, pkg:github)
    resolved: tuple[tuple[str, str], ...] = ()  # (CVE id, patch name) for each CVE a patch names
    known_vulnerabilities: tuple[str, ...] = ()  # meta.knownVulnerabilities (free text)
    closures: tuple[str, ...] = ()
    is_source: bool = False  # a fixed-output derivation (a source archive), not a build


@dataclass(frozen=True, slots=True)
class Analysis:
    """The VEX statement about one finding: from a patch (``resolved_with_pedigree``) or a waiver."""

    state: AnalysisState
    justification: Justification | None = None
    detail: str | None = None
    waiver: str | None = None  # the waiver's label when a waiver made this statement
    expires: str | None = None  # the waiver's expiry (YYYY-MM-DD)


@dataclass(frozen=True, slots=True)
class Finding:
    advisory: Advisory
    ref: str  # the component's bom-ref
    name: str
    version: str | None
    method: MatchMethod
    evidence: str  # what matched: the CPE criteria and range, the purl, the meta text
    closures: tuple[str, ...] = ()
    analysis: Analysis | None = None
    purl: str | None = None
    fixed_in: str | None = None  # the first version without it, when the source says

    @property
    def confidence(self) -> Confidence:
        return CONFIDENCE_OF[self.method]

    @property
    def id(self) -> str:
        return self.advisory.id

    @property
    def severity(self) -> VulnSeverity:
        return self.advisory.severity

    @property
    def resolved(self) -> bool:
        """Fixed by a patch of the derivation (kept and reported as resolved_with_pedigree)."""
        return self.analysis is not None and self.analysis.state == "resolved_with_pedigree"

    @property
    def waived(self) -> bool:
        return self.analysis is not None and self.analysis.waiver is not None

    @property
    def active(self) -> bool:
        return self.analysis is None

    @property
    def key(self) -> tuple[str, str]:
        return (self.advisory.id, self.ref)


@dataclass(frozen=True)
class ScanResult:
    """All findings of one scan, sorted (severity, id, component), and what the scan covered."""

    findings: tuple[Finding, ...]
    sources: tuple[str, ...] = ()  # the sources that ran, e.g. ("nvd", "osv", "nixpkgs-meta")
    scanned: int = 0  # components looked at
    database: str | None = None  # describes the NVD data used (index build time, feeds)
    notes: tuple[str, ...] = field(default=())  # one line each: skipped sources, partial data

    @property
    def active(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.active)


@dataclass(frozen=True)
class VulnDiff:
    """Findings keyed by (advisory, component name): the version may change, the component stays."""

    new: tuple[Finding, ...]  # active in the head, not in the base
    fixed: tuple[Finding, ...]  # active in the base, not in the head (the base's findings)
    still: tuple[Finding, ...]  # active in both (the head's findings)


@dataclass(frozen=True)
class VulnReport:
    """What the report shows; ``result`` None: not scanned, ``note`` says why."""

    result: ScanResult | None
    note: str | None = None
    diff: VulnDiff | None = None
    base_label: str | None = None

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.result.findings if self.result is not None else ()


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (severity_rank(f.severity), f.advisory.id, f.name, f.ref))
