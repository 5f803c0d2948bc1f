"""HiGHS backend: passes the CSR matrix to highspy in one call (needs the `highs` extra)."""

from __future__ import annotations

import functools
import os
import sys
import time

import numpy as np

from .base import DEFAULT_MIP_GAP, Capabilities, LinearProgram, Sense, SolveOptions, SolveResult, Status
from .errors import SolverError, SolverUnavailable, install_hint

NAME = "highs"
CAPABILITIES = Capabilities(mip=True, duals=True)


def available() -> bool:
    try:
        import highspy  # noqa: F401
    except ImportError:
        return False
    return True


def _import():
    try:
        import highspy
    except ImportError as exc:
        raise SolverUnavailable(f"HiGHS is not installed: {install_hint('highs')}") from exc
    return highspy


# What to try when HiGHS itself fails (its numerical trouble is a failure, never a verdict on the plan).
_TRY = "try --solver cbc, or state money in larger units (thousands) if amounts reach the billions"

# Every HiGHS model status by name: the project's Status, or None with what the failure means. Names, not
# members, so that the table can be checked against highspy's enum (tests/test_solver_conformance.py).
STATUS_TABLE: dict[str, tuple[Status | None, str]] = {
    "kOptimal": (Status.OPTIMAL, ""),
    "kModelEmpty": (Status.OPTIMAL, ""),  # no rows and no columns: the offset is the optimum
    "kInfeasible": (Status.INFEASIBLE, ""),
    "kUnbounded": (Status.UNBOUNDED, ""),
    "kTimeLimit": (Status.TIME_LIMIT_WITH_SOLUTION, ""),  # NO_SOLUTION when it stopped without a plan
    # Limits the backend never sets: reaching one is a failure of the solve, not a time limit.
    "kIterationLimit": (None, "stopped at its iteration limit"),
    "kSolutionLimit": (None, "stopped at its limit on the number of solutions"),
    "kObjectiveBound": (None, "stopped at an objective bound"),
    "kObjectiveTarget": (None, "stopped at an objective target"),
    "kInterrupt": (None, "was interrupted"),
    "kHighsInterrupt": (None, "was interrupted"),
    "kMemoryLimit": (None, "ran out of memory"),
    "kUnboundedOrInfeasible": (None, f"could not tell infeasible from unbounded, even without presolve; {_TRY}"),
    "kNotset": (None, f"returned no status; {_TRY}"),
    "kLoadError": (None, "could not load the model"),
    "kModelError": (None, "found the model malformed"),
    "kPresolveError": (None, f"failed in presolve (numerical trouble); {_TRY}"),
    "kSolveError": (None, f"failed in the solve (numerical trouble); {_TRY}"),
    "kPostsolveError": (None, f"failed in postsolve (numerical trouble); {_TRY}"),
    "kUnknown": (None, f"stopped without a verdict (numerical trouble); {_TRY}"),
}


def _status(model_status) -> tuple[Status | None, str]:
    name = getattr(model_status, "name", str(model_status))
    return STATUS_TABLE.get(name, (None, f"stopped with a status this backend does not know ({name})"))


@functools.cache
def _installed_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("highspy")
    except metadata.PackageNotFoundError:  # pragma: no cover - highspy imported, so it is installed
        return ""


def _new_highs(highspy, log: bool):
    """A Highs instance; without a log its constructor's banner is kept off stdout.

    highspy prints its banner from the constructor, before any option can be
    set, so stdout's file descriptor is pointed at /dev/null for that call.
    """
    if log:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
    h.setOptionValue("output_flag", bool(log))
    return h


def solve(lp: LinearProgram, options: SolveOptions) -> SolveResult:
    highspy = _import()
    h = _new_highs(highspy, options.log)
    method = configure(h, lp, options)
    pass_program(h, lp)
    return run(h, lp, method)


def new_instance(log: bool = False):
    """A Highs instance with its banner kept off stdout (for callers that keep one, solvers.warm)."""
    return _new_highs(_import(), log)


