"""Benchmark: the budget review pack (plan folder read back and verified, workbook, HTML report).

    python benchmarks/bench_report.py [--large 1x200x5x52]

Solves the bundled example and a generated plan (products x channels x tiers x
periods, benchmarks/generate.py), then times `allocator.report` on each folder:
reading and verifying the folder, building the sections, writing plan.xlsx and
report.html. Targets: the example's pack in under 2 s (a planner waits for it
in a meeting), the 1x200x5x52 plan's in under 30 s (about 51,000 allocation
rows in the workbook), both at least 3 runs, median reported.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import allocator  # noqa: E402

EXAMPLE = REPO / "scenarios" / "example_q1.yaml"
TARGETS = {"example": 2.0, "large": 30.0}  # seconds, median


def _pack_seconds(folder: Path, runs: int) -> tuple[float, int, int]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        pack = allocator.report(folder)
        times.append(time.perf_counter() - started)
    return statistics.median(times), pack.written["xlsx"].stat().st_size, pack.written["html"].stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large", default="1x200x5x52", help="products x channels x tiers x periods")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    products, channels, tiers, periods = (int(n) for n in args.large.split("x"))
    ok = True
    with tempfile.TemporaryDirectory() as root:
        root = Path(root)
        scenario = root / "large.yaml"
        subprocess.run([sys.executable, str(REPO / "benchmarks" / "generate.py"), "--products", str(products),
                        "--channels", str(channels), "--tiers", str(tiers), "--periods", str(periods), "--seed", "1",
                        "--out", str(scenario)], check=True, capture_output=True)
        for name, source in (("example", EXAMPLE), ("large", scenario)):
            folder = root / name
            plan = allocator.solve(source, out=folder)
            seconds, xlsx, html = _pack_seconds(folder, args.runs)
            rows = len(plan.allocation)
            passed = seconds <= TARGETS[name]
            ok &= passed
            print(f"{name}: {rows:,} allocation rows; review pack {seconds:.2f} s (median of {args.runs}; target "
                  f"{TARGETS[name]:.0f} s) -> {'PASS' if passed else 'FAIL'}; plan.xlsx {xlsx / 1024:,.0f} KiB, "
                  f"report.html {html / 1024:,.0f} KiB")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
