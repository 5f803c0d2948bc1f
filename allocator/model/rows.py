"""Collect constraint rows in bulk (COO triplets per block) and assemble the CSR matrix once.

Each row carries a `RowRecord`: its family, its form, its arguments in the
scenario's own names and the scenario number behind it. The row's name is made
from the record (``capacity_spend[livestream,2027-02]``), and everything that
reads a row later (words, prices, goals, diagnosis) reads the record, never
the name: a channel called ``web, app`` stays one argument.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import numpy as np

from allocator.scenario.levers import Lever

INF = np.inf
ROUND_OFF = 1e-12  # relative to the terms summed into one coefficient (double round-off is 1e-16)


class RowRecord(NamedTuple):
    """What one row is: ``RowRecord("capacity", "capacity_spend", ("livestream", "2027-02"), lever)``.

    A named tuple rather than a dataclass: a large model has a record per row, built in its hot loop.
    """

    family: str  # the row's kind in constraints.csv: budget, capacity, response, roi, target, mix, phasing...
    form: str  # which limit of the family: budget_min_share, capacity_leads, mix_max_revenue...
    args: tuple[str, ...] = ()  # what it is about, as text: a channel, a period, a selection's label, a slice
    lever: Lever | None = None  # the scenario number behind it; None for structural rows

    @property
    def name(self) -> str:
        """The row's readable name, e.g. ``capacity_spend[livestream,2027-02]`` (made unique by the builder)."""
        return row_name(self.form, self.args)


def row_name(form: str, args: tuple[str, ...]) -> str:
    return f"{form}[{','.join(args)}]" if args else form


