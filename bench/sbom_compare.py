"""Benchmark: the same buildtime SBOM made by several nix-attest checkouts, interleaved (CPU and wall time).

Not a timed test: run it by hand. Typical use, against the commit before issue 11's work::

    git worktree add --detach /tmp/nix-attest-base 2bba87e && make -C /tmp/nix-attest-base setup
    NIX_CONFIG="substituters =" .venv/bin/python bench/sbom_compare.py --baseline /tmp/nix-attest-base

Each checkout runs with its own virtualenv (``CHECKOUT/.venv/bin/nix-attest``, so each gets the
dependencies its own ``pyproject.toml`` asks for): ``nix-attest sbom -f FILE -A root --no-build -o OUT
--quiet`` on the graph ``bench/sbom_scale.py`` generates for each size (the same file for all). After one
untimed warm-up run of each (byte-compilation, the store's ``.drv`` files), REPEAT rounds run every
checkout once, the order rotating from round to round, and each run's CPU time (user + system of the
process tree: nix-attest and its Nix children, from ``wait4``) and wall time are recorded.

Reported per size and checkout (this one, and any ``--also`` checkouts): the median CPU and wall seconds
and two ratios to the baseline: of the medians, and the median of the per-round ratios (the runs of a
round share the machine's load, so this one is the steadier on a shared machine). CPU time is the figure
to compare when other jobs share the cores: it does not count the time spent waiting for a core.
Target (issue 11): this checkout's CycloneDX CPU time at 20k <= 1.10x the baseline's (median per round);
exit status 1 when it is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sbom_scale import generate, log, nix_env, work_dir  # the graph generator, shared

TARGET = 1.10  # candidate CPU time / baseline CPU time at 20k (issue 11)
BASELINE = "baseline"
CANDIDATE = "candidate"


@dataclass
class Runs:
    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)

    def median(self, kind: str) -> float:
        return statistics.median(getattr(self, kind))


@dataclass
class Row:
    size: int
    runs: dict[str, Runs]  # by checkout label; BASELINE among them

    def ratio_of_medians(self, label: str, kind: str) -> float:
        return self.runs[label].median(kind) / self.runs[BASELINE].median(kind)

    def median_of_ratios(self, label: str, kind: str) -> float:
        mine, base = getattr(self.runs[label], kind), getattr(self.runs[BASELINE], kind)
        return statistics.median(c / b for c, b in zip(mine, base, strict=True))


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
    size: int, work: Path, checkouts: dict[str, Path], repeat: int, fmt: str, env: dict[str, str]
) -> Row:
    nix_file = work / f"graph-{size}.nix"
    nix_file.write_text(generate(size).text, encoding="utf-8")
    inst = subprocess.run(
        ["nix-instantiate", str(nix_file), "-A", "root"], capture_output=True, text=True, env=env, check=False
    )
    if inst.returncode != 0:
        raise SystemExit(f"nix-instantiate failed for size {size}:\n{inst.stderr[-3000:]}")

    def cmd(exe: Path, index: int) -> list[str]:
        out = work / f"sbom-{size}-{index}.json"
        extra = ["--format", fmt] if fmt != "cyclonedx" else []
        args = ["sbom", "-f", str(nix_file), "-A", "root", "--no-build", "-o", str(out), "--quiet"]
        return [str(exe), *args, *extra]

    cmds = {label: cmd(tool(path), i) for i, (label, path) in enumerate(checkouts.items())}
    for c in cmds.values():  # warm-up, not timed
        run_once(c, env)
    row = Row(size, {label: Runs() for label in cmds})
    labels = list(cmds)
    for r in range(repeat):
        order = labels[r % len(labels) :] + labels[: r % len(labels)]  # who goes first rotates
        for label in order:
            cpu, wall = run_once(cmds[label], env)
            row.runs[label].cpu.append(cpu)
            row.runs[label].wall.append(wall)
        log(
            f"[{size}] round {r + 1}/{repeat}: "
            + ", ".join(f"{k} {v.cpu[-1]:.2f} s CPU [{v.wall[-1]:.2f}]" for k, v in row.runs.items())
        )
    return row


def print_table(rows: list[Row], checkouts: dict[str, Path], fmt: str, repeat: int) -> None:
    print(f"nix-attest sbom --no-build ({fmt}); {repeat} rounds, medians; checkouts:")
    for label, path in checkouts.items():
        print(f"  {label:>10}: {path}")
    print("CPU = user+sys of the process tree; ratios to the baseline: of the medians | per round")
    head = f"{'size':>6} {'checkout':>10} {'CPU s':>7} {'CPU ratio':>15} {'wall s':>7} {'wall ratio':>15}"
    print(head)
    print("-" * len(head))
    for r in rows:
        for label, runs in r.runs.items():
            cpu_ratio = wall_ratio = ""
            if label != BASELINE:
                cpu_ratio = f"{r.ratio_of_medians(label, 'cpu'):.3f} | {r.median_of_ratios(label, 'cpu'):.3f}"
                wall_ratio = (
                    f"{r.ratio_of_medians(label, 'wall'):.3f} | {r.median_of_ratios(label, 'wall'):.3f}"
                )
            print(
                f"{r.size:>6} {label:>10} {runs.median('cpu'):>7.2f} {cpu_ratio:>15} "
                f"{runs.median('wall'):>7.2f} {wall_ratio:>15}"
            )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", required=True, metavar="CHECKOUT", help="the checkout to compare with")
    ap.add_argument(
        "--candidate",
        metavar="CHECKOUT",
        default=str(Path(__file__).resolve().parent.parent),
        help="the checkout the target is for (default: this one)",
    )
    ap.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="LABEL=CHECKOUT",
        help="a further checkout measured in the same rounds (e.g. before=/tmp/nix-attest-main)",
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
    checkouts = {CANDIDATE: Path(args.candidate).resolve()}
    for item in args.also:
        label, sep, path = item.partition("=")
        if not sep or not label or label in (CANDIDATE, BASELINE) or label in checkouts:
            raise SystemExit(f"--also {item!r}: expected LABEL=CHECKOUT with a new label")
        checkouts[label] = Path(path).resolve()
    checkouts[BASELINE] = Path(args.baseline).resolve()
    env = nix_env()
    with work_dir(args.keep, "sbom-compare-") as work:
        rows = [bench_size(s, work, checkouts, args.repeat, args.format, env) for s in sizes]
    big = next((r for r in rows if r.size == 20_000), None)
    verdict = big.median_of_ratios(CANDIDATE, "cpu") <= TARGET if big else None
    if args.json:
        doc = {
            "checkouts": {k: str(v) for k, v in checkouts.items()},
            "format": args.format,
            "repeat": args.repeat,
            "rows": [
                {
                    "size": r.size,
                    "runs": {k: {"cpu": v.cpu, "wall": v.wall} for k, v in r.runs.items()},
                    "ratios": {
                        k: {
                            "cpu_ratio_of_medians": r.ratio_of_medians(k, "cpu"),
                            "cpu_median_of_ratios": r.median_of_ratios(k, "cpu"),
                            "wall_ratio_of_medians": r.ratio_of_medians(k, "wall"),
                            "wall_median_of_ratios": r.median_of_ratios(k, "wall"),
                        }
                        for k in r.runs
                        if k != BASELINE
                    },
                }
                for r in rows
            ],
            "target_20k_cpu_le_1_1x": verdict,
        }
        print(json.dumps(doc, indent=2))
    else:
        print_table(rows, checkouts, args.format, args.repeat)
        if big:
            print()
            print(
                f"target 20k CPU <= {TARGET:g}x baseline (median per round) "
                f"{big.median_of_ratios(CANDIDATE, 'cpu'):.3f}  {'PASS' if verdict else 'FAIL'}"
            )
    return 1 if verdict is False else 0


if __name__ == "__main__":
    sys.exit(main())
