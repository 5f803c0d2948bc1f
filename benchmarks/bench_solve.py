"""Speed benchmarks: file -> CSVs against raw CBC runs on the model's MPS, peak memory, CLI start-up.

Baselines, each the CBC binary alone on the same linear program with CBC's default method (dual
simplex):
- the exported MPS (`allocator solve --export-model`: PuLP's file with readable names, run with
  ``-max`` when the plan maximises): the reference the speed bar is stated against;
- the internal MPS the `cbc` backend writes (short generated names, less than half the size, so
  CBC reads it faster): a stricter reference, printed beside it.
When the plan's `--lp-method auto` picks the barrier, raw CBC ``-barrier`` on the internal MPS is
timed as well: the ratio to it is the planner's own overhead around the method it chose.

    .venv/bin/python benchmarks/bench_solve.py [--repeats 3] [--sizes small,large] [--seed 1]
    .venv/bin/python benchmarks/bench_solve.py --profile large      # cProfile of one in-process run

See benchmarks/README.md for what each figure means. Nothing outside a
temporary folder is written (unless --keep or --json is given).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (benchmarks/generate.py)
from measure import compiled, median, python_only_rss, run_checked, summed_tree_rss, time_v, timed  # noqa: E402

import solvers.cbc as cbc_backend  # noqa: E402
from allocator.io.output import run_inputs, write_folder  # noqa: E402
from allocator.solving.pipeline import run_record, solve_file  # noqa: E402
from solvers import Status  # noqa: E402
from solvers.mps import write_mps  # noqa: E402
from solvers.base import Sense, SolveOptions, lp_method  # noqa: E402
from allocator.io.export import export_texts  # noqa: E402

# The checkout whose `allocator` is imported: normally ROOT; another folder when PYTHONPATH points at a snapshot.
LIB_ROOT = Path(sys.modules["allocator"].__file__).resolve().parent.parent

# name -> (products, channels, tiers, periods), target for total / raw CBC
SIZES = {
    "small": ("4x50x4x12", (4, 50, 4, 12), 1.5),
    "large": ("1x200x5x52", (1, 200, 5, 52), 1.3),
}
RSS_TARGET_MIB = 350.0
STARTUP_TARGET = 2.0
STARTUP_REPEATS = 5
EXAMPLE_NAME = "scenarios/example_q1.yaml"


# --- Instrumentation of the CBC backend (benchmark only: wraps, never edits, the library) -------------
# Whichever MPS writer the backend calls (`write_mps`, `mps_bytes` or `mps_text`, depending on the library
# version) is timed; so is every CBC run (the backend's own timer around the subprocess).
_captured: dict[str, list[float]] = {"cbc_process": [], "mps_text": []}
_original_solve = cbc_backend.solve
MPS_WRITERS = [name for name in ("write_mps", "mps_bytes", "mps_text") if callable(getattr(cbc_backend, name, None))]


def _timed_solve(lp, options):
    result = _original_solve(lp, options)
    _captured["cbc_process"].append(result.solve_seconds)
    return result


def _timing_wrapper(func):
    def timed_writer(*args, **kwargs):
        started = time.perf_counter()
        out = func(*args, **kwargs)
        _captured["mps_text"].append(time.perf_counter() - started)
        return out
    return timed_writer


cbc_backend.solve = _timed_solve
for _name in MPS_WRITERS:
    setattr(cbc_backend, _name, _timing_wrapper(getattr(cbc_backend, _name)))


# --- Helpers --------------------------------------------------------------------------------------
def cli_command() -> list[str]:
    script = Path(sys.executable).parent / "allocator"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "allocator"]


def source_state() -> str:
    """Where the library is imported from, its git commit (if that is this checkout) and a digest of its sources
    as they are on disk now (the library may be edited while the benchmark runs)."""
    import hashlib

    digest = hashlib.sha256()
    for f in sorted([*(LIB_ROOT / "allocator").glob("*.py"), *(LIB_ROOT / "solvers").glob("*.py")]):
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
    where = "" if LIB_ROOT == ROOT else f"{LIB_ROOT} "
    commit, dirty = "no-git", ""
    if LIB_ROOT == ROOT:
        try:
            commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                    text=True, timeout=10).stdout.strip() or "no-git"
            dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "allocator", "solvers"],
                                   capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return f"{where}{commit}{'+dirty' if dirty else ''} sources {digest.hexdigest()[:12]}"


def in_process(path: Path, out: Path) -> dict:
    """One file -> CSVs run through the library, with the pipeline's own timings."""
    for v in _captured.values():
        v.clear()
    started = time.perf_counter()
    solved = solve_file(path)
    record = run_record(solved)
    write_seconds = write_folder(out, solved.plan.tables, record, inputs=run_inputs(solved.loaded), force=True)
    total = time.perf_counter() - started
    if solved.plan.status is not Status.OPTIMAL:
        raise SystemExit(f"{path}: expected an optimal plan, got {solved.plan.status.value}: {solved.plan.message}")
    t = solved.timings
    return {
        "load": t["load"], "build": t["build"], "solve": t["solve"], "tables": t["tables"], "write": write_seconds,
        "tables_write": t["tables"] + write_seconds, "total": total,
        "cbc_process": sum(_captured["cbc_process"]), "mps_text": sum(_captured["mps_text"]),
        "cbc_runs": len(_captured["cbc_process"]),
        "_solved": solved,
    }


