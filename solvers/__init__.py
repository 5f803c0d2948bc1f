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


def solve(lp: LinearProgram, solver: str = "cbc", options: SolveOptions | None = None) -> SolveResult:
    """Solve `lp` with the named backend; for a MIP, duals come from the LP with integers fixed.

    After a MIP solve the integer columns are fixed at their optimal values and
    the remaining LP is solved again, so that shadow prices describe the chosen
    plan (``extra["duals_from"]`` says so).
    """
    options = options or SolveOptions()
    module = backend(solver)
    result = module.solve(lp, options)
    if not (lp.is_mip and result.status.has_solution and module.CAPABILITIES.duals):
        return replace(result, extra={**result.extra, "duals_from": "lp" if not lp.is_mip else "none"})
    fixed = module.solve(lp.with_fixed_integers(result.x), replace(options, log=False))
    if fixed.status is not Status.OPTIMAL or fixed.row_duals is None:
        return replace(result, extra={**result.extra, "duals_from": "none"})
    # Keep the MIP's status and plan; the fixed LP only supplies the prices.
    x = np.where(lp.col_integer, np.round(result.x), fixed.x)
    return replace(
        result, x=x, objective=lp.objective_value(x), row_duals=fixed.row_duals,
        reduced_costs=fixed.reduced_costs, solve_seconds=result.solve_seconds + fixed.solve_seconds,
        extra={**result.extra, "duals_from": "lp_with_integers_fixed"},
    )
