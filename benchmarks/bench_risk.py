"""Benchmark: `allocator risk` on one core against all cores, and proof the numbers do not change.

    python benchmarks/bench_risk.py [--samples 1000000] [--workers 2]

Times, for the example plan, (1) the Monte Carlo of --samples samples and
(2) the --confidence 0.9 buffer search (2,000 samples per buffer), each on
one process and on --workers processes, and checks the results are
identical. Prints the medians of 3 runs and the speed-up of each.
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

import pandas as pd  # noqa: E402

from allocator.solving.pipeline import solve_file  # noqa: E402
from allocator.whatif.risk import risk_table, smallest_buffer  # noqa: E402
from solvers import SolveOptions  # noqa: E402

EXAMPLE = REPO / "scenarios" / "example_q1.yaml"


REPEATS = 3


def timed(function, *args, **kwargs):
    """The result and the median seconds of REPEATS calls."""
    seconds = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = function(*args, **kwargs)
        seconds.append(time.perf_counter() - started)
    return result, statistics.median(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    solved = solve_file(EXAMPLE, objective="min_spend")
    s = solved.loaded.scenario
    print(f"example plan: {solved.model.cells.size} cells, {len(s.uncertainty)} uncertainty entries")

    table_1, t1 = timed(risk_table, solved.model, solved.x, args.samples, 7, workers=1)
    table_n, tn = timed(risk_table, solved.model, solved.x, args.samples, 7, workers=args.workers)
    pd.testing.assert_frame_equal(table_1, table_n)
    print(f"Monte Carlo, {args.samples:,} samples: 1 process {t1:.2f} s, {args.workers} processes {tn:.2f} s "
          f"(speed-up {t1 / tn:.2f}x); identical: yes")

    search = (s, "min_spend", 0.9, 2000, 7, "cbc", SolveOptions())
    (buffer_1, trail_1), b1 = timed(smallest_buffer, *search, workers=1)
    (buffer_n, trail_n), bn = timed(smallest_buffer, *search, workers=args.workers)
    assert buffer_1 == buffer_n
    pd.testing.assert_frame_equal(pd.DataFrame(trail_1), pd.DataFrame(trail_n))
    print(f"buffer search at 90%: {len(trail_1)} solves, smallest buffer {buffer_1:.2%}; 1 process {b1:.2f} s, "
          f"{args.workers} processes {bn:.2f} s (speed-up {b1 / bn:.2f}x); identical: yes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
