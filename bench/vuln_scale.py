"""Benchmark: matching a 20,000-component SBOM against a full-size NVD index (~300,000 CVEs).

Targets (see bench/README.md): loading the index < 1 s; matching 20,000 components < 5 s and < 1 GiB
peak RSS. Each figure is printed with its ratio to a floor measured in the same run: reading the index
file's bytes (the least any matcher of that index must do).

    .venv/bin/python bench/vuln_scale.py                 # 300,000 CVEs, 20,000 components
    .venv/bin/python bench/vuln_scale.py --cves 50000 --components 5000 --json

The synthetic data is deterministic (seeded) and shaped like NVD's: ~45% of CVEs name one product,
the rest two to five; a few products carry thousands of CVEs (linux_kernel has ~20,000 real ones);
configurations mix version ranges, exact versions, AND nodes with a platform (vulnerable: false) and
ecosystem-specific entries. Components are a mix of explicit CPEs (vendor known), curated-style CPEs
and pname guesses (vendor unknown): the 50 most named products once each (a large closure has a
kernel, browsers, interpreters), and ~1/3 of the others naming a product the index knows.
Matching runs in a child process so that its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from nix_attest.vuln.index import NvdIndex, encode
from nix_attest.vuln.model import CpeId, Target
from nix_attest.vuln.nvdmatch import NvdMatcher, environment

VENDORS = 30_000
PRODUCTS = 120_000


def product(i: int) -> tuple[str, str]:
    return (f"vendor{i % VENDORS}", f"product{i}")


def popular(rng: random.Random) -> int:
    """A product, with NVD's skew: product 0 is named by ~20,000 CVEs (as linux_kernel is), products
    1-20 by ~2,000 each (browsers, php, ...), 21-200 by ~400 each, the other ~120,000 by a few each."""
    r = rng.random()
    if r < 0.03:
        return 0
    if r < 0.08:
        return rng.randrange(1, 21)
    if r < 0.18:
        return rng.randrange(21, 201)
    return rng.randrange(201, PRODUCTS)


def version(rng: random.Random, major: int = 0) -> str:
    return f"{major or rng.randrange(0, 12)}.{rng.randrange(0, 30)}.{rng.randrange(0, 40)}"


def release_range(rng: random.Random) -> tuple[str, str]:
    """A range within one major release line: ``>= M.a.0, < M.b.c``."""
    major, minor = rng.randrange(0, 12), rng.randrange(0, 25)
    return f"{major}.{minor}.0", f"{major}.{minor + rng.randrange(1, 5)}.{rng.randrange(0, 40)}"


def match_entry(rng: random.Random, i: int) -> list[Any]:
    vendor, name = product(i)
    kind = rng.random()
    target_sw = "node.js" if rng.random() < 0.03 else "*"
    if kind < 0.5:  # a range within a release line
        start, end = release_range(rng)
        return [1, "a", vendor, name, "*", "*", target_sw, start, None, None, end]
    if kind < 0.8:  # every version before a fix
        return [1, "a", vendor, name, "*", "*", target_sw, None, None, None, version(rng)]
    return [1, "a", vendor, name, version(rng), "*", target_sw, None, None, None, None]


def cve(rng: random.Random, n: int) -> dict[str, Any]:
    configs = []
    names = 1 if rng.random() < 0.45 else rng.randrange(2, 6)
    for _ in range(names):
        entries = [match_entry(rng, popular(rng)) for _ in range(rng.randrange(1, 4))]
        if rng.random() < 0.1:  # an application on a platform
            platform = [[0, "o", "linux", "linux_kernel", "-", "*", "*", None, None, None, None]]
            configs.append(["AND", 0, [["OR", 0, entries], ["OR", 0, platform]]])
        else:
            configs.append(["OR", 0, [["OR", 0, entries]]])
    score = round(rng.uniform(1.0, 10.0), 1)
    return {
        "id": f"CVE-{1999 + n % 27}-{n:07d}",
        "p": "2020-01-01",
        "m": "2024-01-01T00:00:00.000",
        "d": "A synthetic vulnerability description of typical length. " * 4,
        "r": [
            [
                "CVSSv31",
                "high" if score >= 7 else "medium",
                score,
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "nvd@nist.gov",
            ]
        ],
        "c": configs,
    }


def targets(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Distinct packages: the 50 most popular products once each (a closure has one linux, one
    openssl, ...), ~1/3 of the rest products the index knows, the others unknown to it."""
    known = iter(rng.sample(range(200, PRODUCTS), count))
    out = []
    for n in range(count):
        i = n if n < 50 else next(known) if rng.random() < 0.33 else PRODUCTS + n
        vendor, name = product(i)
        source = rng.choice(["meta", "curated", "heuristic", "heuristic"])
        if source == "heuristic":
            vendor = "*"
        ver = version(rng, major=rng.randrange(6, 12))  # packages are mostly recent releases
        out.append(
            {
                "ref": f"/nix/store/{n:032d}-{name}-{ver}",
                "name": name,
                "version": ver,
                "cpe": f"cpe:2.3:a:{vendor}:{name}:{ver}:*:*:*:*:*:*:*",
                "source": source,
            }
        )
    return out


