"""Collect constraint rows in bulk (COO triplets per block) and assemble the CSR matrix once."""

from __future__ import annotations

import numpy as np

INF = np.inf
ROUND_OFF = 1e-12  # relative to the terms summed into one coefficient (double round-off is 1e-16)


class RowBlocks:
    """Rows are added a block at a time: names, entries (local row, column, value), bounds."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.kinds: list[str] = []
        self.levers: list = []  # per row: the scenario number behind it (allocator.scenario.levers.Lever) or None
        self._lower: list[np.ndarray] = []
        self._upper: list[np.ndarray] = []
        self._rows: list[np.ndarray] = []
        self._cols: list[np.ndarray] = []
        self._vals: list[np.ndarray] = []

    @property
    def count(self) -> int:
        return len(self.names)

    def add(self, kind: str, names: list[str], local_row, cols, vals, lower, upper, levers=None) -> None:
        """Add len(names) rows; entry e goes to row local_row[e] of this block; levers: one per row, or None."""
        n = len(names)
        if n == 0:
            return
        offset = self.count
        self.names.extend(names)
        self.kinds.extend([kind] * n)
        self.levers.extend(levers if levers is not None else [None] * n)
        self._lower.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), (n,)).copy())
        self._upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (n,)).copy())
        cols = np.asarray(cols, dtype=np.int64)
        self._rows.append(np.asarray(local_row, dtype=np.int64) + offset)
        self._cols.append(cols)
        self._vals.append(np.broadcast_to(np.asarray(vals, dtype=np.float64), cols.shape).copy())

    def add_one(self, kind: str, name: str, cols, vals, lower=-INF, upper=INF, lever=None) -> None:
        cols = np.asarray(cols, dtype=np.int64)
        self.add(kind, [name], np.zeros(cols.size, dtype=np.int64), cols, vals, lower, upper, [lever])

    def add_grouped(self, kind: str, group_of_col: np.ndarray, cols: np.ndarray, vals, label, lower, upper,
                    lever=None) -> np.ndarray:
        """One row per distinct group code among `cols`; returns the codes in row order.

        ``group_of_col`` gives each entry's group code (same length as cols);
        ``label(code)`` names the row; ``lower``/``upper`` are callables
        ``f(codes) -> array`` giving each row's bounds; ``lever(code)`` its scenario number.
        """
        codes, local = np.unique(group_of_col, return_inverse=True)
        if codes.size == 0:
            return codes
        levers = [lever(int(code)) for code in codes] if lever else None
        self.add(kind, [label(int(code)) for code in codes], local, cols, vals, lower(codes), upper(codes), levers)
        return codes

    def add_entries(self, rows, cols, vals) -> None:
        """Extra coefficients in rows that already exist (e.g. a shortfall column added later)."""
        cols = np.asarray(cols, dtype=np.int64)
        self._rows.append(np.asarray(rows, dtype=np.int64))
        self._cols.append(cols)
        self._vals.append(np.broadcast_to(np.asarray(vals, dtype=np.float64), cols.shape).copy())

    def assemble(self, n_cols: int):
        """(indptr, indices, data, lower, upper) with duplicate entries summed and zeros dropped."""
        n_rows = self.count
        if not self._rows:
            empty_i = np.zeros(0, dtype=np.int64)
            return np.zeros(n_rows + 1, dtype=np.int64), empty_i, np.zeros(0), np.zeros(0), np.zeros(0)
        rows = np.concatenate(self._rows)
        cols = np.concatenate(self._cols)
        vals = np.concatenate(self._vals)
        key = rows * n_cols + cols
        order = np.argsort(key, kind="stable")
        key, vals = key[order], vals[order]
        unique_key, start = np.unique(key, return_index=True)
        summed = np.add.reduceat(vals, start) if vals.size else vals
        # Round-off leftovers (revenue per spend minus an equal ROI floor, say) are not coefficients. Judged
        # against the terms they came from, not an absolute size: with money in the billions, a new customer
        # per unit of spend (1e-14) is a real coefficient.
        magnitude = np.add.reduceat(np.abs(vals), start) if vals.size else vals
        keep = np.abs(summed) > ROUND_OFF * magnitude
        unique_key, summed = unique_key[keep], summed[keep]
        row_of = unique_key // n_cols
        indices = unique_key % n_cols
        indptr = np.concatenate(([0], np.cumsum(np.bincount(row_of, minlength=n_rows)))).astype(np.int64)
        return indptr, indices, summed, np.concatenate(self._lower), np.concatenate(self._upper)
