"""Benchmark: check a 20,000-component SBOM with every built-in rule and 5 CEL rules.

Prints the time against a floor measured in the same run (``json.loads`` of the same SBOM text) and the
ratio. Not a timed test: run it by hand, ``python bench/policy_scale.py [N]``. Target: the check < 2 s.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

from nix_attest.policy import evaluate, load_policy
from nix_attest.sbom.cyclonedx import dumps_sbom
from nix_attest.sbom.model import Component, FixedOutput, Hash, License, Sbom, SbomMeta
from nix_attest.sbom.read import loads_sbom

LICENSES = [
    "MIT",
    "Apache-2.0",
    "BSD-3-Clause",
    "GPL-2.0-or-later",
    "LGPL-2.1-only",
    "MIT OR Apache-2.0",
    "GPL-3.0-only",
    "Zlib",
    "ISC",
    "Weird-License",
    "GPL-2.0-only WITH Classpath-exception-2.0",
]

POLICY = """
fail-on: error
licenses:
  allow: [MIT, Apache-2.0, BSD-3-Clause, ISC, Zlib, LGPL-2.1-or-later, GPL-3.0-only]
  deny: [GPL-3.0-only]
  unknown: warn
packages:
  deny:
    - openssl < 3.0.13
    - {purl: "pkg:nix/xz*", version: ">= 5.6.0, < 5.6.2", reason: backdoor}
    - "leftpad*"
required: {runtime: [purl, license, hashes], buildtime: [version]}
sources: {allowed-schemes: [https, mirror], allowed-hosts: ["*.gnu.org", github.com, gnu]}
reproducible: warn
closure: {max-components: 100000, max-runtime-bytes: 100 GiB}
rules:
  - {id: c1, expr: 'component.version == null || !component.version.contains("rc")', message: "{name} rc"}
  - {id: c2, expr: 'component.purl != null && purl_matches(component.purl, "pkg:nix/*")', message: purl}
  - {id: c3, expr: '!version_in(component.version, "< 0.1")', message: ancient}
  - {id: c4, expr: 'component.nar_size == null || component.nar_size < 500000000', message: huge}
  - {id: c5, expr: 'component.license == null || spdx_allows(component.license, ["MIT", "Apache-2.0"])',
     message: "{name} not permissive", severity: warning}
waivers:
  - {rule: licenses.deny, component: "pkg-1*", reason: bench}
"""


def component(i: int) -> Component:
    name = f"pkg-{i}"
    version = f"{i % 7}.{i % 13}.{i % 5}"
    path = f"/nix/store/{i:032d}-{name}-{version}"
    runtime = i % 3 != 0
    fo = None
    if i % 10 == 0:
        url = "https://ftp.gnu.org/x.tar.gz" if i % 20 else "http://example.org/x.tar.gz"
        fo = FixedOutput("flat", "sha256", "ab" * 32, (url,))
    return Component(
        ref=path,
        name=name,
        version=version,
        store_path=path,
        purl=f"pkg:nix/{name}@{version}",
        closures=("runtime",) if runtime else ("buildtime",),
        licenses=(License(expression=LICENSES[i % len(LICENSES)]),),
        hashes=(Hash("SHA-256", f"{i:064x}"),),
        nar_size=1000 + i,
        fixed_output=fo,
    )


def build(n: int) -> Sbom:
    root = Component(
        ref="/nix/store/" + "r" * 32 + "-app-1.0",
        name="app",
        version="1.0",
        store_path="/nix/store/" + "r" * 32 + "-app-1.0",
        closures=("runtime",),
        nar_size=1,
    )
    comps = tuple(sorted((component(i) for i in range(n)), key=lambda c: c.ref))
    meta = SbomMeta(installable=".#app", closure="runtime", tool_version="bench")
    return Sbom(root=root, components=comps, dependencies={root.ref: tuple(c.ref for c in comps)}, meta=meta)


def best_of(runs: int, fn):  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    text = dumps_sbom(build(n), "1.6")
    with tempfile.TemporaryDirectory() as tmp:
        policy_path = Path(tmp) / "policy.yaml"
        policy_path.write_text(POLICY)
        floor, _ = best_of(3, lambda: json.loads(text))
        t_load, sbom = best_of(3, lambda: loads_sbom(text))
        t_policy, policy = best_of(3, lambda: load_policy(policy_path))
        now = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
        t_check, report = best_of(3, lambda: evaluate(policy, sbom, now))
    print(f"components: {n}; violations: {len(report.violations)} ({len(report.active)} active)")
    print(f"floor  json.loads(SBOM):            {floor:7.3f} s")
    print(f"read   loads_sbom (not policy's):   {t_load:7.3f} s  ({t_load / floor:5.1f}x floor)")
    print(f"policy load + compile:              {t_policy:7.3f} s")
    print(
        f"check  evaluate (built-ins + 5 CEL): {t_check:6.3f} s ({t_check / floor:5.1f}x floor), target < 2 s"
    )


if __name__ == "__main__":
    main()
