"""Benchmark: a 1,000-variant budget sweep of the example against 1,000 single solves spread over the cores.

    python benchmarks/bench_sweep.py [--variants 1000] [--workers 2]

Prints the median time of one variant solved in-process (load + build +
solve + totals, the same work a sweep does per point), the sweep's wall
time, and the ratio to the target: variants x one solve / workers x 1.5.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from allocator.whatif.sweep import Axis, run_sweep, solve_variant  # noqa: E402
from solvers import SolveOptions  # noqa: E402

EXAMPLE = REPO / "scenarios" / "example_q1.yaml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variants", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    singles = []
    for i in range(21):
        started = time.perf_counter()
        row = solve_variant(str(EXAMPLE), (f"budget.total={2.6e6 + i * 1e5}",), None, "cbc", SolveOptions())
        singles.append(time.perf_counter() - started)
        assert row["status"] == "optimal", row
    one = statistics.median(singles)

    values = tuple(2.6e6 + i * (3.0e6 / args.variants) for i in range(args.variants))
    started = time.perf_counter()
    frame = run_sweep(EXAMPLE, [Axis("budget.total", values)], workers=args.workers)
    wall = time.perf_counter() - started
    target = 1.5 * args.variants * one / args.workers
    print(f"one variant (median of 21, in-process): {one * 1000:.1f} ms")
    print(f"sweep of {args.variants} variants on {args.workers} workers: {wall:.1f} s "
          f"({', '.join(f'{k} {v}' for k, v in frame['status'].value_counts().items())})")
    print(f"ideal {args.variants} x one / {args.workers} = {args.variants * one / args.workers:.1f} s; "
          f"target 1.5x that = {target:.1f} s; ratio to ideal {wall / (args.variants * one / args.workers):.2f} "
          f"-> {'PASS' if wall <= target else 'FAIL'}")
    return 0 if wall <= target else 1


if __name__ == "__main__":
    raise SystemExit(main())
