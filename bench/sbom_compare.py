"""Benchmark: the same buildtime SBOM made by two nix-attest checkouts, interleaved (CPU and wall time).

Not a timed test: run it by hand. Typical use, against the commit before issue 11's work::

    git worktree add --detach /tmp/nix-attest-base 2bba87e && make -C /tmp/nix-attest-base setup
    NIX_CONFIG="substituters =" .venv/bin/python bench/sbom_compare.py --baseline /tmp/nix-attest-base

Each checkout runs with its own virtualenv (``CHECKOUT/.venv/bin/nix-attest``, so each gets the
dependencies its own ``pyproject.toml`` asks for): ``nix-attest sbom -f FILE -A root --no-build -o OUT
--quiet`` on the graph ``bench/sbom_scale.py`` generates for each size (the same file for both). After
one untimed warm-up run of each (byte-compilation, the store's ``.drv`` files), REPEAT rounds run both
one after the other, alternating which goes first, and each run's CPU time (user + system of the process
tree: nix-attest and its Nix children, from ``wait4``) and wall time are recorded.

Reported per size: the median CPU and wall seconds of each and two ratios candidate/baseline: of the
medians, and the median of the per-round ratios (the two runs of a round share the machine's load, so
this one is the steadier on a shared machine). CPU time is the figure to compare when other jobs share the
cores: it does not count the time spent waiting for a core. Target (issue 11): the CycloneDX CPU ratio at
20k <= 1.10; exit status 1 when it is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sbom_scale import generate, log, nix_env  # the graph generator, shared

TARGET = 1.10  # candidate CPU time / baseline CPU time at 20k (issue 11)


@dataclass
class Side:
    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)


@dataclass
class Row:
    size: int
    candidate: Side = field(default_factory=Side)
    baseline: Side = field(default_factory=Side)

    def ratio_of_medians(self, kind: str) -> float:
        cand, base = getattr(self.candidate, kind), getattr(self.baseline, kind)
        return statistics.median(cand) / statistics.median(base)

    def median_of_ratios(self, kind: str) -> float:
        cand, base = getattr(self.candidate, kind), getattr(self.baseline, kind)
        return statistics.median(c / b for c, b in zip(cand, base, strict=True))


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds of the process tree, wall seconds) of one run; the command must succeed."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert proc.stderr is not None
    err = proc.stderr.read()  # nothing much with --quiet; read before waiting so a pipe cannot fill
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = err.decode(errors="replace")[-2000:]
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{tail}")
    return usage.ru_utime + usage.ru_stime, wall


def tool(checkout: Path) -> Path:
    exe = checkout / ".venv" / "bin" / "nix-attest"
    if not exe.is_file():
        raise SystemExit(f"{exe}: missing (run `make setup` in {checkout})")
    return exe


def bench_size(
    size: int, work: Path, cand: Path, base: Path, repeat: int, fmt: str, env: dict[str, str]
) -> Row:
    nix_file = work / f"graph-{size}.nix"
    nix_file.write_text(generate(size).text, encoding="utf-8")
    inst = subprocess.run(
        ["nix-instantiate", str(nix_file), "-A", "root"], capture_output=True, text=True, env=env, check=False
    )
    if inst.returncode != 0:
        raise SystemExit(f"nix-instantiate failed for size {size}:\n{inst.stderr[-3000:]}")

    def cmd(exe: Path, name: str) -> list[str]:
        out = work / f"sbom-{size}-{name}.json"
        extra = ["--format", fmt] if fmt != "cyclonedx" else []
        args = ["sbom", "-f", str(nix_file), "-A", "root", "--no-build", "-o", str(out), "--quiet"]
        return [str(exe), *args, *extra]

    sides = {"candidate": cmd(tool(cand), "candidate"), "baseline": cmd(tool(base), "baseline")}
    for c in sides.values():  # warm-up, not timed
        run_once(c, env)
    row = Row(size)
    for r in range(repeat):
        order = ["candidate", "baseline"] if r % 2 == 0 else ["baseline", "candidate"]
        for name in order:
            cpu, wall = run_once(sides[name], env)
            side: Side = getattr(row, name)
            side.cpu.append(cpu)
            side.wall.append(wall)
        log(
            f"[{size}] round {r + 1}/{repeat}: candidate {row.candidate.cpu[-1]:.2f} s CPU "
            f"[{row.candidate.wall[-1]:.2f}], baseline {row.baseline.cpu[-1]:.2f} s CPU "
            f"[{row.baseline.wall[-1]:.2f}]"
        )
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", required=True, metavar="CHECKOUT", help="the checkout to compare with")
    ap.add_argument(
        "--candidate",
        metavar="CHECKOUT",
        default=str(Path(__file__).resolve().parent.parent),
        help="the checkout measured (default: this one)",
    )
    ap.add_argument("--sizes", default="20000", help="comma-separated graph sizes (20000)")
    ap.add_argument("--repeat", type=int, default=7, help="rounds per size; medians are reported (7)")
    ap.add_argument("--format", default="cyclonedx", choices=["cyclonedx", "spdx"], help="SBOM format")
    ap.add_argument("--keep", metavar="DIR", help="write the .nix files and SBOMs here and keep them")
    ap.add_argument("--json", action="store_true", help="print the results as JSON instead of the table")
    args = ap.parse_args(argv)
    if args.format == "spdx":
        log("note: --format spdx needs a baseline that writes SPDX (2bba87e does not)")
    sizes = [int(s.replace("_", "").replace("k", "000")) for s in args.sizes.split(",") if s.strip()]
    cand, base = Path(args.candidate).resolve(), Path(args.baseline).resolve()
    env = nix_env()
    tmp = None
    if args.keep:
        work = Path(args.keep)
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="sbom-compare-")
        work = Path(tmp.name)
    try:
        rows = [bench_size(s, work, cand, base, args.repeat, args.format, env) for s in sizes]
    finally:
        if tmp is not None:
            tmp.cleanup()
    big = next((r for r in rows if r.size == 20_000), None)
    verdict = big.median_of_ratios("cpu") <= TARGET if big else None
    if args.json:
        doc = {
            "candidate": str(cand),
            "baseline": str(base),
            "format": args.format,
            "repeat": args.repeat,
            "rows": [
                {
                    **asdict(r),
                    "cpu_ratio_of_medians": r.ratio_of_medians("cpu"),
                    "cpu_median_of_ratios": r.median_of_ratios("cpu"),
                    "wall_ratio_of_medians": r.ratio_of_medians("wall"),
                    "wall_median_of_ratios": r.median_of_ratios("wall"),
                }
                for r in rows
            ],
            "target_20k_cpu_le_1_1x": verdict,
        }
        print(json.dumps(doc, indent=2))
    else:
        print(f"nix-attest sbom --no-build ({args.format}), {cand} vs {base}; {args.repeat} rounds, medians")
        print("CPU = user+sys of the process tree; ratios candidate/baseline: of the medians | per round")
        head = (
            f"{'size':>6} {'cand CPU':>9} {'base CPU':>9} {'CPU ratio':>15} "
            f"{'cand wall':>10} {'base wall':>10} {'wall ratio':>15}"
        )
        print(head)
        print("-" * len(head))
        med = statistics.median
        for r in rows:
            cand_s, base_s = r.candidate, r.baseline
            print(
                f"{r.size:>6} {med(cand_s.cpu):>9.2f} {med(base_s.cpu):>9.2f} "
                f"{r.ratio_of_medians('cpu'):>6.3f} | {r.median_of_ratios('cpu'):>5.3f} "
                f"{med(cand_s.wall):>10.2f} {med(base_s.wall):>10.2f} "
                f"{r.ratio_of_medians('wall'):>6.3f} | {r.median_of_ratios('wall'):>5.3f}"
            )
        if big:
            print()
            print(
                f"target 20k CPU <= {TARGET:g}x baseline (median per round) "
                f"{big.median_of_ratios('cpu'):.3f}  {'PASS' if verdict else 'FAIL'}"
            )
    return 1 if verdict is False else 0


if __name__ == "__main__":
    sys.exit(main())
