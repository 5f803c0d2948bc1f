"""Reading what CBC wrote: the status line of its text solution and the full-precision binary values."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .base import Status
from .errors import SolverError


def status_from_line(line: str) -> tuple[Status, str]:
    """Map the first line of a CBC solution file onto the project's Status."""
    text = line.strip()
    lowered = text.lower()
    if lowered.startswith("optimal"):
        return Status.OPTIMAL, text
    if lowered.startswith("infeasible") or lowered.startswith("integer infeasible"):
        return Status.INFEASIBLE, text
    if lowered.startswith("unbounded"):
        return Status.UNBOUNDED, text
    if lowered.startswith("stopped on difficulties"):
        return Status.ERROR, f"CBC stopped on numerical difficulties ({text}); try --solver highs"
    if lowered.startswith("stopped"):
        if "no integer solution" in lowered or "objective value" not in lowered:
            return Status.NO_SOLUTION, text
        return Status.TIME_LIMIT_WITH_SOLUTION, text
    return Status.ERROR, f"unrecognised CBC status line: {text!r}"


def read_status(path: Path) -> tuple[Status, str]:
    """The status from the first line of CBC's text solution file."""
    try:
        with path.open() as handle:
            first = handle.readline()
    except (OSError, UnicodeDecodeError) as exc:
        raise SolverError(f"CBC's solution file could not be read ({exc})") from exc
    if not first.strip():
        raise SolverError("CBC's solution file is empty")
    return status_from_line(first)


def read_binary_solution(path: Path, n_rows: int, n_cols: int):
    """Full-precision values from CBC's ``-saveSolution`` file.

    Layout: int32 rows, int32 columns, float64 objective, then float64 arrays
    of row activities, row duals, column values and reduced costs. The text
    solution prints only 8 significant digits, too few for money in millions.
    Returns (x, row_duals, reduced_costs) of the minimisation that was written.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SolverError(f"CBC wrote no readable solution values ({exc})") from exc
    expected = 16 + 8 * (2 * n_rows + 2 * n_cols)
    if len(raw) != expected:
        raise SolverError(f"CBC's solution values have {len(raw)} bytes, expected {expected}")
    rows, cols = (int(v) for v in np.frombuffer(raw[:8], dtype=np.int32))
    if (rows, cols) != (n_rows, n_cols):
        raise SolverError(f"CBC's solution is for {rows} rows x {cols} columns, not {n_rows} x {n_cols}")
    values = np.frombuffer(raw[16:], dtype=np.float64)
    duals = values[n_rows: 2 * n_rows].copy()
    x = values[2 * n_rows: 2 * n_rows + n_cols].copy()
    reduced = values[2 * n_rows + n_cols:].copy()
    if not (np.isfinite(x).all() and np.isfinite(duals).all() and np.isfinite(reduced).all()):
        raise SolverError("CBC's solution holds values that are not finite numbers")
    return x, duals, reduced