# --- The benchmark --------------------------------------------------------------------------------
def bench_size(key: str, repeats: int, seed: int, tmp: Path) -> dict:
    label, (P, C, T, M), target = SIZES[key]
    scenario = generate.write(tmp / f"scenario_{label}.yaml", P, C, T, M, seed=seed)
    print(f"\n== {label} (products x channels x tiers x periods), seed {seed}: {scenario} "
          f"({scenario.stat().st_size:,} bytes)", flush=True)

    runs, cli_walls, raw_walls, exported_walls, method_walls = [], [], [], [], []
    mps_path = tmp / f"model_{label}.mps"
    exported_path = tmp / f"exported_{label}.mps"
    cbc = str(cbc_backend.binary_path())
    for r in range(repeats):
        run = in_process(scenario, tmp / f"out_{label}_inproc")
        solved = run.pop("_solved")
        runs.append(run)
        if r == 0:
            lp = solved.model.lp
            info = {"variables": lp.n_cols, "constraints": lp.n_rows, "nonzeros": lp.n_nonzeros,
                    "binaries": int(lp.col_integer.sum()), "objective": solved.plan.objective,
                    "allocation_rows": len(solved.plan.tables["allocation"])}
            write_mps(lp, mps_path)
            info["mps_mib"] = mps_path.stat().st_size / 2**20
            raw_args = [cbc, str(mps_path), "-solve" if lp.is_mip else "-initialSolve"]
            exported_path.write_text(export_texts(lp)["model.mps"])
            info["exported_mps_mib"] = exported_path.stat().st_size / 2**20
            # PuLP marks a maximisation with a "*SENSE:Maximize" comment, which CBC does not read.
            exported_args = [cbc, str(exported_path), *(["-max"] if lp.sense is Sense.MAXIMIZE else []),
                             "-solve" if lp.is_mip else "-initialSolve"]
            info["lp_method"] = "mip" if lp.is_mip else lp_method(lp, SolveOptions())
            method_args = [cbc, str(mps_path), "-barrier"] if info["lp_method"] == "barrier" else None
            for args in (raw_args, exported_args):  # both baselines must solve the plan's problem to optimality
                log = run_checked(args).stdout
                if "Optimal objective" not in log and "Result - Optimal solution found" not in log:
                    raise SystemExit(f"raw CBC did not report an optimum for {args[1]}:\n{log[-1500:]}")
            print(f"   model: {info['variables']:,} variables ({info['binaries']} binary), {info['constraints']:,} "
                  f"constraints, {info['nonzeros']:,} nonzeros, MPS {info['mps_mib']:.1f} MiB "
                  f"(exported {info['exported_mps_mib']:.1f} MiB), "
                  f"{info['allocation_rows']:,} allocation rows; status optimal, objective {info['objective']:,.0f}; "
                  f"--lp-method auto: {info['lp_method']}")
        del solved
        cli_walls.append(timed([*cli_command(), "solve", str(scenario), "--out", str(tmp / f"out_{label}_cli"), "--force"]))
        raw_walls.append(timed(raw_args))
        exported_walls.append(timed(exported_args))
        if method_args:
            method_walls.append(timed(method_args))
        same = f", with -barrier {method_walls[-1]:.3f}s" if method_args else ""
        print(f"   repeat {r + 1}/{repeats}: in-process total {run['total']:.3f}s (CBC process {run['cbc_process']:.3f}s), "
              f"CLI {cli_walls[-1]:.3f}s, raw CBC on exported MPS {exported_walls[-1]:.3f}s, "
              f"on internal MPS {raw_walls[-1]:.3f}s{same}", flush=True)

    fig = {k: median([run[k] for run in runs]) for k in runs[0]}
    fig.update(info)
    fig["cli"] = median(cli_walls)
    fig["raw_cbc"] = median(raw_walls)
    fig["raw_cbc_exported"] = median(exported_walls)
    fig["ratio_total"] = fig["total"] / fig["raw_cbc_exported"]
    fig["ratio_total_internal"] = fig["total"] / fig["raw_cbc"]
    if method_walls:
        fig["raw_cbc_method"] = median(method_walls)
        fig["ratio_total_method"] = fig["total"] / fig["raw_cbc_method"]
    fig["ratio_cli"] = fig["cli"] / fig["raw_cbc_exported"]
    fig["non_cbc"] = fig["total"] - fig["cbc_process"]
    fig["target_ratio"] = target
    fig["label"] = label

    if key == "large":
        _, fig["rss_tree_mib"] = time_v([*cli_command(), "solve", str(scenario), "--out", str(tmp / "out_rss"), "--force"])
        fig["rss_python_mib"] = python_only_rss(scenario, tmp / "out_rss_py")
        _, fig["rss_cbc_mib"] = time_v(raw_args)
        fig["rss_sum_mib"] = summed_tree_rss([*cli_command(), "solve", str(scenario), "--out", str(tmp / "out_rss"), "--force"])
        print(f"   peak RSS: CLI process tree {fig['rss_tree_mib']:.1f} MiB (Python alone {fig['rss_python_mib']:.1f} MiB, "
              f"raw CBC alone {fig['rss_cbc_mib']:.1f} MiB); summed over the processes alive together "
              f"{fig['rss_sum_mib'] or float('nan'):.1f} MiB", flush=True)
    return fig


