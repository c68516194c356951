"""nixpkgs ``meta.knownVulnerabilities``: free-text entries, reported even without any database match.

The id is the CVE or GHSA id the text starts with, else a stable id derived from the package name and
the text (``NIXPKGS-<name>-<8 hex digits>``), so the same entry keeps its id from one run to the next."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from ..model import Advisory, Finding, Target

_ID = re.compile(r"^\W*(CVE-\d{4}-\d{4,}|GHSA(?:-[23456789cfghjmpqrvwx]{4}){3})\b", re.IGNORECASE)
_URL = {"CVE": "https://nvd.nist.gov/vuln/detail/", "GHSA": "https://github.com/advisories/"}


def advisory_id(name: str, text: str) -> str:
    m = _ID.match(text)
    if m:
        found = m.group(1)
        return found.upper() if found.upper().startswith("CVE") else "GHSA" + found[4:].lower()
    digest = hashlib.sha256(f"{name}\0{' '.join(text.split())}".encode()).hexdigest()[:8]
    return f"NIXPKGS-{re.sub(r'[^A-Za-z0-9._-]', '_', name)[:60]}-{digest}"


class NixpkgsMetaSource:
    name = "nixpkgs-meta"
    notes: tuple[str, ...] = ()

    def findings(self, targets: Sequence[Target]) -> list[Finding]:
        out = []
        for t in targets:
            for text in t.known_vulnerabilities:
                vid = advisory_id(t.name, text)
                prefix = vid.split("-", 1)[0]
                adv = Advisory(
                    id=vid,
                    source="nixpkgs",
                    summary=" ".join(text.split())[:600],
                    url=_URL[prefix] + vid if prefix in _URL else None,
                )
                out.append(
                    Finding(
                        advisory=adv,
                        ref=t.ref,
                        name=t.name,
                        version=t.version,
                        method="nixpkgs-meta",
                        evidence=f"meta.knownVulnerabilities: {' '.join(text.split())[:200]}",
                        closures=t.closures,
                        purl=t.purl,
                    )
                )
        return out

    def describe(self) -> str:
        return "nixpkgs meta.knownVulnerabilities"
