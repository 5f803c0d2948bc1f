"""Solver backends behind one small interface, in an explicit registry.

Nothing is probed at import time: `available()` asks a backend only when called.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from types import ModuleType

import numpy as np

from .base import Capabilities, LinearProgram, Sense, SolveOptions, SolveResult, Status
from .errors import SolverError, SolverUnavailable, install_hint
from .scaling import equilibrate

__all__ = [
    "BACKENDS", "OPTIONAL_EXTRAS", "Capabilities", "LinearProgram", "Sense", "SolveOptions", "SolveResult",
    "SolverError", "SolverUnavailable", "Status", "backend", "describe", "install_hint", "solve",
]

# name -> module; each module defines NAME, CAPABILITIES, available() and solve(lp, options).
BACKENDS: dict[str, str] = {
    "cbc": "solvers.cbc",
    "highs": "solvers.highs",
}
# Backends that come with an optional extra of the distribution (not installed with it by default).
OPTIONAL_EXTRAS: dict[str, str] = {"highs": "highs"}


@dataclass(frozen=True)
class BackendInfo:
    name: str
    capabilities: Capabilities
    available: bool
    note: str


def backend(name: str) -> ModuleType:
    if name not in BACKENDS:
        raise SolverUnavailable(f"unknown solver '{name}'; expected one of: {', '.join(BACKENDS)}")
    return importlib.import_module(BACKENDS[name])


def describe(name: str) -> BackendInfo:
    module = backend(name)
    ok = module.available()
    note = "ready" if ok else (f"install with: {install_hint(OPTIONAL_EXTRAS[name])}" if name in OPTIONAL_EXTRAS
                               else "not found")
    return BackendInfo(name=name, capabilities=module.CAPABILITIES, available=ok, note=note)


# A returned plan may break a bound or row by this much (relative to the bound's size, at least 1 in the
# scaled program's units, where every row and column is near 1) before it is refused.
FEASIBILITY_TOLERANCE = 1e-6
# How far from a whole number the solvers accept an integer column's value (CBC 1e-7, HiGHS 1e-6).
INTEGRALITY_TOLERANCE = 1e-6


def _column_tolerance(lp: LinearProgram) -> np.ndarray:
    size = np.maximum(np.abs(np.where(np.isfinite(lp.col_lower), lp.col_lower, 0.0)),
                      np.abs(np.where(np.isfinite(lp.col_upper), lp.col_upper, 0.0)))
    return FEASIBILITY_TOLERANCE * np.maximum(1.0, size)


def snap_to_bounds(lp: LinearProgram, x: np.ndarray | None) -> np.ndarray | None:
    """x with values a hair outside their bounds (within the tolerance, e.g. CBC's 1e-7 slips) put on them.

    Values further out are left as they are, for `check_solution` to refuse.
    """
    if x is None or np.shape(x) != (lp.n_cols,):
        return x
    tol = _column_tolerance(lp)
    below = (x < lp.col_lower) & (x >= lp.col_lower - tol)
    above = (x > lp.col_upper) & (x <= lp.col_upper + tol)
    return np.where(below, lp.col_lower, np.where(above, lp.col_upper, x))


def check_solution(lp: LinearProgram, x, solver: str) -> None:
    """Refuse a "solution" that breaks the program's own bounds or rows (a garbled or foreign file)."""
    if x is None or np.shape(x) != (lp.n_cols,) or not np.isfinite(x).all():
        raise SolverError(f"{solver} returned no usable values for the {lp.n_cols} columns")
    tol_col = _column_tolerance(lp)
    bad_col = (x < lp.col_lower - tol_col) | (x > lp.col_upper + tol_col)
    if bad_col.any():
        j = int(np.flatnonzero(bad_col)[0])
        raise SolverError(f"{solver} returned a solution outside the bounds of column {lp.col_names[j]} ({x[j]:g})")
    products = lp.data * x[lp.indices]
    activity = lp.row_sums(products)
    # Scale by the row's size: its bound and the magnitude of its terms (sums of large opposite terms).
    magnitude = lp.row_sums(np.abs(products))
    bound = np.where(np.isfinite(lp.row_lower), np.abs(lp.row_lower), 0.0) + np.where(np.isfinite(lp.row_upper), np.abs(lp.row_upper), 0.0)
    tol_row = FEASIBILITY_TOLERANCE * np.maximum(1.0, np.maximum(magnitude, bound))
    if lp.is_mip:
        # Solvers print integer columns rounded, though they accept them a hair off (1e-7 for CBC): on a
        # big-M row (spend <= M x used) the rounded value leaves up to M x that hair unaccounted for.
        tol_row = tol_row + INTEGRALITY_TOLERANCE * lp.row_sums(np.abs(lp.data) * lp.col_integer[lp.indices])
    bad_row = (activity < lp.row_lower - tol_row) | (activity > lp.row_upper + tol_row)
    if bad_row.any():
        i = int(np.flatnonzero(bad_row)[0])
        raise SolverError(f"{solver} returned a solution that violates row {lp.row_names[i]} "
                          f"({activity[i]:g} not within [{lp.row_lower[i]:g}, {lp.row_upper[i]:g}])")


def solve(lp: LinearProgram, solver: str = "cbc", options: SolveOptions | None = None, *,
          prices: bool = True) -> SolveResult:
    """Solve `lp` with the named backend; for a MIP, duals come from the LP with integers fixed.

    The backend sees `lp` scaled by powers of two (solvers.scaling) and every value it returns is
    given back in `lp`'s own units. After a MIP solve the integer columns are fixed at their optimal
    values and the remaining LP is solved again, so that shadow prices describe the chosen plan
    (``extra["duals_from"]`` says so); ``prices=False`` skips that second solve, for callers that
    need only the verdict and the plan.
    """
    options = options or SolveOptions()
    module = backend(solver)
    crossed = crossed_bounds(lp)
    if crossed:  # no backend is asked: CBC refuses such a program as invalid, HiGHS calls it infeasible
        return SolveResult(status=Status.INFEASIBLE, solver=module.NAME, solver_version="", message=crossed,
                           solve_seconds=0.0, extra={"lp_method": "none (read off the bounds)", "duals_from": "none"})
    result = _solve_scaled(module, lp, options)
    if not (prices and lp.is_mip and result.status.has_solution and module.CAPABILITIES.duals):
        return replace(result, extra={**result.extra, "duals_from": "lp" if not lp.is_mip else "none"})
    if result.extra.pop("duals_of_fixed_lp", False):  # a warm start solved that very LP last (solvers.warm)
        return replace(result, extra={**result.extra, "duals_from": "lp_with_integers_fixed"})
    fixed = _solve_scaled(module, lp.with_fixed_integers(result.x), replace(options, log=False))
    if fixed.status is not Status.OPTIMAL or fixed.row_duals is None:
        return replace(result, extra={**result.extra, "duals_from": "none"})
    # Keep the MIP's status and plan; the fixed LP supplies the prices (and its plan only if strictly better,
    # e.g. after a time limit: an LP solver may stop a hair short where the MIP's own plan was exact).
    merged = np.where(lp.col_integer, np.round(result.x), fixed.x)
    old, new = lp.objective_value(result.x), lp.objective_value(merged)
    improved = new > old if lp.sense is Sense.MAXIMIZE else new < old
    x, objective = (merged, new) if improved else (result.x, old)
    return replace(
        result, x=x, objective=objective, row_duals=fixed.row_duals,
        reduced_costs=fixed.reduced_costs, solve_seconds=result.solve_seconds + fixed.solve_seconds,
        extra={**result.extra, "duals_from": "lp_with_integers_fixed"},
    )


def crossed_bounds(lp: LinearProgram) -> str | None:
    """Why no point can satisfy `lp`'s own bounds (a row or column whose lower bound exceeds its upper), or None."""
    for kind, names, lower, upper in (("column", lp.col_names, lp.col_lower, lp.col_upper),
                                      ("row", lp.row_names, lp.row_lower, lp.row_upper)):
        bad = np.flatnonzero(lower > upper)
        if bad.size:
            i = int(bad[0])
            return f"{kind} {names[i]} has lower bound {lower[i]:g} above its upper bound {upper[i]:g}"
    return None


def _solve_scaled(module: ModuleType, lp: LinearProgram, options: SolveOptions) -> SolveResult:
    """One backend solve of `lp` scaled; its plan snapped, checked and unscaled."""
    warm = options.warm if module.NAME == "highs" and options.warm else None
    scaling = equilibrate(lp) if warm is None else warm.scaling(lp)
    scaled = scaling.apply(lp)
    try:
        result = module.solve(scaled, options) if warm is None else warm.solve(scaled, options)
    except SolverError:
        raise
    except Exception as exc:  # a backend's own bug or a library's surprise is still a solver failure, not a crash
        raise SolverError(f"{module.NAME} failed ({type(exc).__name__}: {exc})") from exc
    if result.status.has_solution:
        x = snap_to_bounds(scaled, result.x)
        check_solution(scaled, x, module.NAME)
        result = replace(result, x=x)
    return scaling.unscale(lp, result)