class RowBlocks:
    """Rows are added a block at a time: records, entries (local row, column, value), bounds."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.records: list[RowRecord] = []
        self._lower: list[np.ndarray] = []
        self._upper: list[np.ndarray] = []
        self._rows: list[np.ndarray] = []
        self._cols: list[np.ndarray] = []
        self._vals: list[np.ndarray] = []

    @property
    def count(self) -> int:
        return len(self.names)

    def add(self, family: str, form: str, args: list[tuple], local_row, cols, vals, lower, upper,
            levers=None) -> None:
        """Add len(args) rows of one form, row r about args[r]; entry e goes to row local_row[e] of this block;
        levers: one per row, or None (structural rows)."""
        n = len(args)
        if n == 0:
            return
        offset = self.count
        levers = levers if levers is not None else [None] * n
        self.records.extend(map(RowRecord, [family] * n, [form] * n, args, levers))
        if args[0]:  # one join per row: a large model has tens of thousands
            self.names.extend([f"{form}[{','.join(a)}]" for a in args])
        else:
            self.names.extend(row_name(form, a) for a in args)
        self._lower.append(_filled(lower, (n,)))
        self._upper.append(_filled(upper, (n,)))
        cols = np.asarray(cols, dtype=np.int64)
        self._rows.append(np.asarray(local_row, dtype=np.int64) + offset)
        self._cols.append(cols)
        self._vals.append(_filled(vals, cols.shape))

    def add_one(self, family: str, form: str, args: tuple, cols, vals, lower=-INF, upper=INF, lever=None) -> None:
        cols = np.asarray(cols, dtype=np.int64)
        self.add(family, form, [args], np.zeros(cols.size, dtype=np.int64), cols, vals, lower, upper, [lever])

    def add_grouped(self, family: str, form: str, group_of_col: np.ndarray, cols: np.ndarray, vals, args_of,
                    lower, upper, lever=None) -> np.ndarray:
        """One row per distinct group code among `cols`; returns the codes in row order.

        ``group_of_col`` gives each entry's group code (same length as cols);
        ``args_of(code)`` says what the row is about; ``lower``/``upper`` are callables
        ``f(codes) -> array`` giving each row's bounds; ``lever(code)`` its scenario number.
        """
        codes, local = np.unique(group_of_col, return_inverse=True)
        if codes.size == 0:
            return codes
        levers = [lever(int(code)) for code in codes] if lever else None
        self.add(family, form, [args_of(int(code)) for code in codes], local, cols, vals, lower(codes), upper(codes),
                 levers)
        return codes

    def add_entries(self, rows, cols, vals) -> None:
        """Extra coefficients in rows that already exist (e.g. a shortfall column added later)."""
        cols = np.asarray(cols, dtype=np.int64)
        self._rows.append(np.asarray(rows, dtype=np.int64))
        self._cols.append(cols)
        self._vals.append(_filled(vals, cols.shape))

    def assemble(self, n_cols: int):
        """(indptr, indices, data, lower, upper) with duplicate entries summed and zeros dropped."""
        n_rows = self.count
        if not self._rows:
            empty_i = np.zeros(0, dtype=np.int64)
            return np.zeros(n_rows + 1, dtype=np.int64), empty_i, np.zeros(0), np.zeros(0), np.zeros(0)
        rows = np.concatenate(self._rows)
        cols = np.concatenate(self._cols)
        order, start, indices, indptr = _PATTERNS.sorted(rows, cols, n_cols, n_rows)
        vals = np.concatenate(self._vals)
        vals = vals if order is None else vals[order]
        if start is None:  # no two entries share a place: nothing to sum, only zeros to drop
            summed, keep = vals, vals != 0
        else:
            summed = np.add.reduceat(vals, start) if vals.size else vals
            # Round-off leftovers (revenue per spend minus an equal ROI floor, say) are not coefficients.
            # Judged against the terms they came from, not an absolute size: with money in the billions, a
            # new customer per unit of spend (1e-14) is a real coefficient.
            magnitude = np.add.reduceat(np.abs(vals), start) if vals.size else vals
            keep = np.abs(summed) > ROUND_OFF * magnitude
        if not keep.all():
            row_of = np.repeat(np.arange(n_rows), np.diff(indptr))[keep]
            indices, summed = indices[keep], summed[keep]
            indptr = np.concatenate(([0], np.cumsum(np.bincount(row_of, minlength=n_rows)))).astype(np.int64)
        return indptr, indices, summed, np.concatenate(self._lower), np.concatenate(self._upper)


class _Patterns:
    """The sorted layout of the last few entry patterns: a what-if rebuilds a model whose entries sit where
    the last build's did (only their values differ), and sorting them is most of assembling the matrix."""

    KEPT = 8

    def __init__(self) -> None:
        self._kept: list[tuple] = []
        self._lock = threading.Lock()

    def sorted(self, rows: np.ndarray, cols: np.ndarray, n_cols: int, n_rows: int):
        """(order of the entries by row then column, where each distinct (row, column) starts in that
        order, the distinct entries' columns, the CSR row pointer of the distinct entries); the order is
        None when the entries are in order already, the starts None when no two share a place."""
        with self._lock:
            for i, kept in enumerate(self._kept):
                if kept[0] == (n_cols, n_rows) and np.array_equal(kept[1], rows) and np.array_equal(kept[2], cols):
                    self._kept.append(self._kept.pop(i))
                    return kept[3]
        key = rows * n_cols + cols
        order = np.argsort(key, kind="stable")
        key = key[order]
        # key is sorted: where each value begins (np.unique would sort it again)
        start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if key.size else np.zeros(0, dtype=np.int64)
        unique_key = key[start]
        indptr = np.concatenate(([0], np.cumsum(np.bincount(unique_key // n_cols, minlength=n_rows))))
        layout = (None if np.array_equal(order, np.arange(order.size)) else order,
                  None if start.size == key.size else start, unique_key % n_cols, indptr.astype(np.int64))
        for array in layout:
            if array is not None:
                array.setflags(write=False)
        with self._lock:
            self._kept = [*self._kept[-(self.KEPT - 1):], ((n_cols, n_rows), rows, cols, layout)]
        return layout


_PATTERNS = _Patterns()


def _filled(values, shape: tuple) -> np.ndarray:
    """`values` (one number, or an array of `shape`) as a new float array of `shape`."""
    array = np.asarray(values, dtype=np.float64)
    if array.shape == shape:
        return array.copy()
    if array.ndim == 0:
        return np.full(shape, float(array))
    return np.broadcast_to(array, shape).copy()


def spend_bounds(rows: RowBlocks, family: str, prefix: str, args: tuple, picked: np.ndarray, total_spend_col: int,
                 bounds, lever) -> None:
    """Rows bounding the spend on `picked` columns: ``{prefix}_min``/``_max`` (money) and ``_min_share``/
    ``_max_share`` (of total spend, linearised against the total-spend column), for each bound `bounds`
    (a budget limit or a budget line) sets; ``lever(field, relax, value)`` names the number behind each."""
    if bounds.min is not None:
        rows.add_one(family, f"{prefix}_min", args, picked, 1.0, bounds.min, INF, lever=lever("min", -1, bounds.min))
    if bounds.max is not None:
        rows.add_one(family, f"{prefix}_max", args, picked, 1.0, -INF, bounds.max, lever=lever("max", +1, bounds.max))
    for bound, share in (("min_share", bounds.min_share), ("max_share", bounds.max_share)):
        if share is not None:
            lo, up = (0.0, INF) if bound == "min_share" else (-INF, 0.0)
            rows.add_one(family, f"{prefix}_{bound}", args, np.append(picked, total_spend_col),
                         np.append(np.ones(picked.size), -share), lo, up,
                         lever=lever(bound, -1 if bound == "min_share" else +1, share))
