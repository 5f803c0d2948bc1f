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
_MARKERS = (
    b"    MARKER                 'MARKER'                 'INTORG'\n",
    b"    MARKER                 'MARKER'                 'INTEND'\n",
)


def _mps_parts(lp: LinearProgram) -> list:
    """The MPS file of `lp` as a list of bytes-like pieces (the COLUMNS blocks are views, not copies).

    Fields sit in the fixed-format columns (2, 5, 15, 25) as well as being
    separated by blanks, because CBC's reader decides between the fixed and
    free layouts line by line and rejects short free-format lines.
    """
    if max(lp.n_cols, lp.n_rows) > _MAX_INDEX:
        raise ValueError(f"at most {_MAX_INDEX} rows and columns can be written to MPS")
    sign = -1.0 if lp.sense is Sense.MAXIMIZE else 1.0
    row_tokens = _names("r", lp.n_rows)
    col_tokens = _names("x", lp.n_cols)

    parts = [b"NAME          ALLOCATOR\nROWS\n N  OBJ\n", _lines(b" ", _row_types(lp), b"  ", row_tokens), b"COLUMNS\n"]
    entries, first_entry = _column_entries(lp, row_tokens, col_tokens, sign)
    integer = lp.col_integer
    boundaries = np.flatnonzero(np.diff(integer.astype(np.int8))) + 1
    starts = np.concatenate(([0], boundaries)).astype(int).tolist()
    ends = np.concatenate((boundaries, [lp.n_cols])).astype(int).tolist()
    for start, end in zip(starts, ends):
        if end <= start:
            continue
        block = memoryview(entries[int(first_entry[start]): int(first_entry[end])]).cast("B")
        parts.extend((_MARKERS[0], block, _MARKERS[1]) if integer[start] else (block,))

    parts.append(b"RHS\n")
    if lp.objective_offset:
        # MPS stores the negated constant of the objective in the RHS of OBJ.
        parts.append(f"    RHS       OBJ       {_NUMBER(-lp.objective_offset * sign)}\n".encode("ascii"))
    rhs = np.where(np.isfinite(lp.row_lower), lp.row_lower, lp.row_upper)
    listed = np.flatnonzero(np.isfinite(rhs) & (rhs != 0.0))
    parts.append(_lines(b"    RHS       ", row_tokens[listed], b"  ", _numbers(rhs[listed])))
    parts.append(_range_lines(lp, row_tokens))
    parts.append(b"BOUNDS\n")
    parts.append(_bound_lines(lp.col_lower, lp.col_upper, integer, col_tokens))
    parts.append(b"ENDATA\n")
    return parts


def write_mps(lp: LinearProgram, path: Path) -> None:
    """Written piece by piece: the 10 MB of a 200k-entry model are never copied into one string."""
    with open(path, "wb") as handle:
        for part in _mps_parts(lp):
            handle.write(part)


def _column_entries(lp: LinearProgram, row_tokens: np.ndarray, col_tokens: np.ndarray, sign: float):
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
    value_tokens = _numbers(np.asarray(distinct, dtype=np.float64))
    all_rows = np.concatenate((row_tokens, _padded(["OBJ"], 8)))
    width = value_tokens.shape[1]
    # One record per line; each field is filled by one gather of whole tokens (not byte by byte).
    layout = np.dtype([("lead", "V4"), ("col", "V8"), ("gap1", "V2"), ("row", "V8"), ("gap2", "V2"),
                       ("value", f"V{width}"), ("end", "V1")])
    records = np.empty(entry_col.size, dtype=layout)
    lines = records.view(np.uint8).reshape(entry_col.size, layout.itemsize)
    lines[:, 0:4] = ord(" ")
    lines[:, 12:14] = ord(" ")
    lines[:, 22:24] = ord(" ")
    lines[:, -1] = ord("\n")
    records["col"] = col_tokens.view("V8").ravel()[entry_col]
    records["row"] = all_rows.view("V8").ravel()[entry_row]
    records["value"] = value_tokens.view(f"V{width}").ravel()[which]
    return lines, first_entry


def _names(prefix: str, count: int) -> np.ndarray:
    """``x0``, ``x1``, ... as an (count x 8) uint8 matrix, blank-padded."""
    return _padded([f"{prefix}{i}" for i in range(count)], 8)


def _numbers(values: np.ndarray) -> np.ndarray:
    """Each value with 15 significant digits, as a blank-padded uint8 matrix as wide as the longest."""
    return _padded(list(map(_NUMBER, values.tolist())), None)


def _padded(tokens: list[str], width: int | None) -> np.ndarray:
    """ASCII tokens as a (len x width) uint8 matrix, padded with blanks (width None: the longest)."""
    if not tokens:
        return np.zeros((0, width or 1), dtype=np.uint8)
    raw = np.array(tokens, dtype="S" if width is None else f"S{width}")
    raw = raw.view(np.uint8).reshape(len(tokens), -1).copy()
    raw[raw == 0] = ord(" ")
    return raw


def _lines(*parts) -> bytes:
    """Lines made of fixed-width parts: bytes constants or (n x w) uint8 matrices, one row per line."""
    matrices = [p for p in parts if isinstance(p, np.ndarray)]
    n = matrices[0].shape[0]
    if n == 0:
        return b""
    pieces = [np.broadcast_to(np.frombuffer(p, dtype=np.uint8), (n, len(p))) if isinstance(p, bytes) else p for p in parts]
    pieces.append(np.full((n, 1), ord("\n"), dtype=np.uint8))
    return np.concatenate(pieces, axis=1).tobytes()


def _ranged(lp: LinearProgram) -> np.ndarray:
    """Rows with two different finite bounds: written as ``G`` rows (rhs = lower) with a RANGES entry."""
    return np.isfinite(lp.row_lower) & np.isfinite(lp.row_upper) & (lp.row_lower != lp.row_upper)


def _row_types(lp: LinearProgram) -> np.ndarray:
    """E, G, L, or N for a free row (which a reader takes as another objective and ignores)."""
    lower, upper = np.isfinite(lp.row_lower), np.isfinite(lp.row_upper)
    kinds = np.where(_ranged(lp), "G", np.where(lower & upper, "E", np.where(lower, "G", np.where(upper, "L", "N"))))
    return _padded(kinds.tolist(), 1)


def _range_lines(lp: LinearProgram, row_tokens: np.ndarray) -> bytes:
    """The RANGES section: on a G row, R gives the row [rhs, rhs + |R|]."""
    ranged = np.flatnonzero(_ranged(lp))
    if ranged.size == 0:
        return b""
    width = lp.row_upper[ranged] - lp.row_lower[ranged]
    return b"RANGES\n" + _lines(b"    RNG       ", row_tokens[ranged], b"  ", _numbers(width))


def _bound_lines(lower: np.ndarray, upper: np.ndarray, integer: np.ndarray, col_tokens: np.ndarray) -> bytes:
    out = []
    # Only columns whose bounds differ from the MPS default [0, inf) need a line (integers always get one).
    special = np.flatnonzero((lower != 0.0) | (upper != np.inf) | integer)
    for j in special.tolist():
        name, lo, up, is_int = col_tokens[j].tobytes().decode("ascii"), float(lower[j]), float(upper[j]), bool(integer[j])
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
    return "".join(line + "\n" for line in out).encode("ascii")
