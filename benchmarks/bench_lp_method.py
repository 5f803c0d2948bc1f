"""Dual simplex or barrier: raw CBC on generated models of growing size, and what `--lp-method auto` picks.

The figures behind `solvers.base.BARRIER_MIN_CELLS`: for each size (products x channels x tiers x
periods) the model's internal MPS is solved by the CBC binary alone, once with ``-initialSolve`` (dual
simplex, what `simplex` runs) and once with ``-barrier`` (interior point, then crossover); the faster
method is marked, beside the one `auto` picks. ``--infeasible`` also times each size with a revenue
target no plan can meet (where the barrier is slow, which is why `auto` runs a simplex beside it).

    .venv/bin/python benchmarks/bench_lp_method.py                      # all sizes, ~5 minutes on 2 cores
    .venv/bin/python benchmarks/bench_lp_method.py --sizes 4x50x4x12,1x200x5x52 --repeats 3 --infeasible
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (benchmarks/generate.py)

import solvers.cbc as cbc_backend  # noqa: E402
from allocator.scenario.loader import load_scenario  # noqa: E402
from allocator.model.build import build_model  # noqa: E402
from solvers.base import BARRIER_MIN_CELLS, SolveOptions, lp_method  # noqa: E402
from solvers.mps import write_mps  # noqa: E402

DEFAULT_SIZES = ("1x50x4x12,2x50x4x12,4x50x4x12,4x50x4x24,8x50x4x12,2x100x5x26,1x100x5x52,1x200x5x26,"
                 "1x150x5x52,1x200x5x40,1x200x3x52,1x200x5x52,4x50x4x52")
METHODS = {"simplex": "-initialSolve", "barrier": "-barrier"}
IMPOSSIBLE_REVENUE = "targets.revenue=9e11"


def timed(args: list[str], limit: float) -> tuple[float, str]:
    """Wall seconds of one CBC run and the first word of its result line (Optimal, Infeasible, ...)."""
    started = time.perf_counter()
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=limit).stdout
    except subprocess.TimeoutExpired:
        return float("inf"), "timeout"
    seconds = time.perf_counter() - started
    return seconds, "optimal" if "Optimal objective" in out else "infeasible" if "nfeasible" in out else "other"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated PxCxTxM sizes")
    parser.add_argument("--repeats", type=int, default=1, help="runs per method (median)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--infeasible", action="store_true", help="also time each size with an impossible target")
    parser.add_argument("--limit", type=float, default=300.0, help="seconds before a run counts as a timeout")
    args = parser.parse_args(argv)

    cbc = str(cbc_backend.binary_path())
    print(f"CBC {cbc}; threshold BARRIER_MIN_CELLS = {BARRIER_MIN_CELLS:.0e} rows x columns")
    header = f"{'size':<12}{'case':<12}{'rows':>8}{'columns':>9}{'rows x cols':>13}{'simplex s':>11}{'barrier s':>11}" \
             f"{'faster':>9}{'auto':>9}"
    print(header)
    right = total = 0
    with tempfile.TemporaryDirectory(prefix="allocator-lp-method-") as tmp:
        for size in args.sizes.split(","):
            P, C, T, M = (int(v) for v in size.split("x"))
            scenario = generate.write(Path(tmp) / f"{size}.yaml", P, C, T, M, seed=args.seed)
            cases = [("feasible", ())] + ([("infeasible", (IMPOSSIBLE_REVENUE,))] if args.infeasible else [])
            for case, overrides in cases:
                lp = build_model(load_scenario(scenario, overrides).scenario).lp
                mps = Path(tmp) / f"{size}-{case}.mps"
                write_mps(lp, mps)
                seconds, words = {}, set()
                for method, flag in METHODS.items():
                    runs = [timed([cbc, str(mps), flag], args.limit) for _ in range(args.repeats)]
                    seconds[method] = statistics.median(s for s, _ in runs)
                    words.update(w for _, w in runs)
                faster = min(seconds, key=seconds.get)
                auto = lp_method(lp, SolveOptions())
                if case == "feasible":
                    total += 1
                    right += auto == faster or abs(seconds["simplex"] - seconds["barrier"]) < 0.1 * min(seconds.values())
                mps.unlink()
                print(f"{size:<12}{case:<12}{lp.n_rows:>8,}{lp.n_cols:>9,}{lp.n_rows * lp.n_cols:>13.2e}"
                      f"{seconds['simplex']:>11.2f}{seconds['barrier']:>11.2f}{faster:>9}{auto:>9}"
                      f"{'' if words == {'optimal'} else '  (' + ', '.join(sorted(words)) + ')'}", flush=True)
    print(f"\nauto picked the faster method (or one within 10% of it) on {right} of {total} feasible sizes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
