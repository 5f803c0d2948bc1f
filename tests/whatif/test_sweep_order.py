"""The order a sweep walks its grid in: every point once, each one step on one axis from the one before
(so that a warm-started solve starts from a neighbour's plan), and rows still come back in grid order."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from allocator.whatif.sweep import snake_order


@pytest.mark.parametrize("sizes", [[1], [5], [3, 2], [2, 3, 4], [4, 1, 3], [2, 2, 2, 2]])
def test_snake_order_visits_each_point_once_one_step_at_a_time(sizes):
    order = snake_order(sizes)
    assert sorted(order) == list(range(int(np.prod(sizes))))
    points = [np.unravel_index(i, sizes) for i in order]
    for before, after in itertools.pairwise(points):
        steps = np.abs(np.subtract(after, before))
        assert steps.sum() == 1, (before, after)


def test_snake_order_of_two_axes_by_hand():
    # Row-major indices of a 3 x 2 grid: (0,0)=0 (0,1)=1 (1,0)=2 (1,1)=3 (2,0)=4 (2,1)=5; the inner axis is
    # walked forward, back, forward.
    assert snake_order([3, 2]) == [0, 1, 3, 2, 4, 5]


def test_guided_runs_cut_the_order_largest_first_by_hand():
    from allocator.whatif.sweep import guided_runs

    order = list(range(20))
    # 2 workers: a quarter of what is left each time (at least 2): 20 -> 5, 15 -> 4, 11 -> 3, 8 -> 2, then 2s.
    runs = guided_runs(order, 2, smallest=2)
    assert [len(run) for run in runs] == [5, 4, 3, 2, 2, 2, 2]
    assert [i for run in runs for i in run] == order  # every point once, neighbours kept together
    assert guided_runs(order, 1, smallest=8) == [list(range(10)), list(range(10, 18)), [18, 19]]
    assert guided_runs([], 2) == []
