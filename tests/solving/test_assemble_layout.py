"""RowBlocks.assemble keeps the sorted layout of recent entry patterns (a what-if rebuilds the same pattern
with other values): each assembly must still sum duplicates and drop cancelled entries by its own values.

Two rows over two columns, entries (row, column): (0,0) (0,1) (0,0) | (1,1) (1,1); the values are summed
per (row, column) by hand below.
"""

from __future__ import annotations

import numpy as np
import pytest

from allocator.model.rows import RowBlocks

CASES = [
    # values                       indptr     indices     data
    ([1.0, 2.0, 3.0, 5.0, -5.0], [0, 2, 2], [0, 1], [4.0, 2.0]),  # row 1 cancels: 5 - 5
    ([1.0, 2.0, 3.0, 5.0, -4.0], [0, 2, 3], [0, 1, 1], [4.0, 2.0, 1.0]),
    ([1.0, 0.0, 3.0, 5.0, 1.0], [0, 1, 2], [0, 1], [4.0, 6.0]),  # a zero entry is no coefficient
    ([1.0, 2.0, 3.0, 5.0, -5.0], [0, 2, 2], [0, 1], [4.0, 2.0]),
]


def _assembled(values):
    blocks = RowBlocks()
    blocks.add("budget", "first", [("a",)], np.zeros(3, dtype=np.int64), [0, 1, 0], values[:3], [-np.inf], [9.0])
    blocks.add("budget", "second", [("b",)], np.zeros(2, dtype=np.int64), [1, 1], values[3:], [0.0], [np.inf])
    return blocks.assemble(2)


@pytest.mark.parametrize("order", [[0, 1, 2, 3], [2, 0, 3, 1]])
def test_each_assembly_sums_its_own_values_on_a_kept_layout(order):
    for i in order:
        values, indptr, indices, data = CASES[i]
        got_indptr, got_indices, got_data, lower, upper = _assembled(values)
        assert got_indptr.tolist() == indptr and got_indices.tolist() == indices and got_data.tolist() == data
        assert lower.tolist() == [-np.inf, 0.0] and upper.tolist() == [9.0, np.inf]


def test_entries_without_duplicates_keep_their_values_and_drop_zeros():
    # Entries (1,0) 2.0, (0,1) 0.0, (0,0) 3.0 out of order, no two at one place: row 0 holds (0,0) 3 only
    # (the zero is no coefficient), row 1 holds (1,0) 2.
    for _ in range(2):  # the second time on the kept layout
        blocks = RowBlocks()
        blocks.add("budget", "pair", [("a",), ("b",)], [1, 0, 0], [0, 1, 0], [2.0, 0.0, 3.0], [0.0, 0.0], [1.0, 1.0])
        indptr, indices, data, _, _ = blocks.assemble(2)
        assert indptr.tolist() == [0, 1, 2] and indices.tolist() == [0, 0] and data.tolist() == [3.0, 2.0]
