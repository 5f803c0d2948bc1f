"""Known-answer linear programs solved by hand, run on every backend (the solver layer alone).

In the style of cvxpy's solver_test_helpers: each case states the expected
objective, primal values and duals (d objective / d rhs in the problem's own
sense), and every backend must reproduce them. Scenario-level known answers
are in tests/test_known_answers.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import backends
from lp_cases import INF, Case, program

from solvers import LinearProgram, Sense, Status, solve

BACKENDS = backends()


# --------------------------------------------------------------------------
# Raw LinearProgram cases
# --------------------------------------------------------------------------


LP_CASES = {
    # max 3x + 2y  s.t.  r0: x + y <= 4,  r1: x + 3y <= 9,  0 <= x <= 3, y >= 0.
    # x sits at its bound 3, r0 gives y = 1 -> 11; r1 has slack 3.
    # One more unit on r0 buys one more y: dual 2; r1 dual 0.
    # Reduced cost of x (at its upper bound): 3 - 2*1 = 1; y is basic: 0.
    "max_le_row_and_bound": Case(
        program(Sense.MAXIMIZE, [3, 2], [[1, 1], [1, 3]], [-INF, -INF], [4, 9], col_upper=[3, INF]),
        Status.OPTIMAL, 11.0, [3, 1], [2, 0], [1, 0],
    ),
    # min 2x + 3y  s.t.  r0: x + y >= 10,  r1: x <= 6.
    # Use the cheap x up to 6, y = 4 -> 12 + 12 = 24.
    # r0 +1 -> one more y: dual 3.  r1 +1 -> x + 1, y - 1: 2 - 3 = -1.
    "min_ge_row": Case(
        program(Sense.MINIMIZE, [2, 3], [[1, 1], [1, 0]], [10, -INF], [INF, 6]),
        Status.OPTIMAL, 24.0, [6, 4], [3, -1], [0, 0],
    ),
    # max 4x + y  s.t.  r0: x + y = 5,  r1: x - y <= 1.
    # x = 3, y = 2 -> 14.  With rhs 5 + a and 1 + b: x = (6 + a + b)/2, y = (4 + a - b)/2,
    # objective 14 + 2.5a + 1.5b: duals 2.5 (equality) and 1.5.
    "max_equality_row": Case(
        program(Sense.MAXIMIZE, [4, 1], [[1, 1], [1, -1]], [5, -INF], [5, 1]),
        Status.OPTIMAL, 14.0, [3, 2], [2.5, 1.5], [0, 0],
    ),
    # x + y <= 1 and x + y >= 2 cannot both hold.
    "infeasible": Case(
        program(Sense.MINIMIZE, [1, 1], [[1, 1], [1, 1]], [-INF, 2], [1, INF]),
        Status.INFEASIBLE,
    ),
    # max x + y with only x - y <= 1: y grows without limit.
    "unbounded": Case(
        program(Sense.MAXIMIZE, [1, 1], [[1, -1]], [-INF], [1]),
        Status.UNBOUNDED,
    ),
    # MIP, integer column last: max y + 5n  s.t.  r0: y + 2n <= 5.5,  r1: y <= 1,  n integer in [0, 10].
    # LP relaxation n = 2.75; integer n = 2 leaves y <= 1.5 and y <= 1, so y = 1 -> 1 + 10 = 11.
    # Duals from the LP with n fixed at 2: r0 has slack 0.5 (dual 0), r1 binds (dual 1).
    "mip_integer_last": Case(
        program(Sense.MAXIMIZE, [1, 5], [[1, 2], [1, 0]], [-INF, -INF], [5.5, 1], col_upper=[INF, 10],
                integer=[False, True]),
        Status.OPTIMAL, 11.0, [1, 2], [0, 1], duals_from="lp_with_integers_fixed",
    ),
    # The same MIP with the integer column first: max 5n + y.  Same answer, n = 2, y = 1 -> 11.
    "mip_integer_first": Case(
        program(Sense.MAXIMIZE, [5, 1], [[2, 1], [0, 1]], [-INF, -INF], [5.5, 1], col_upper=[10, INF],
                integer=[True, False]),
        Status.OPTIMAL, 11.0, [2, 1], [0, 1], duals_from="lp_with_integers_fixed",
    ),
}


@pytest.mark.parametrize("solver", BACKENDS)
@pytest.mark.parametrize("name", LP_CASES)
def test_raw_lp_known_answer(name, solver):
    case = LP_CASES[name]
    result = solve(case.lp, solver)
    assert result.status is case.status
    if case.objective is None:
        assert result.x is None and result.objective is None
        return
    assert result.objective == pytest.approx(case.objective, rel=1e-6)
    np.testing.assert_allclose(result.x, case.x, rtol=1e-6, atol=1e-7)
    # The reported objective is the objective at the reported point.
    assert case.lp.objective_value(result.x) == pytest.approx(case.objective, rel=1e-6)
    assert result.extra["duals_from"] == case.duals_from
    np.testing.assert_allclose(result.row_duals, case.duals, rtol=1e-6, atol=1e-7)
    if case.reduced_costs is not None:
        np.testing.assert_allclose(result.reduced_costs, case.reduced_costs, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("solver", BACKENDS)
def test_raw_lp_row_activity_matches_solution(solver):
    case = LP_CASES["max_le_row_and_bound"]
    result = solve(case.lp, solver)
    np.testing.assert_allclose(case.lp.row_activity(result.x), [4, 6], rtol=1e-9)


def test_row_activity_with_empty_rows_matches_a_dense_product():
    # Rows without entries (first, middle, last) must read 0, the others A[i] @ x.
    rng = np.random.default_rng(0)
    counts = rng.integers(1, 4, 12)
    counts[[0, 5, 11]] = 0
    indptr = np.concatenate(([0], np.cumsum(counts)))
    indices = rng.integers(0, 7, indptr[-1])
    data = rng.normal(size=indptr[-1])
    lp = LinearProgram(name="t", sense=Sense.MINIMIZE, objective=np.zeros(7), objective_offset=0.0,
                       col_names=[f"c{j}" for j in range(7)], col_lower=np.zeros(7), col_upper=np.full(7, INF),
                       col_integer=np.zeros(7, dtype=bool), row_names=[f"r{i}" for i in range(12)],
                       row_lower=np.zeros(12), row_upper=np.full(12, INF), indptr=indptr, indices=indices, data=data)
    dense = np.zeros((12, 7))
    np.add.at(dense, (np.repeat(np.arange(12), counts), indices), data)
    x = rng.normal(size=7)
    activity = lp.row_activity(x)
    assert activity[[0, 5, 11]].tolist() == [0.0, 0.0, 0.0]
    assert np.allclose(activity, dense @ x, rtol=1e-14, atol=1e-14)


def test_with_rows_appends_rows_with_sorted_entries():
    # Rows appended by goals, the tie-break and the ordering binaries: A grows by the given rows
    # (entries sorted by column inside each row, as CSR expects); nothing else changes.
    base = program(Sense.MAXIMIZE, [1, 2, 3], [[1, 1, 0]], [-INF], [4])
    grown = base.with_rows(["r1", "r2"], [(np.array([2, 0]), np.array([5.0, 6.0])), (np.array([1]), np.array([7.0]))],
                           [0.0, -INF], [INF, 3.0])
    assert grown.row_names[1:] == ["r1", "r2"] and grown.indptr.tolist() == [0, 2, 4, 5]
    assert grown.indices.tolist()[2:] == [0, 2, 1] and grown.data.tolist()[2:] == [6.0, 5.0, 7.0]
    assert grown.row_lower.tolist() == [-INF, 0.0, -INF] and grown.row_upper.tolist() == [4.0, INF, 3.0]
    assert np.allclose(grown.row_activity(np.array([1.0, 2.0, 3.0])), [3.0, 21.0, 14.0])
    assert base.with_rows([], [], [], []) is base