def configure(h, lp: LinearProgram, options: SolveOptions) -> str:
    """Set `options` on the Highs instance `h` for solving `lp`; returns the method's name for the record."""
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(options.time_limit))
    h.setOptionValue("mip_rel_gap", float(options.mip_gap if options.mip_gap is not None else DEFAULT_MIP_GAP))
    if _installed_version().startswith("1.16."):
        # HiGHS 1.16's Fourier-Motzkin presolve rule (bit 22) can loop for minutes on small MIPs
        # (tests/regressions/highs_presolve_hang.yaml); the bit is checked only for this version.
        h.setOptionValue("presolve_rule_off", 1 << 22)
    if options.threads is not None:
        h.setOptionValue("threads", int(options.threads))
    # "auto" leaves the choice to HiGHS; the barrier is its interior point method, with crossover to a vertex.
    method = "branch and cut" if lp.is_mip else "auto (HiGHS's choice)"
    if not lp.is_mip and options.lp_method != "auto":
        method = options.lp_method
        h.setOptionValue("solver", "ipm" if method == "barrier" else "simplex")
        if method == "barrier":
            h.setOptionValue("run_crossover", "on")
    return method


def pass_program(h, lp: LinearProgram) -> None:
    """Give `lp` to the Highs instance `h`: the arrays in one call (row-wise matrix, infinite bounds as HiGHS's
    infinity), which highspy takes as buffers (filling a HighsLp field by field converts them element-wise)."""
    highspy = _import()
    bounds = finite_bounds
    integrality = np.where(lp.col_integer, int(highspy.HighsVarType.kInteger),
                           int(highspy.HighsVarType.kContinuous)).astype(np.int32)
    status = h.passModel(
        lp.n_cols, lp.n_rows, lp.n_nonzeros, int(highspy.MatrixFormat.kRowwise), int(objective_sense(lp)),
        float(lp.objective_offset), np.asarray(lp.objective, dtype=np.float64), bounds(lp.col_lower),
        bounds(lp.col_upper), bounds(lp.row_lower), bounds(lp.row_upper), np.asarray(lp.indptr, dtype=np.int32),
        np.asarray(lp.indices, dtype=np.int32), np.asarray(lp.data, dtype=np.float64), integrality,
    )
    # kWarning is fine: HiGHS only says it dropped coefficients too small to matter.
    if status == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the model")


def finite_bounds(values: np.ndarray) -> np.ndarray:
    """Bounds as HiGHS takes them: an infinite bound as HiGHS's infinity."""
    inf = _import().kHighsInf
    return np.where(np.isfinite(values), values, np.where(values > 0, inf, -inf)).astype(np.float64)


def objective_sense(lp: LinearProgram):
    highspy = _import()
    return highspy.ObjSense.kMaximize if lp.sense is Sense.MAXIMIZE else highspy.ObjSense.kMinimize


def run(h, lp: LinearProgram, method: str) -> SolveResult:
    """Run the Highs instance `h`, which holds `lp` (from any starting basis), and read its answer."""
    highspy = _import()
    started = time.perf_counter()
    h.run()
    model_status = h.getModelStatus()
    if model_status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
        # Presolve could not tell which; the simplex without presolve can.
        h.setOptionValue("presolve", "off")
        h.run()
        h.setOptionValue("presolve", "choose")
        model_status = h.getModelStatus()
    seconds = time.perf_counter() - started
    version = h.version() if hasattr(h, "version") else getattr(highspy, "__version__", "unknown")
    text = h.modelStatusToString(model_status)

    status, failure = _status(model_status)
    if status is None:
        raise SolverError(f"HiGHS {failure} (status '{text}')")
    info = h.getInfo()
    feasible = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if status is Status.TIME_LIMIT_WITH_SOLUTION and not feasible:
        status = Status.NO_SOLUTION
    if not status.has_solution:
        return SolveResult(status=status, solver=NAME, solver_version=str(version), message=text, solve_seconds=seconds,
                           extra={"lp_method": method})

    solution = h.getSolution()
    x = np.asarray(solution.col_value, dtype=np.float64)
    duals = reduced = None
    if not lp.is_mip and solution.dual_valid:
        # HiGHS reports duals as d(objective)/d(bound) in the problem's own sense.
        duals = np.asarray(solution.row_dual, dtype=np.float64)
        reduced = np.asarray(solution.col_dual, dtype=np.float64)
    return SolveResult(
        status=status, solver=NAME, solver_version=str(version), message=text, solve_seconds=seconds,
        x=x, objective=lp.objective_value(x), row_duals=duals, reduced_costs=reduced, extra={"lp_method": method},
    )
