"""Export the linear program with readable names as .lp and .mps files, through PuLP, for auditors."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from solvers import LinearProgram, Sense


def to_pulp(lp: LinearProgram):
    import pulp

    problem = pulp.LpProblem(lp.name, pulp.LpMaximize if lp.sense is Sense.MAXIMIZE else pulp.LpMinimize)
    variables = [
        problem.add_variable(
            name, None if not np.isfinite(lo) else float(lo), None if not np.isfinite(up) else float(up),
            cat=pulp.LpInteger if is_int else pulp.LpContinuous,
        )
        for name, lo, up, is_int in zip(lp.col_names, lp.col_lower, lp.col_upper, lp.col_integer)
    ]
    # A dict {variable: coefficient}; never pass (variable, coefficient) tuples to lpSum.
    objective = pulp.LpAffineExpression({variables[j]: float(c) for j, c in enumerate(lp.objective) if c != 0.0},
                                        constant=float(lp.objective_offset))
    problem.setObjective(objective)
    for i, name in enumerate(lp.row_names):
        start, end = lp.indptr[i], lp.indptr[i + 1]
        expr = pulp.LpAffineExpression({variables[j]: float(v) for j, v in zip(lp.indices[start:end], lp.data[start:end])})
        lo, up = lp.row_lower[i], lp.row_upper[i]
        if np.isfinite(lo) and np.isfinite(up):
            constraint = expr == float(lo)
        elif np.isfinite(lo):
            constraint = expr >= float(lo)
        else:
            constraint = expr <= float(up)
        problem.addConstraint(constraint, name=name)
    return problem


def export_texts(lp: LinearProgram) -> dict[str, str]:
    """{'model.lp': text, 'model.mps': text} with PuLP's rendering of the readable names."""
    problem = to_pulp(lp)
    out = {}
    with tempfile.TemporaryDirectory(prefix="allocator-export-") as tmp:
        lp_path, mps_path = Path(tmp) / "model.lp", Path(tmp) / "model.mps"
        problem.writeLP(str(lp_path))
        problem.writeMPS(str(mps_path))
        out["model.lp"] = lp_path.read_text()
        out["model.mps"] = mps_path.read_text()
    return out
