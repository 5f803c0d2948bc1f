"""Write a `LinearProgram` as MPS, fast, with short generated names.

Column j is named ``x{j}`` and row i ``r{i}`` so that a solution can be mapped
back by index; readable names stay in the `LinearProgram`. The problem is
always written as a minimisation: a maximisation is written with its
objective negated (the backend flips the signs of duals back).

The COLUMNS section (one line per matrix entry, hundreds of thousands of
lines) is assembled as a fixed-width byte matrix with numpy rather than
formatted line by line; each distinct coefficient is formatted once.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .base import LinearProgram, Sense

# 15 significant digits keep every coefficient to within 1e-15 relative, far below any solver tolerance.
_NUMBER = "{:.15g}".format
_MAX_INDEX = 9_999_999  # names are at most 8 characters: "x" or "r" and 7 digits
_VALUE_WIDTH = 23  # "-1.23456789012345e-100" and a space
_MARKERS = (
    b"    MARKER                 'MARKER'                 'INTORG'\n",
    b"    MARKER                 'MARKER'                 'INTEND'\n",
)


def mps_bytes(lp: LinearProgram) -> bytes:
    """The MPS file of `lp`.

    Fields sit in the fixed-format columns (2, 5, 15, 25) as well as being
    separated by blanks, because CBC's reader decides between the fixed and
    free layouts line by line and rejects short free-format lines.
    """
    if max(lp.n_cols, lp.n_rows) > _MAX_INDEX:
        raise ValueError(f"at most {_MAX_INDEX} rows and columns can be written to MPS")
    sign = -1.0 if lp.sense is Sense.MAXIMIZE else 1.0
    row_names = [f"r{i:<7d}" for i in range(lp.n_rows)]

    head = ["NAME          ALLOCATOR", "ROWS", " N  OBJ"]
    head += [f" {_row_type(lo, up)}  {name}" for name, lo, up in zip(row_names, lp.row_lower.tolist(), lp.row_upper.tolist())]
    head.append("COLUMNS")

    entries, first_entry = _column_entries(lp, row_names, sign)
    parts = ["\n".join(head).encode("ascii") + b"\n"]
    integer = lp.col_integer
    boundaries = np.flatnonzero(np.diff(integer.astype(np.int8))) + 1
    starts = np.concatenate(([0], boundaries)).astype(int).tolist()
    ends = np.concatenate((boundaries, [lp.n_cols])).astype(int).tolist()
    for start, end in zip(starts, ends):
        if end <= start:
            continue
        block = entries[int(first_entry[start]): int(first_entry[end])].tobytes()
        parts.append(_MARKERS[0] + block + _MARKERS[1] if integer[start] else block)

    tail = ["RHS"]
    if lp.objective_offset:
        # MPS stores the negated constant of the objective in the RHS of OBJ.
        tail.append(f"    RHS       OBJ         {_NUMBER(-lp.objective_offset * sign)}")
    rhs = np.where(np.isfinite(lp.row_lower), lp.row_lower, lp.row_upper)
    for i in np.flatnonzero(np.isfinite(rhs) & (rhs != 0.0)).tolist():
        tail.append(f"    RHS       {row_names[i]}  {_NUMBER(float(rhs[i]))}")
    tail.append("BOUNDS")
    tail += _bound_lines(lp.col_lower, lp.col_upper, integer)
    tail.append("ENDATA")
    parts.append(("\n".join(tail) + "\n").encode("ascii"))
    return b"".join(parts)


def mps_text(lp: LinearProgram) -> str:
    return mps_bytes(lp).decode("ascii")


def write_mps(lp: LinearProgram, path: Path) -> None:
    Path(path).write_bytes(mps_bytes(lp))


def _column_entries(lp: LinearProgram, row_names: list[str], sign: float):
    """Fixed-width lines, one per entry: each column's objective entry, then its matrix entries.

    Returns the (entries x width) uint8 matrix and, per column (plus one past
    the end), the index of its first entry.
    """
    colptr, rows, values = lp.to_csc()
    counts = np.diff(colptr)
    entry_col = np.repeat(np.arange(lp.n_cols), counts + 1)
    first_entry = np.concatenate((colptr[:-1] + np.arange(lp.n_cols), [colptr[-1] + lp.n_cols]))
    is_objective = np.zeros(entry_col.size, dtype=bool)
    is_objective[first_entry[:-1]] = True
    entry_row = np.full(entry_col.size, lp.n_rows, dtype=np.int64)
    entry_row[~is_objective] = rows
    entry_value = np.empty(entry_col.size)
    entry_value[is_objective] = lp.objective * sign
    entry_value[~is_objective] = values

    which, distinct = pd.factorize(entry_value, use_na_sentinel=False)  # hashing beats np.unique's sort
    value_bytes = _padded([f"{v:<{_VALUE_WIDTH}.15g}" for v in distinct.tolist()], _VALUE_WIDTH)
    col_bytes = _padded([f"x{j:<7d}" for j in range(lp.n_cols)], 8)
    row_bytes = _padded(row_names + ["OBJ     "], 8)

    width = 4 + 8 + 2 + 8 + 2 + _VALUE_WIDTH + 1
    lines = np.full((entry_col.size, width), ord(" "), dtype=np.uint8)
    lines[:, 4:12] = col_bytes[entry_col]
    lines[:, 14:22] = row_bytes[entry_row]
    lines[:, 24:24 + _VALUE_WIDTH] = value_bytes[which.reshape(-1)]
    lines[:, -1] = ord("\n")
    return lines, first_entry


def _padded(tokens: list[str], width: int) -> np.ndarray:
    """ASCII tokens as a (len x width) uint8 matrix, padded with blanks."""
    if not tokens:
        return np.zeros((0, width), dtype=np.uint8)
    raw = np.array(tokens, dtype=f"S{width}").view(np.uint8).reshape(len(tokens), width).copy()
    raw[raw == 0] = ord(" ")
    return raw


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


def _bound_lines(lower: np.ndarray, upper: np.ndarray, integer: np.ndarray) -> list[str]:
    out = []
    # Only columns whose bounds differ from the MPS default [0, inf) need a line (integers always get one).
    special = np.flatnonzero((lower != 0.0) | (upper != np.inf) | integer)
    for j in special.tolist():
        name, lo, up, is_int = f"x{j:<7d}", float(lower[j]), float(upper[j]), bool(integer[j])
        if lo == up:
            out.append(f" FX BND       {name}  {_NUMBER(lo)}")
            continue
        if lo == -np.inf and up == np.inf:
            out.append(f" FR BND       {name}")
            continue
        if lo == -np.inf:
            out.append(f" MI BND       {name}")
        elif lo != 0.0 or is_int:
            out.append(f" LO BND       {name}  {_NUMBER(lo)}")
        if up != np.inf:
            out.append(f" UP BND       {name}  {_NUMBER(up)}")
        elif is_int:
            # Without an explicit bound some readers treat an integer column as binary.
            out.append(f" PL BND       {name}")
    return out
