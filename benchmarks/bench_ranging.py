"""Benchmark: `allocator explain --ranging` on the bundled example, warm-started against today's cold path.

    python benchmarks/bench_ranging.py [--repeats 3] [--ranging 5]

Today's command is `allocator explain` with the default solver, CBC: one CBC process per probe of each
price range (CBC takes no warm start here, so that path is unchanged). With ``--solver highs`` the probes
re-solve from the last basis (solvers.warm); ``--cold`` solves each from scratch, as before.

Prints, for CBC, HiGHS --cold and HiGHS warm (medians of REPEATS runs):
1. the whole command's wall time (a fresh process each: start-up, load, the plan's own solve, the ranging,
   writing), and the speed-up of warm HiGHS against today's CBC command: the issue's target, at least 5x
   (PASS/FAIL); and against HiGHS --cold (the warm start alone);
2. the ranging alone (`Plan.explain` in this process, after the plan's solve), with the same ratios;
3. what the command costs without any ranging (``--ranging 0``: start-up, imports, load, the plan's solve,
   writing), which no warm start shortens, and where a warm probe's time goes: changing the scenario
   (schema validation), rebuilding the model, and the solve (the on/off channel's fixed LPs, duals,
   tie-break);
and checks that warm and cold HiGHS wrote byte-identical sensitivity.csv and marginal.csv.

Each figure is one run on this machine: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import allocator  # noqa: E402
import allocator.analysis.ranging as ranging  # noqa: E402
from measure import compiled, run_checked  # noqa: E402

EXAMPLE = REPO / "scenarios" / "example_q1.yaml"
TARGET = 5.0  # explain --ranging at least this many times faster than today's
MODES = {"cbc": ("--solver", "cbc"), "highs --cold": ("--solver", "highs", "--cold"), "highs warm": ("--solver", "highs")}


def cli() -> list[str]:
    script = Path(sys.executable).parent / "allocator"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "allocator"]


def command_seconds(flags: tuple, out: Path, ranging_count: int, repeats: int) -> float:
    compiled(REPO)  # as installed: the project's bytecode exists (see measure.compiled)
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        run_checked([*cli(), "explain", str(EXAMPLE), *flags, "--ranging", str(ranging_count), "--out", str(out),
                     "--force"])
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def ranging_seconds(solver: str, cold: bool, ranging_count: int, repeats: int) -> tuple[float, int]:
    """Median seconds of the ranging alone (the plan solved once, before), and its solves."""
    plan = allocator.solve(EXAMPLE, solver=solver, cold=cold)
    seconds, solves = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        solves = plan.explain(ranging_count).solves  # a fresh warm start each time, as each command makes
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), solves


def probe_breakdown(ranging_count: int) -> dict[str, float]:
    """Seconds per warm probe: scenario changed (validated), model rebuilt, solved."""
    spent = {"change": 0.0, "build": 0.0, "solve": 0.0}
    original = {name: getattr(ranging, name) for name in ("build_model", "solve_model")}

    def timed(name, function):
        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started
        return run

    plan = allocator.solve(EXAMPLE, solver="highs")
    levers = {}
    from allocator.scenario import levers as lever_module

    for cls in (lever_module.Lever, lever_module.PeriodLever):
        levers[cls] = cls.apply
        cls.apply = timed("change", cls.apply)
    ranging.build_model = timed("build", original["build_model"])
    ranging.solve_model = timed("solve", original["solve_model"])
    try:
        solves = plan.explain(ranging_count).solves
    finally:
        for cls, apply in levers.items():
            cls.apply = apply
        for name, function in original.items():
            setattr(ranging, name, function)
    return {name: value / max(1, solves) for name, value in spent.items()} | {"solves": solves}


def verdict(ratio: float) -> str:
    return "PASS" if ratio >= TARGET else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ranging", type=int, default=5, help="limits ranged (explain's default: 5)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        outs = {mode: Path(scratch) / mode.replace(" ", "_") for mode in MODES}
        wall = {mode: command_seconds(flags, outs[mode], args.ranging, args.repeats) for mode, flags in MODES.items()}
        fixed = command_seconds(MODES["highs warm"], Path(scratch) / "none", 0, args.repeats)
        for name in ("sensitivity.csv", "marginal.csv"):
            same = (outs["highs warm"] / name).read_bytes() == (outs["highs --cold"] / name).read_bytes()
            print(f"{name}: HiGHS warm and --cold byte-identical: {'yes' if same else 'NO'}")
            if not same:
                return 1

    inner = {"cbc": ranging_seconds("cbc", False, args.ranging, args.repeats),
             "highs --cold": ranging_seconds("highs", True, args.ranging, args.repeats),
             "highs warm": ranging_seconds("highs", False, args.ranging, args.repeats)}
    print(f"\nexplain --ranging {args.ranging} on the example ({inner['cbc'][1]} probes), medians of {args.repeats}:")
    print(f"{'':14}{'command (wall)':>16}{'ranging alone':>16}")
    for mode in MODES:
        print(f"{mode:14}{wall[mode]:>14.2f} s{inner[mode][0]:>14.2f} s")

    print(f"\ntarget: explain --ranging at least {TARGET:g}x faster than today's (allocator explain, CBC)")
    ratio = wall["cbc"] / wall["highs warm"]
    print(f"  whole command, CBC -> --solver highs (warm): {ratio:.2f}x  {verdict(ratio)}")
    ratio_inner = inner["cbc"][0] / inner["highs warm"][0]
    print(f"  ranging alone, CBC -> HiGHS warm:            {ratio_inner:.2f}x  {verdict(ratio_inner)}")
    print("the warm start alone (same solver, HiGHS --cold -> warm):")
    print(f"  whole command: {wall['highs --cold'] / wall['highs warm']:.2f}x;  ranging alone: "
          f"{inner['highs --cold'][0] / inner['highs warm'][0]:.2f}x")

    per_probe = probe_breakdown(args.ranging)
    print(f"\nthe command with --ranging 0 (HiGHS): {fixed:.2f} s of the warm command's {wall['highs warm']:.2f} s")
    print(f"per warm probe ({per_probe['solves']} probes): change the scenario {per_probe['change'] * 1e3:.1f} ms, "
          f"rebuild the model {per_probe['build'] * 1e3:.1f} ms, solve {per_probe['solve'] * 1e3:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