def bench_startup(tmp: Path) -> dict:
    example = (LIB_ROOT if (LIB_ROOT / EXAMPLE_NAME).is_file() else ROOT) / EXAMPLE_NAME
    print(f"\n== start-up: bare import vs CLI on {example} (median of {STARTUP_REPEATS})", flush=True)
    compiled(LIB_ROOT)  # as installed: the project's bytecode exists, as pandas' and pulp's does
    imports = [timed([sys.executable, "-c", "import pandas, pulp"]) for _ in range(STARTUP_REPEATS)]
    cli = [timed([*cli_command(), "solve", str(example), "--out", str(tmp / "out_example"), "--force"])
           for _ in range(STARTUP_REPEATS)]
    fig = {"import": median(imports), "example_cli": median(cli)}
    fig["ratio"] = fig["example_cli"] / fig["import"]
    print(f"   import pandas, pulp: {', '.join(f'{v:.3f}' for v in imports)} s", flush=True)
    print(f"   allocator solve example: {', '.join(f'{v:.3f}' for v in cli)} s", flush=True)
    return fig


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(results: dict[str, dict], startup: dict | None, repeats: int) -> None:
    keys = list(results)
    cols = [results[k]["label"] for k in keys]
    width = max(12, *(len(c) for c in cols)) + 2
    print(f"\n== figures (seconds, median of {repeats}; model sizes from the first run)")
    print(f"{'figure':<40}" + "".join(f"{c:>{width}}" for c in cols))

    def line(name, field, fmt="{:.3f}"):
        cells = []
        for k in keys:
            v = results[k].get(field)
            cells.append("-" if v is None else fmt.format(v))
        print(f"{name:<40}" + "".join(f"{c:>{width}}" for c in cells))

    line("variables", "variables", "{:,}")
    line("constraints", "constraints", "{:,}")
    line("nonzeros", "nonzeros", "{:,}")
    line("load (YAML + validation)", "load")
    line("build (LP matrix)", "build")
    line("solve, as the pipeline reports", "solve")
    line("  of which CBC subprocess", "cbc_process")
    line("  of which MPS writing", "mps_text")
    line("  CBC runs per solve (tie-break pass etc.)", "cbc_runs", "{:.0f}")
    line("tables (plan DataFrames)", "tables")
    line("CSV + run.json write", "write")
    line("tables + write", "tables_write")
    line("total in-process (file -> CSVs)", "total")
    line("  non-CBC part (total - CBC subprocess)", "non_cbc")
    line("CLI wall (allocator solve)", "cli")
    line("raw CBC on the exported MPS", "raw_cbc_exported")
    line("raw CBC on the internal MPS", "raw_cbc")
    line("raw CBC -barrier, internal MPS", "raw_cbc_method")
    line("ratio total / raw CBC (exported MPS)", "ratio_total", "{:.2f}x")
    line("ratio total / raw CBC (internal MPS)", "ratio_total_internal", "{:.2f}x")
    line("ratio total / raw CBC -barrier", "ratio_total_method", "{:.2f}x")
    line("ratio CLI / raw CBC (exported MPS)", "ratio_cli", "{:.2f}x")
    line("peak RSS CLI process tree (MiB)", "rss_tree_mib", "{:.1f}")
    line("  Python process alone (MiB)", "rss_python_mib", "{:.1f}")
    line("  raw CBC alone (MiB)", "rss_cbc_mib", "{:.1f}")
    line("peak RSS summed over the tree (MiB)", "rss_sum_mib", "{:.1f}")
    if startup:
        print(f"{'import pandas, pulp (median of 5)':<40}{startup['import']:>{width}.3f}")
        print(f"{'allocator solve example_q1 (median of 5)':<40}{startup['example_cli']:>{width}.3f}")
        print(f"{'ratio example CLI / bare import':<40}{startup['ratio']:>{width - 1}.2f}x")

    print("\n== targets")
    for k in keys:
        f = results[k]
        t = f["target_ratio"]
        print(f"{verdict(f['ratio_total'] <= t)}  total / raw CBC on the exported MPS at {f['label']}: "
              f"{f['ratio_total']:.2f}x (target <= {t}x)   [stricter, on the internal MPS: "
              f"{f['ratio_total_internal']:.2f}x, {verdict(f['ratio_total_internal'] <= t)}]")
        if "ratio_total_method" in f:
            print(f"      (auto chose the barrier: total / raw CBC -barrier on the internal MPS "
                  f"{f['ratio_total_method']:.2f}x, the overhead around the method itself)")
        if "rss_tree_mib" in f:
            peak = max(f["rss_tree_mib"], f.get("rss_sum_mib") or 0.0)
            print(f"{verdict(peak < RSS_TARGET_MIB)}  peak RSS of the CLI solve at {f['label']}: "
                  f"{peak:.1f} MiB, the larger of the kernel's figure and the sum over processes alive together "
                  f"(target < {RSS_TARGET_MIB:.0f} MiB)")
    if startup:
        print(f"{verdict(startup['ratio'] <= STARTUP_TARGET)}  example CLI / bare import: {startup['ratio']:.2f}x "
              f"(target <= {STARTUP_TARGET}x)")


