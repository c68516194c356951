"""Property-based tests (hypothesis) of the vulnerability parsers of untrusted or remote input: an NVD
feed file, a CycloneDX VDR given to `check` (a pull request's artifact), an OSV record. Whatever they
hold, the answer is a result or one error line with a defined exit code, never an internal error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.nvd_data import DATA, feed_document, real_cves
from helpers.properties import BOUNDED, cli, json_values, mutated
from hypothesis import given

from nix_attest.errors import NixAttestError
from nix_attest.vuln.index import NvdIndex, encode, merge
from nix_attest.vuln.nvdfeed import compact, iter_cves
from nix_attest.vuln.read import findings_from_document
from nix_attest.vuln.sources.osv import advisory

FEED = feed_document([real_cves()["CVE-2010-0748"]])
OSV = json.loads((DATA / "osv/GHSA-m5pq-gvj9-9vr8.json").read_text())
VDR = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "version": 2,
    "metadata": {"component": {"type": "application", "name": "app", "bom-ref": "/nix/store/" + "0" * 32 + "-app"}},
    "components": [{"type": "library", "name": "xz", "version": "5.6.1", "bom-ref": "/nix/store/" + "1" * 32 + "-xz-5.6.1"}],
    "vulnerabilities": [
        {
            "bom-ref": "v1", "id": "CVE-2024-3094", "source": {"name": "NVD", "url": "https://nvd.nist.gov/vuln/detail/CVE-2024-3094"},
            "references": [{"id": "GHSA-x", "source": {"name": "GitHub"}}],
            "ratings": [{"source": {"name": "NVD"}, "score": 10.0, "severity": "critical", "method": "CVSSv31"}],
            "affects": [{"ref": "/nix/store/" + "1" * 32 + "-xz-5.6.1"}],
            "analysis": {"state": "not_affected", "justification": "code_not_reachable", "detail": "x"},
            "properties": [{"name": "nix-attest:match:method", "value": "cpe:meta"}],
        }
    ],
}  # fmt: skip

# ruff: noqa: E501


@BOUNDED
@given(doc=mutated(FEED) | json_values)
def test_nvd_feed_reader(doc: Any) -> None:
    try:
        records = [compact(cve) for cve in iter_cves(json.dumps(doc), "feed")]
        index = NvdIndex(Path("<test>"), encode(merge(records), {}))
    except NixAttestError:
        return  # one line, exit 2
    for n in range(len(index)):
        index.record(n)


@BOUNDED
@given(doc=mutated(VDR))
def test_vdr_given_to_check(doc: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vdr = tmp_path / "vdr.json"
    vdr.write_text(json.dumps(doc))
    policy = tmp_path / "p.yaml"
    policy.write_text("fail-on: never\nvulnerabilities: {fail-on: low, known-exploited: warn}\n")
    cli(["check", str(vdr), "--policy", str(policy), "--format", "json"], capsys, (0, 2))
    findings_from_document(doc, None)  # the reader alone, without the schema check before it


@BOUNDED
@given(doc=mutated(OSV))
def test_osv_record(doc: Any) -> None:
    if isinstance(doc, dict) and isinstance(doc.get("id"), str):
        advisory(doc)
