"""CBC backend: the CBC binary that PuLP bundles, fed an MPS file written by `solvers.mps`."""

from __future__ import annotations

import importlib.util
import os
import platform
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from .base import (
    DEFAULT_MIP_GAP,
    Capabilities,
    LinearProgram,
    Sense,
    SolveOptions,
    SolveResult,
    Status,
    improving_column,
    lp_method,
)
from .cbc_process import (
    CbcCrashed,
    GRACE_SECONDS,
    exited,
    log_tail,
    overran,
    remove_dead_scratch,
    scratch_dir,
)
from .cbc_process import run as run_cbc
from .cbc_solution import read_binary_solution, read_status
from .errors import SolverError, SolverUnavailable
from .mps import write_mps

NAME = "cbc"
CAPABILITIES = Capabilities(mip=True, duals=True)

# Without a time limit a solve is still never allowed to hang forever.
_DEFAULT_HARD_LIMIT = 24 * 3600.0


def binary_path() -> Path:
    """The CBC binary bundled with PuLP.

    Found from PuLP's install location without importing PuLP (whose import
    also loads highspy and costs a quarter of a second); PuLP's own
    ``pulp_cbc_path`` is the fallback when the layout is not the expected one.
    """
    spec = importlib.util.find_spec("pulp")
    if spec is None or not spec.submodule_search_locations:
        raise SolverUnavailable("PuLP is not installed; install allocator's dependencies (pulp>=3.3,<4)")
    system = "win" if sys.platform in ("win32", "cli") else "osx" if sys.platform == "darwin" else "linux"
    if sys.maxsize <= 2**32:
        arch = "i32"
    elif platform.machine().lower() in ("aarch64", "arm64") and system != "osx":
        arch = "arm64"
    else:
        arch = "i64"
    name = "cbc.exe" if system == "win" else "cbc"
    candidate = Path(spec.submodule_search_locations[0]) / "solverdir" / "cbc" / system / arch / name
    if candidate.is_file():
        return candidate
    try:
        from pulp.apis.coin_api import pulp_cbc_path
    except ImportError as exc:  # pragma: no cover - pulp is a core dependency
        raise SolverUnavailable(f"PuLP could not be imported ({exc})") from exc
    return Path(pulp_cbc_path).resolve()


def available() -> bool:
    try:
        path = binary_path()
    except SolverUnavailable:
        return False
    return path.is_file()


_ACTIONS = {"mip": ["-solve"], "simplex": ["-initialSolve"], "barrier": ["-barrier", "-initialSolve"],
            "recheck": ["-presolve", "off", "-primalSimplex"],
            "recheck_mip": ["-presolve", "off", "-preprocess", "off", "-solve"]}
_DESCRIPTIONS = {"mip": "branch and cut", "simplex": "simplex", "barrier": "barrier",
                 "recheck": "primal simplex without presolve", "recheck_mip": "branch and cut without presolve"}

# What CBC's log says when its presolve or preprocessing could not tell infeasible from unbounded: its
# verdict then is often the wrong one of the two (an unbounded program called infeasible, or even optimal).
_UNSURE_MARKERS = ("Presolve thinks problem is", "Analysis indicates model infeasible or unbounded",
                   "Pre-processing says infeasible or unbounded", "Dual infeasible")


# A barrier "optimum" with a value this large is not trusted: on an unbounded program CBC's barrier stops at
# values near its own infinity (1e20) and calls that optimal. A plan's money never comes near it.
IMPLAUSIBLE_VALUE = 1e15


