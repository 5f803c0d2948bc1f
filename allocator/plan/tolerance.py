"""One feasibility tolerance for every "does this row hold?" question.

targets.csv and shortfalls.csv (`met`), the terminal summary, constraints.csv
(`binding`), the sensitivity table and `allocator verify` all ask here, so
they cannot disagree about one plan. The tolerance is relative to the row's
own scale: the larger of the sum of its terms' absolute values and its
right-hand side. There is no absolute floor (3.4 in a plan kept in millions is
as real as 3.4M in one kept in units) and no growth with the number of rows
(every number is written at full precision and summed unrounded).
"""

from __future__ import annotations

import numpy as np

# Above the solvers' own relative feasibility tolerance (about 1e-7 on a well-scaled program), far below
# anything a person would call a miss.
RELATIVE = 1e-6
# A cell's spend below this share of the plan's total spend may be solver noise (a solver's feasibility
# tolerance, 1e-7 of a scaled column, leaves such crumbs: 0.005 of a 3.4M budget): plan/totals.settled reads
# it as 0 where that breaks no row. Left in, a crumb on a channel with an ROI floor broke that row.
SPEND_NOISE = 1e-8


def tolerance(magnitude, rhs):
    """How far a row whose terms sum to `magnitude` in absolute value may stray past `rhs` (arrays or floats)."""
    return RELATIVE * np.maximum(np.abs(magnitude), np.abs(rhs))


def excess(lhs, sense: str, rhs):
    """By how much lhs (sense) rhs fails; <= 0 when it holds with room to spare."""
    if sense == "<=":
        return lhs - rhs
    if sense == ">=":
        return rhs - lhs
    return np.abs(lhs - rhs)


def holds(lhs, sense: str, rhs, magnitude=None) -> bool:
    """lhs (sense) rhs within the tolerance; `magnitude` defaults to |lhs| (a sum of non-negative terms)."""
    scale = np.abs(lhs) if magnitude is None else magnitude
    return bool(excess(lhs, sense, rhs) <= tolerance(scale, rhs))


def row_magnitudes(lp, x: np.ndarray) -> np.ndarray:
    """Per row of `lp`, the sum of |a_ij x_j|: the scale its activity is computed at."""
    return lp.row_sums(np.abs(lp.data * x[lp.indices]))


def binding_rows(lp, x: np.ndarray, activity: np.ndarray) -> np.ndarray:
    """Per row of `lp`: does it hold with equality at plan x (within the tolerance at its own scale)?

    Here, beside the test it applies, so that the plan's tables and its prices share it without
    importing each other.
    """
    lower, upper = lp.row_lower, lp.row_upper
    rhs = np.where(np.isfinite(lower), lower, upper)
    slack = np.abs(activity - rhs)
    # A free row (no finite bound: a re-plan's cap of a period that is over) binds nothing.
    near = slack <= tolerance(row_magnitudes(lp, x), rhs)
    return (np.isfinite(lower) & np.isfinite(upper)) | (np.isfinite(rhs) & near)