def peak_rss() -> int:
    """This process's peak RSS in bytes: VmHWM on Linux (ru_maxrss survives exec: a child forked from
    the big generating parent would report the parent's peak), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)


def child(index_path: str, targets_path: str, cpu: bool, floor_only: bool = False) -> None:
    """Load and match in a fresh process; print JSON timings and peak RSS."""
    items = json.loads(Path(targets_path).read_text())
    ts = [
        Target(ref=t["ref"], name=t["name"], version=t["version"], cpes=(CpeId(t["cpe"], t["source"]),))
        for t in items
    ]
    clock = time.process_time if cpu else time.perf_counter
    if floor_only:  # the floor, in a process of its own (its RSS is the file's size)
        start = clock()
        with Path(index_path).open("rb") as fh:
            fh.read()
        print(json.dumps({"floor": clock() - start}))
        return
    start = clock()
    index = NvdIndex(Path(index_path))
    load = clock() - start
    start = clock()
    found = NvdMatcher(index, environment("x86_64-linux", ts)).match_all(ts)
    match = clock() - start
    rss = peak_rss()
    print(json.dumps({"load": load, "match": match, "findings": len(found), "rss": rss}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cves", type=int, default=300_000)
    ap.add_argument("--components", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--cpu",
        action="store_true",
        help="measure CPU time instead of wall time (for a busy machine; the floor is then CPU time too)",
    )
    ap.add_argument("--child", nargs=2, metavar=("INDEX", "TARGETS"), help=argparse.SUPPRESS)
    ap.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--keep", metavar="DIR", help="write the index and the components here and keep them")
    args = ap.parse_args()
    if args.child:
        child(*args.child, cpu=args.cpu, floor_only=args.floor)
        return 0
    rng = random.Random(20261201)
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or scratch
        Path(tmp).mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        records = {r["id"]: r for r in (cve(rng, n) for n in range(args.cves))}
        data = encode(records, {"built": "bench"})
        build = time.perf_counter() - start
        index_path = Path(tmp) / "index.nxi"
        index_path.write_bytes(data)
        del records, data
        targets_path = Path(tmp) / "targets.json"
        targets_path.write_text(json.dumps(targets(rng, args.components)))
        runs = []
        command = [sys.executable, __file__, "--child", str(index_path), str(targets_path)]
        command += ["--cpu"] if args.cpu else []
        for _ in range(args.runs):  # interleaved: the floor and the measurement see the same machine
            floor = subprocess.run([*command, "--floor"], check=True, capture_output=True, text=True).stdout
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            runs.append({**json.loads(out), **json.loads(floor)})
        size = index_path.stat().st_size
    med = {k: statistics.median(r[k] for r in runs) for k in ("floor", "load", "match", "rss")}
    result = {
        "cves": args.cves,
        "components": args.components,
        "index_bytes": size,
        "build_s": round(build, 2),
        "read_floor_s": round(med["floor"], 3),
        "load_s": round(med["load"], 3),
        "match_s": round(med["match"], 3),
        "load_ratio": round(med["load"] / med["floor"], 1),
        "load_match_ratio": round((med["load"] + med["match"]) / med["floor"], 1),
        "findings": runs[0]["findings"],
        "peak_rss_mib": round(med["rss"] / 2**20),
        "clock": "cpu" if args.cpu else "wall",
        "targets": {"load_s": 1.0, "match_s": 5.0, "peak_rss_mib": 1024},
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"synthetic NVD index: {args.cves} CVEs, {size / 2**20:.0f} MiB (built in {build:.1f} s)")
        print(f"read the index file (floor):  {med['floor']:.3f} s")
        print(
            f"load the index:               {med['load']:.3f} s  "
            f"({result['load_ratio']}x floor; target < 1 s)"
        )
        print(f"match {args.components} components:     {med['match']:.3f} s  (target < 5 s)")
        print(
            f"load + match:                 {result['load_match_ratio']}x floor, "
            f"{result['findings']} findings"
        )
        print(f"peak RSS of load + match:     {result['peak_rss_mib']} MiB (target < 1024 MiB)")
    ok = med["load"] < 1.0 and med["match"] < 5.0 and med["rss"] < 2**30
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