def solve(lp: LinearProgram, options: SolveOptions) -> SolveResult:
    """Solve `lp` with CBC; rows CBC mishandles (free rows, rows without entries) are not written.

    MPS has no free row but a second N row, which CBC drops (its solution then has fewer rows than the
    program), and a program whose rows hold no entry at all crashes CBC 2.10. Neither kind of row binds
    anything: each is left out and priced 0, unless a row without entries excludes 0 (no plan).
    """
    counts = np.diff(lp.indptr)
    empty = counts == 0
    excluded = empty & ((lp.row_lower > 0) | (lp.row_upper < 0))
    if excluded.any():
        i = int(np.flatnonzero(excluded)[0])
        return SolveResult(status=Status.INFEASIBLE, solver=NAME, solver_version="", solve_seconds=0.0,
                           message=f"row {lp.row_names[i]} has no entries and cannot be "
                                   f"within [{lp.row_lower[i]:g}, {lp.row_upper[i]:g}]",
                           extra={"lp_method": "none (read off the rows)"})
    written = ~empty & (np.isfinite(lp.row_lower) | np.isfinite(lp.row_upper))
    if written.all() and lp.n_rows:
        return _solve(lp, options)
    kept = lp.with_only_rows(np.flatnonzero(written))
    if kept.n_rows == 0 and lp.n_cols:
        # CBC 2.10 also crashes on a program without rows: give it "x0 >= -1e30", a row it reads as
        # free (1e30 is its infinity) and keeps.
        kept = kept.with_rows(["placeholder"], [(np.array([0]), np.array([1.0]))], [-1e30], [np.inf])
    result = _solve(kept, options)
    if result.row_duals is None:
        return result
    duals = np.zeros(lp.n_rows)
    duals[written] = result.row_duals[: int(written.sum())]
    return replace(result, row_duals=duals)


def _solve(lp: LinearProgram, options: SolveOptions) -> SolveResult:
    path = _ready_binary()
    method = "mip" if lp.is_mip else lp_method(lp, options)
    scratch = scratch_dir()
    remove_dead_scratch(scratch)
    with tempfile.TemporaryDirectory(prefix=f"allocator-cbc-{os.getpid()}-", dir=scratch) as tmp:
        model_file = Path(tmp) / "model.mps"
        write_mps(lp, model_file)
        args = [str(path), str(model_file)]
        if options.time_limit is not None:
            args += ["-sec", repr(float(options.time_limit))]
        if lp.is_mip:
            args += ["-ratioGap", repr(float(options.mip_gap if options.mip_gap is not None else DEFAULT_MIP_GAP))]
        if options.threads is not None:
            args += ["-threads", str(int(options.threads))]
        main = _Run(method, args, Path(tmp))
        hard_limit = (options.time_limit + GRACE_SECONDS) if options.time_limit is not None else _DEFAULT_HARD_LIMIT
        started = time.perf_counter()
        if method == "barrier" and options.lp_method == "auto" and options.concurrent and not options.log:
            result, how = _race(lp, main, _Run("simplex", args, Path(tmp)), hard_limit)
        else:
            main, crashed = _run_main(main, args, Path(tmp), hard_limit, options.log)
            result, how = main.result(lp), main.describe() + crashed
            doubt = main.doubt(lp, result)
            if doubt and main.method == "mip":
                again = _Run("mip", [*args, "-preprocess", "off"], Path(tmp))
                again.log = run_cbc(again.command(), hard_limit, options.log)
                result, how = again.result(lp), f"{again.describe()} (without MIP preprocessing: with it, {doubt})"
            elif doubt:
                simplex = _Run("simplex", args, Path(tmp))
                simplex.log = run_cbc(simplex.command(), hard_limit, options.log)
                result, how = simplex.result(lp), f"simplex (the barrier's answer was not kept: {doubt})"
        if _unsure(lp, result):
            result, how = _recheck(lp, result, how, _Run("recheck_mip" if lp.is_mip else "recheck", args, Path(tmp)),
                                   hard_limit, options.log)
        result = replace(result, solve_seconds=time.perf_counter() - started)
    extra = {k: v for k, v in result.extra.items() if k != "unsure"}
    return replace(result, extra={**extra, "lp_method": how})


