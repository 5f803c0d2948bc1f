"""Write a `LinearProgram` as free-format MPS, fast, with short generated names.

Column j is named ``x{j}`` and row i ``r{i}`` so that a solution file can be
mapped back by index; readable names stay in the `LinearProgram`. The problem
is always written as a minimisation: a maximisation is written with its
objective negated (``negated`` tells the caller to flip the signs back).
"""

from __future__ import annotations

import numpy as np

from .base import LinearProgram, Sense

# 15 significant digits keep every coefficient to within 1e-15 relative, far
# below any solver tolerance, and format three times faster than repr().
_NUMBER = "{:.15g}".format


_MAX_INDEX = 9_999_999  # names are at most 8 characters: "x" or "r" and 7 digits


def mps_text(lp: LinearProgram) -> str:
    """The MPS file of `lp` as one string, with names ``x{j}`` and ``r{i}``.

    Fields sit in the fixed-format columns (2, 5, 15, 25) as well as being
    separated by blanks, because CBC's reader decides between the fixed and
    free layouts line by line and rejects short free-format lines.
    """
    if max(lp.n_cols, lp.n_rows) > _MAX_INDEX:
        raise ValueError(f"at most {_MAX_INDEX} rows and columns can be written to MPS")
    col_names = [f"x{j:<7d}" for j in range(lp.n_cols)]
    row_names = [f"r{i:<7d}" for i in range(lp.n_rows)]
    sign = -1.0 if lp.sense is Sense.MAXIMIZE else 1.0

    lines = ["NAME          ALLOCATOR", "ROWS", " N  OBJ"]
    lines += [f" {_row_type(lo, up)}  {name}" for name, lo, up in zip(row_names, lp.row_lower, lp.row_upper)]
    lines.append("COLUMNS")

    colptr, rows, values = lp.to_csc()
    objective = lp.objective * sign
    row_token = np.asarray(row_names, dtype=object)
    entry_rows = row_token[rows]
    entry_values = list(map(_NUMBER, values.tolist()))
    objective_values = list(map(_NUMBER, objective.tolist()))

    # Columns in index order (the solution file lists them in the order written),
    # with INTORG/INTEND markers around each run of integer columns.
    integer = lp.col_integer
    boundaries = np.flatnonzero(np.diff(integer.astype(np.int8))) + 1
    starts = np.concatenate(([0], boundaries)).tolist()
    ends = np.concatenate((boundaries, [lp.n_cols])).tolist()
    for start, end in zip(starts, ends):
        if end <= start:
            continue
        run_is_integer = bool(integer[start])
        if run_is_integer:
            lines.append("    MARKER                 'MARKER'                 'INTORG'")
        lines += _column_lines(range(start, end), col_names, colptr, entry_rows, entry_values, objective_values)
        if run_is_integer:
            lines.append("    MARKER                 'MARKER'                 'INTEND'")

    lines.append("RHS")
    if lp.objective_offset:
        # MPS stores the negated constant of the objective in the RHS of OBJ.
        lines.append(f"    RHS       OBJ         {_NUMBER(-lp.objective_offset * sign)}")
    for name, lo, up in zip(row_names, lp.row_lower.tolist(), lp.row_upper.tolist()):
        rhs = lo if np.isfinite(lo) else up
        if np.isfinite(rhs) and rhs != 0.0:
            lines.append(f"    RHS       {name}  {_NUMBER(rhs)}")
    lines.append("BOUNDS")
    lines += _bound_lines(col_names, lp.col_lower, lp.col_upper, integer)
    lines.append("ENDATA")
    lines.append("")
    return "\n".join(lines)


def _row_type(lower: float, upper: float) -> str:
    if np.isfinite(lower) and np.isfinite(upper):
        if lower != upper:
            raise ValueError("ranged rows are not written; split them into two rows")
        return "E"
    if np.isfinite(lower):
        return "G"
    if np.isfinite(upper):
        return "L"
    return "N"


def _column_lines(cols, col_names, colptr, entry_rows, entry_values, objective_values):
    out = []
    for j in cols:
        name = col_names[j]
        out.append(f"    {name}  OBJ       {objective_values[j]}")
        start, end = colptr[j], colptr[j + 1]
        if end > start:
            out.extend(map(f"    {name}  {{}}  {{}}".format, entry_rows[start:end], entry_values[start:end]))
    return out


def _bound_lines(col_names, lower, upper, integer):
    out = []
    for name, lo, up, is_int in zip(col_names, lower.tolist(), upper.tolist(), integer.tolist()):
        if lo == up:
            out.append(f" FX BND       {name}  {_NUMBER(lo)}")
            continue
        if lo == -np.inf and up == np.inf:
            out.append(f" FR BND       {name}")
            continue
        if lo != 0.0 or is_int:
            out.append(f" {'MI' if lo == -np.inf else 'LO'} BND       {name}" + ("" if lo == -np.inf else f"  {_NUMBER(lo)}"))
        if up != np.inf:
            out.append(f" UP BND       {name}  {_NUMBER(up)}")
        elif is_int:
            # Without an explicit bound some readers treat an integer column as binary.
            out.append(f" PL BND       {name}")
    return out
