"""Small linear programs written densely, and the known answer each backend must reproduce."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers import LinearProgram, Status

INF = np.inf


def program(sense, c, A, row_lower, row_upper, col_lower=None, col_upper=None, integer=None,
            offset=0.0, name="known") -> LinearProgram:
    """The program max/min c @ x + offset, row_lower <= A @ x <= row_upper, from a dense A (zeros dropped)."""
    A = np.asarray(A, dtype=float)
    m, n = A.shape
    nonzero = A != 0.0
    return LinearProgram(
        name=name, sense=sense, objective=np.asarray(c, dtype=float), objective_offset=offset,
        col_names=[f"x{j}" for j in range(n)],
        col_lower=np.asarray(col_lower if col_lower is not None else [0.0] * n, dtype=float),
        col_upper=np.asarray(col_upper if col_upper is not None else [INF] * n, dtype=float),
        col_integer=np.asarray(integer if integer is not None else [False] * n, dtype=bool),
        row_names=[f"r{i}" for i in range(m)],
        row_lower=np.asarray(row_lower, dtype=float), row_upper=np.asarray(row_upper, dtype=float),
        indptr=np.concatenate(([0], np.cumsum(nonzero.sum(axis=1)))).astype(np.int64),
        indices=np.nonzero(nonzero)[1].astype(np.int64), data=A[nonzero],
    )


@dataclass
class Case:
    """A program and its answer worked out by hand: objective, x, row duals and reduced costs (in the
    problem's own sense), where unique."""

    lp: LinearProgram
    status: Status
    objective: float | None = None
    x: list[float] | None = None
    duals: list[float] | None = None
    reduced_costs: list[float] | None = None
    duals_from: str = "lp"
