"""How the benchmarks measure: checked subprocess runs, wall time, and peak memory (of a process tree, of
the CLI's own Python process). Split from bench_solve.py."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path


def compiled(repo: Path) -> None:
    """Compile the project's modules to bytecode, as `pip install .` does for an installed copy. A command
    timed from a source checkout with PYTHONDONTWRITEBYTECODE set (so that no bytecode is ever written)
    would otherwise compile every module of the project again at each start: about 0.3 s on this machine,
    which no installed copy pays."""
    import compileall

    for package in ("allocator", "solvers"):
        compileall.compile_dir(str(repo / package), quiet=1)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def run_checked(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(args)}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc


def timed(args: list[str]) -> float:
    started = time.perf_counter()
    run_checked(args)
    return time.perf_counter() - started


def time_v(args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of a command and its waited-for children."""
    if Path("/usr/bin/time").is_file():
        started = time.perf_counter()
        proc = run_checked(["/usr/bin/time", "-v", *args])
        wall = time.perf_counter() - started
        for line in proc.stderr.splitlines():
            if "Maximum resident set size" in line:
                return wall, int(line.split(":")[-1]) / 1024.0
        raise SystemExit("could not read the peak RSS from /usr/bin/time -v")
    # Fallback: a fresh Python whose only children are the command (and its own children).
    code = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
            "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    wall, kib = run_checked([sys.executable, "-c", code, *args]).stdout.split()
    return float(wall), int(kib) / 1024.0


def summed_tree_rss(args: list[str]) -> float | None:
    """Peak of the summed RSS (MiB) of a command's whole process tree, sampled every 20 ms from /proc.

    The kernel's peak RSS of waited-for children is the largest single child's, not the sum of children
    alive together (a barrier CBC with a simplex CBC beside it). None where /proc is not there.
    """
    if not Path("/proc/self/status").is_file():
        return None

    def tree(pid: int) -> list[int]:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return [pid]
        return [pid] + [q for child in children for q in tree(int(child))]

    def rss_mib(pid: int) -> float:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
        except OSError:
            pass
        return 0.0

    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, sum(rss_mib(pid) for pid in tree(proc.pid)))
        time.sleep(0.02)
    if proc.returncode != 0:
        raise SystemExit(f"{args} exited with {proc.returncode}")
    return peak


def python_only_rss(path: Path, out: Path) -> float:
    """Peak RSS (MiB) of the CLI's own Python process, without the CBC child."""
    code = ("import resource, sys\n"
            "from allocator.cli.app import main\n"
            "try:\n    main(sys.argv[1:], standalone_mode=True)\n"
            "except SystemExit as e:\n    code = e.code\n"
            "print('RSS_KIB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
            "sys.exit(code)\n")
    # Start it through a small intermediate Python: on Linux a process's ru_maxrss starts at the peak of the
    # memory image it was exec'd from, so a child spawned straight from this (large) benchmark process would
    # report this process's peak instead of its own.
    spawn = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"
    proc = run_checked([sys.executable, "-c", spawn, sys.executable, "-c", code,
                        "solve", str(path), "--out", str(out), "--force"])
    kib = [line.split()[1] for line in proc.stderr.splitlines() if line.startswith("RSS_KIB")][0]
    return int(kib) / 1024.0
