"""Power-of-two row and column scaling of a `LinearProgram`, so that solvers see numbers near 1.

Solvers judge feasibility and optimality with absolute tolerances (about 1e-7 to 1e-9). Money in the
tens of billions (a budget in rupiah) leaves those tolerances below the round-off of the values
themselves, and a lead costing 1e10 gives matrix entries (1e-10) that HiGHS drops as zero. Scaling
rows and columns fixes both; every factor is a power of two, so scaling and unscaling change only
exponents and the unscaled plan and prices are bit for bit those of the scaled program.

The factors come from geometric equilibration (the classic ``sqrt(max * min)`` passes of CLP and
HiGHS) of the matrix bordered by the right-hand sides and the column bounds: a bound ``x_j <= u_j``
is a row with entries 1 (column j) and ``u_j`` (right-hand side), the objective is one more row. The
bordered matrix changes by a diagonal scaling when the user changes the unit of money, so the program
a solver sees is (up to the rounding to powers of two) the same in yuan, in millions or in rupiah.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .base import LinearProgram, SolveResult

_PASSES = 12  # at most; most programs settle in a few
_SETTLED = 0.05  # largest change of an exponent (log2) in a pass below which the passes stop
_MAX_EXPONENT = 200  # factors stay within 2**-200 .. 2**200: far from overflow, whatever the input


@dataclass(frozen=True)
class Scaling:
    """Scaled program ``R A C y`` with ``x = C y``, row bounds times ``R``, objective times ``objective``."""

    row: np.ndarray  # R: one power of two per row
    col: np.ndarray  # C: one power of two per column (1 for integer columns)
    objective: float  # a power of two

    def apply(self, lp: LinearProgram) -> LinearProgram:
        row_of_entry = np.repeat(np.arange(lp.n_rows), np.diff(lp.indptr))
        return replace(
            lp,
            objective=lp.objective * self.col * self.objective,
            objective_offset=lp.objective_offset * self.objective,
            col_lower=lp.col_lower / self.col, col_upper=lp.col_upper / self.col,
            row_lower=lp.row_lower * self.row, row_upper=lp.row_upper * self.row,
            data=lp.data * self.row[row_of_entry] * self.col[lp.indices],
        )

    def unscale(self, lp: LinearProgram, result: SolveResult) -> SolveResult:
        """The scaled program's answer in the units of `lp` (the program before scaling)."""
        if result.x is None:
            return result
        x = result.x * self.col
        # Row i's bound was multiplied by R_i and the objective by s: d(obj)/d(b_i) = dual_i * R_i / s.
        duals = None if result.row_duals is None else result.row_duals * self.row / self.objective
        reduced = None if result.reduced_costs is None else result.reduced_costs / (self.col * self.objective)
        return replace(result, x=x, objective=lp.objective_value(x), row_duals=duals, reduced_costs=reduced)


def equilibrate(lp: LinearProgram) -> Scaling:
    """Power-of-two factors that bring the matrix, bounds and objective of `lp` near 1 (see the module)."""
    m, n = lp.n_rows, lp.n_cols
    rows, cols, logs = _bordered_entries(lp)
    rhs_col, objective_row = n, m
    n_rows_all = int(rows.max(initial=objective_row)) + 1
    row_exp, col_exp = np.zeros(n_rows_all), np.zeros(n + 1)
    integer = np.append(np.asarray(lp.col_integer, dtype=bool), False)
    # Each entry list sorted once by row and once by column; a pass is then two gathers and four reductions.
    by_row, by_col = _grouped(rows, cols, logs), _grouped(cols, rows, logs)
    for _ in range(_PASSES):
        row_exp = -_midrange(by_row, col_exp, n_rows_all)
        previous, col_exp = col_exp, -_midrange(by_col, row_exp, n + 1)
        # An integer column keeps its unit (x = C y with C = 1), i.e. its factor equals the right-hand side's.
        col_exp[integer] = col_exp[rhs_col]
        if np.abs(col_exp - previous).max(initial=0.0) < _SETTLED:
            break  # factors are rounded to whole exponents: further passes would not change them
    shift = col_exp[rhs_col]
    col = _power_of_two(col_exp[:n] - shift)
    col[integer[:n]] = 1.0
    return Scaling(row=_power_of_two(row_exp[:m] + shift), col=col,
                   objective=float(_power_of_two(np.array([row_exp[objective_row] + shift]))[0]))


def _bordered_entries(lp: LinearProgram) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, column, log2 |value|) of every nonzero of A, the right-hand sides, the objective and the bounds.

    Rows 0..m-1 are A's (column n holds their right-hand side), row m is the objective, then one row per
    column with a finite nonzero bound.
    """
    m, n = lp.n_rows, lp.n_cols
    a_rows = np.repeat(np.arange(m), np.diff(lp.indptr))
    rhs = _size(lp.row_lower, lp.row_upper)
    bound = _size(lp.col_lower, lp.col_upper)
    rhs_rows = np.flatnonzero(rhs > 0)
    obj_cols = np.flatnonzero(lp.objective != 0)
    bounded = np.flatnonzero(bound > 0)
    bound_rows = m + 1 + np.arange(bounded.size)
    rows = np.concatenate([a_rows, rhs_rows, np.full(obj_cols.size, m), bound_rows, bound_rows])
    cols = np.concatenate([lp.indices, np.full(rhs_rows.size, n), obj_cols, bounded, np.full(bounded.size, n)])
    values = np.concatenate([lp.data, rhs[rhs_rows], lp.objective[obj_cols], np.ones(bounded.size), bound[bounded]])
    keep = values != 0
    return rows[keep].astype(np.int64), cols[keep].astype(np.int64), np.log2(np.abs(values[keep]))


def _size(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Per row (or column), the larger finite magnitude of its two bounds; 0 when neither is finite."""
    lo = np.where(np.isfinite(lower), np.abs(lower), 0.0)
    up = np.where(np.isfinite(upper), np.abs(upper), 0.0)
    return np.maximum(lo, up)


def _grouped(keys: np.ndarray, others: np.ndarray, logs: np.ndarray):
    """Entries sorted by `keys`: (the keys present, where each one's run starts, the other index, log2 values)."""
    order = np.argsort(keys, kind="stable")
    keys, others, logs = keys[order], others[order], logs[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if keys.size else np.zeros(0, dtype=np.int64)
    return keys[starts], starts, others, logs


def _midrange(grouped, other_exp: np.ndarray, count: int) -> np.ndarray:
    """Per key, (max + min) / 2 of log2 |a| + the other side's exponent: log2 of sqrt(max * min); 0 if empty."""
    present, starts, others, logs = grouped
    out = np.zeros(count)
    if logs.size == 0:
        return out
    values = logs + other_exp[others]
    out[present] = 0.5 * (np.maximum.reduceat(values, starts) + np.minimum.reduceat(values, starts))
    return out


def _power_of_two(exponents: np.ndarray) -> np.ndarray:
    return np.ldexp(1.0, np.clip(np.round(exponents), -_MAX_EXPONENT, _MAX_EXPONENT).astype(np.int64))
