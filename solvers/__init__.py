"""Solver backends behind one small interface, in an explicit registry.

Nothing is probed at import time: `available()` asks a backend only when called.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from types import ModuleType

import numpy as np

from .base import Capabilities, LinearProgram, Sense, SolveOptions, SolveResult, Status
from .errors import SolverError, SolverUnavailable

__all__ = [
    "BACKENDS", "Capabilities", "LinearProgram", "Sense", "SolveOptions", "SolveResult", "SolverError",
    "SolverUnavailable", "Status", "backend", "solve",
]

# name -> module; each module defines NAME, CAPABILITIES, available() and solve(lp, options).
BACKENDS: dict[str, str] = {
    "cbc": "solvers.cbc",
    "highs": "solvers.highs",
}


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
    note = "ready" if ok else ("install with: pip install 'allocator[highs]'" if name == "highs" else "not found")
    return BackendInfo(name=name, capabilities=module.CAPABILITIES, available=ok, note=note)


# A returned plan may break a bound or row by this much (relative to the bound's size) before it is refused.
FEASIBILITY_TOLERANCE = 1e-6


def check_solution(lp: LinearProgram, x, solver: str) -> None:
    """Refuse a "solution" that breaks the program's own bounds or rows (a garbled or foreign file)."""
    if x is None or np.shape(x) != (lp.n_cols,) or not np.isfinite(x).all():
        raise SolverError(f"{solver} returned no usable values for the {lp.n_cols} columns")
    tol_col = FEASIBILITY_TOLERANCE * np.maximum(1.0, np.abs(np.where(np.isfinite(lp.col_upper), lp.col_upper, 0.0)))
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
    bad_row = (activity < lp.row_lower - tol_row) | (activity > lp.row_upper + tol_row)
    if bad_row.any():
        i = int(np.flatnonzero(bad_row)[0])
        raise SolverError(f"{solver} returned a solution that violates row {lp.row_names[i]} "
                          f"({activity[i]:g} not within [{lp.row_lower[i]:g}, {lp.row_upper[i]:g}])")


def solve(lp: LinearProgram, solver: str = "cbc", options: SolveOptions | None = None) -> SolveResult:
    """Solve `lp` with the named backend; for a MIP, duals come from the LP with integers fixed.

    After a MIP solve the integer columns are fixed at their optimal values and
    the remaining LP is solved again, so that shadow prices describe the chosen
    plan (``extra["duals_from"]`` says so).
    """
    options = options or SolveOptions()
    module = backend(solver)
    result = module.solve(lp, options)
    if result.status.has_solution:
        check_solution(lp, result.x, solver)
    if not (lp.is_mip and result.status.has_solution and module.CAPABILITIES.duals):
        return replace(result, extra={**result.extra, "duals_from": "lp" if not lp.is_mip else "none"})
    fixed = module.solve(lp.with_fixed_integers(result.x), replace(options, log=False))
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