def profile(key: str, seed: int, tmp: Path, top: int, save: Path | None) -> None:
    import cProfile
    import pstats

    label, (P, C, T, M), _ = SIZES[key]
    scenario = generate.write(tmp / f"scenario_{label}.yaml", P, C, T, M, seed=seed)
    in_process(scenario, tmp / "warm")  # warm imports and caches so the profile shows steady-state work
    profiler = cProfile.Profile()
    profiler.enable()
    run = in_process(scenario, tmp / "profiled")
    profiler.disable()
    run.pop("_solved")
    print(f"== cProfile of one in-process run at {label} (timings under the profiler: "
          + ", ".join(f"{k} {v:.3f}s" for k, v in run.items()) + ")")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    if save:
        stats.dump_stats(str(save))
        print(f"   saved to {save}")
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="repeats per size (medians are reported); default 3")
    ap.add_argument("--sizes", default="small,large", help="comma-separated: small (4x50x4x12), large (1x200x5x52)")
    ap.add_argument("--seed", type=int, default=1, help="generator seed; default 1")
    ap.add_argument("--no-startup", action="store_true", help="skip the bare-import vs example CLI comparison")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    ap.add_argument("--keep", type=Path, help="keep the generated scenarios, MPS files and outputs in this folder")
    ap.add_argument("--profile", choices=sorted(SIZES), help="instead of timing, cProfile one in-process run of this size")
    ap.add_argument("--top", type=int, default=25, help="functions listed by --profile; default 25")
    ap.add_argument("--profile-out", type=Path, help="with --profile: save the pstats file here")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="allocator-bench-"))
    try:
        if args.profile:
            profile(args.profile, args.seed, tmp, args.top, args.profile_out)
            return 0
        state = source_state()
        print(f"python {sys.version.split()[0]} at {sys.executable}; CBC {cbc_backend.binary_path()}; "
              f"{os.cpu_count()} CPUs; library {state}")
        sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
        for s in sizes:
            if s not in SIZES:
                ap.error(f"unknown size {s!r}; choose from {', '.join(SIZES)}")
        results = {s: bench_size(s, args.repeats, args.seed, tmp) for s in sizes}
        startup = None if args.no_startup else bench_startup(tmp)
        report(results, startup, args.repeats)
        end_state = source_state()
        if end_state != state:
            print(f"\nWARNING: the library's sources changed during the run ({state} -> {end_state}); "
                  "subprocess runs may have timed a different version than the in-process runs. Run again.")
        if args.json:
            args.json.write_text(json.dumps({"library": state, "sizes": results, "startup": startup,
                                             "repeats": args.repeats}, indent=2) + "\n")
    finally:
        if args.keep:
            shutil.copytree(tmp, args.keep, dirs_exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