def _run_main(main: "_Run", args: list[str], folder: Path, hard_limit: float, echo: bool) -> tuple["_Run", str]:
    """Run `main`; a branch and cut that crashes CBC (2.10 segfaults on some programs in its MIP
    preprocessing) is run once more without that preprocessing. Returns the run that finished and a note."""
    try:
        main.log = run_cbc(main.command(), hard_limit, echo)
        return main, ""
    except CbcCrashed as crash:
        if main.method != "mip":
            raise
        again = _Run(main.method, [*args, "-preprocess", "off"], folder)
        again.log = run_cbc(again.command(), hard_limit, echo)
        return again, f" (without MIP preprocessing: with it, {str(crash)[0].lower()}{str(crash)[1:]})"


def _recheck(lp: LinearProgram, first: SolveResult, how: str, run: "_Run", hard_limit: float,
             echo: bool) -> tuple[SolveResult, str]:
    """The verdict of `run` (presolve off) where CBC doubted `first`; `first` stands if `run` gives none.

    An "optimal" LP that a free column still improves is never returned: without a better verdict it is
    a solver failure.
    """
    try:
        run.log = run_cbc(run.command(), hard_limit, echo)
        rechecked = run.result(lp)
    except SolverError:
        rechecked = None
    definite = rechecked is not None and rechecked.status in (Status.OPTIMAL, Status.INFEASIBLE, Status.UNBOUNDED)
    if definite and (rechecked.status is not first.status or first.status.has_solution):
        first, how = rechecked, f"{run.describe()} (the {how}'s '{first.status.value}' was in doubt)"
    if first.status.has_solution and _unsure(lp, first):
        raise SolverError(f"CBC calls the program optimal although {improving_column(lp, first)}; try --solver highs")
    return first, how


def _unsure(lp: LinearProgram, result: SolveResult) -> bool:
    """Whether a verdict needs the re-check without presolve: CBC's log doubted it, or an "optimal" LP
    has a column that would still improve the objective without end (dual infeasible)."""
    if result.status.has_solution:
        from . import check_solution

        try:
            check_solution(lp, result.x, NAME)
        except SolverError:
            return False  # not a plan at all: solvers.solve refuses it with the reason
        return improving_column(lp, result) is not None
    return result.status in (Status.INFEASIBLE, Status.UNBOUNDED) and bool(result.extra.get("unsure"))


def _ready_binary() -> Path:
    path = binary_path()
    if not path.is_file():
        raise SolverUnavailable(f"the CBC binary bundled with PuLP is missing at {path}")
    if not os.access(path, os.X_OK):
        try:
            path.chmod(path.stat().st_mode | 0o111)
        except OSError as exc:
            raise SolverUnavailable(f"the CBC binary at {path} is not executable ({exc})") from exc
    return path


class _Run:
    """One CBC run of the model file: its command, its own solution files and, once finished, its log."""

    def __init__(self, method: str, args: list[str], folder: Path):
        self.method = method
        self.args = args
        self.solution_file = folder / f"solution-{method}.txt"
        self.values_file = folder / f"solution-{method}.bin"
        self.log_file = folder / f"log-{method}.txt"
        self.log = ""
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [*self.args, *_ACTIONS[self.method], "-saveSolution", str(self.values_file),
                "-solution", str(self.solution_file)]

    def start(self) -> None:
        with self.log_file.open("wb") as log:
            try:
                self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL)
            except OSError as exc:
                raise SolverError(f"CBC could not be started ({exc})") from exc

    def finish(self) -> None:
        """Read the log of a run that ended; a crash is a SolverError."""
        self.log = self.log_file.read_text(errors="replace")
        assert self.proc is not None
        if self.proc.returncode != 0:
            raise exited(self.proc.returncode, self.log)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def status(self) -> Status:
        if not self.solution_file.exists():
            return Status.ERROR
        try:
            return read_status(self.solution_file)[0]
        except SolverError:
            return Status.ERROR

    def describe(self) -> str:
        return _DESCRIPTIONS[self.method]

    def result(self, lp: LinearProgram) -> SolveResult:
        """The answer in a finished run's solution files (its time is filled in by the caller)."""
        version_match = re.search(r"Version:\s*(\S+)", self.log)
        version = version_match.group(1) if version_match else "unknown"
        if not self.solution_file.exists():
            raise SolverError(f"CBC finished without writing a solution ({log_tail(self.log)})")
        status, message = read_status(self.solution_file)
        if status is Status.ERROR:
            raise SolverError(message)
        if not status.has_solution:
            unsure = any(marker in self.log for marker in _UNSURE_MARKERS)
            return SolveResult(status=status, solver=NAME, solver_version=version, message=message, solve_seconds=0.0,
                               extra={"unsure": unsure})
        x, duals, reduced = read_binary_solution(self.values_file, lp.n_rows, lp.n_cols)
        # The file holds the minimisation that was written; give duals in the problem's own sense.
        sign = -1.0 if lp.sense is Sense.MAXIMIZE else 1.0
        return SolveResult(
            status=status, solver=NAME, solver_version=version, message=message, solve_seconds=0.0,
            x=x, objective=lp.objective_value(x),
            row_duals=None if lp.is_mip else duals * sign,
            reduced_costs=None if lp.is_mip else reduced * sign,
        )

    def doubt(self, lp: LinearProgram, result: SolveResult) -> str | None:
        """Why a barrier or branch-and-cut plan is not kept (None: keep it): values near CBC's infinity, or
        rows it breaks (CBC 2.10's MIP preprocessing has called an all-zero plan that breaks a row optimal)."""
        if self.method not in ("barrier", "mip") or not result.status.has_solution:
            return None
        largest = float(np.abs(result.x).max(initial=0.0))
        if largest >= IMPLAUSIBLE_VALUE:
            return f"a value of {largest:.3g}, which only an unbounded program gives"
        from . import check_solution

        try:
            check_solution(lp, result.x, NAME)
        except SolverError as exc:
            return str(exc)
        return None


def _race(lp: LinearProgram, main: _Run, helper: _Run, hard_limit: float) -> tuple[SolveResult, str]:
    """Run `main` and `helper` side by side; `main`'s answer is used unless `helper` first proves there is no plan.

    Deterministic whoever finishes first: a plan always comes from `main` (from `helper` only when `main`
    fails or its plan is not kept), and "infeasible" or "unbounded" is a property of the program, not of
    the method that proved it. Returns the answer and how it was reached.
    """
    finished: queue.Queue[_Run] = queue.Queue()
    runs = (main, helper)
    try:
        for run in runs:
            run.start()
            threading.Thread(target=lambda r=run: (r.proc.wait(), finished.put(r)), daemon=True).start()
        deadline = time.monotonic() + hard_limit
        failure = ""
        for _ in runs:
            try:
                run = finished.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise overran() from None
            if run is main:
                try:
                    main.finish()
                    result = main.result(lp)
                except SolverError as exc:
                    failure = f"the {main.method} failed: {exc}"
                    continue
                doubt = main.doubt(lp, result)
                if doubt is None:
                    return result, main.describe()
                failure = f"the {main.method}'s answer was not kept: {doubt}"
            elif helper.proc.returncode == 0 and helper.status() in (Status.INFEASIBLE, Status.UNBOUNDED):
                helper.finish()
                how = failure or f"it proved there is no plan before the {main.method} finished"
                return helper.result(lp), f"{helper.describe()} ({how})"
        # The main run failed or its plan was not kept; the helper solved the same program on its own.
        try:
            helper.finish()
            result = helper.result(lp)
        except SolverError as exc:
            raise SolverError(f"{failure}; the simplex beside it: {exc}") from None
        return result, f"{helper.describe()} ({failure})"
    finally:
        for run in runs:
            run.stop()
