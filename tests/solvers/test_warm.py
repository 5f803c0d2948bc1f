"""solvers.warm: a program changed in place and re-solved from the last basis gives the changed program's
optimum (worked out by hand below), not the last one; a MIP with a few binaries is solved as its fixed LPs.

Every solve goes through `solvers.solve` with ``SolveOptions(warm=...)``, as the library's callers use it
(the program is scaled on the way in, with the scaling kept per shape).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from lp_cases import INF, program

from solvers import Sense, SolveOptions, Status, solve
from solvers.warm import WarmStart

pytest.importorskip("highspy", reason="warm starts need HiGHS (pip install '.[highs]')")


def _rows(lp, upper):
    return replace(lp, row_upper=np.asarray(upper, dtype=float))


def _warm_solve(lp, warm):
    result = solve(lp, "highs", SolveOptions(warm=warm))
    assert result.status is Status.OPTIMAL, result.message
    return result


# max 3x + 2y  s.t.  r0: x + y <= u,  r1: x + 3y <= 9,  0 <= x <= 3, y >= 0.
#   u = 4:   x at its bound 3, r0 leaves y = 1 (r1: 6 <= 9)            -> 11; r0 dual 2 (one more y).
#   u = 3.5: x = 3, y = 0.5                                            -> 10; r0 dual 2.
#   u = 10:  x = 3, r1 binds: 3y <= 6, y = 2 (r0: 5 <= 10, slack)       -> 13; r0 dual 0, r1 dual 2/3.
#   u = 2:   x is worth more than y per unit of r0: x = 2, y = 0       ->  6; r0 dual 3.
ROW_BOUND_CASES = [(4.0, 11.0, [3, 1], 2.0), (3.5, 10.0, [3, 0.5], 2.0), (10.0, 13.0, [3, 2], 0.0),
                   (2.0, 6.0, [2, 0], 3.0)]


def test_row_bound_changed_in_place_gives_the_new_optimum():
    base = program(Sense.MAXIMIZE, [3, 2], [[1, 1], [1, 3]], [-INF, -INF], [4, 9], col_upper=[3, INF])
    warm = WarmStart()
    for step, (u, objective, x, dual) in enumerate(ROW_BOUND_CASES):
        result = _warm_solve(_rows(base, [u, 9]), warm)
        assert result.objective == pytest.approx(objective, rel=1e-9)
        assert result.x == pytest.approx(x, abs=1e-9)
        assert result.row_duals[0] == pytest.approx(dual, abs=1e-9)
        assert result.extra["warm_start"] is (step > 0)
    # One instance (one shape): built once, then changed in place for each of the three other bounds.
    assert (warm.counts["cold"], warm.counts["warm"], warm.counts["enumerated"]) == (1, 3, 0)


# max 3x + c_y y  s.t.  r0: x + y <= 4,  r1: a x + 3y <= 9,  0 <= x <= 3, y >= 0.
#   c_y = 5, a = 1: vertices (3,1) -> 14, (1.5,2.5) -> 17, (0,3) -> 15: x = 1.5, y = 2.5 -> 17.
#   c_y = 5, a = 2: r1 2x + 3y = 9 meets r0 at x = 3, y = 1 -> 14; along r1 the objective is 15 - x/3,
#                   so (0, 3) -> 15 (r0: 3 <= 4).
#   c_y = 1, a = 2: y is now worth less than x per unit of r0: x = 3 (bound), y = 1 (r0) -> 10
#                   (r1: 6 + 3 = 9, binds too: degenerate, the objective is unique).
MATRIX_CASES = [(5.0, 1.0, 17.0, [1.5, 2.5]), (5.0, 2.0, 15.0, [0, 3]), (1.0, 2.0, 10.0, [3, 1])]


def test_objective_and_matrix_entries_changed_in_place():
    warm = WarmStart()
    for c_y, a, objective, x in MATRIX_CASES:
        lp = program(Sense.MAXIMIZE, [3, c_y], [[1, 1], [a, 3]], [-INF, -INF], [4, 9], col_upper=[3, INF])
        result = _warm_solve(lp, warm)
        assert result.objective == pytest.approx(objective, rel=1e-9)
        assert result.x == pytest.approx(x, abs=1e-9)
    assert (warm.counts["cold"], warm.counts["warm"], warm.counts["enumerated"]) == (1, 2, 0)


def test_another_shape_between_two_solves_leaves_the_first_instance_right():
    # The first program, a program of another shape (r1 without y: max 3x + 2y, x + y <= 4, x <= 1 -> x = 1,
    # y = 3 -> 9), then the first program with r0's bound moved to 10: its own instance, changed from the
    # program it last held (13, as in ROW_BOUND_CASES).
    first = program(Sense.MAXIMIZE, [3, 2], [[1, 1], [1, 3]], [-INF, -INF], [4, 9], col_upper=[3, INF])
    other = program(Sense.MAXIMIZE, [3, 2], [[1, 1], [1, 0]], [-INF, -INF], [4, 1], col_upper=[3, INF])
    warm = WarmStart()
    assert _warm_solve(first, warm).objective == pytest.approx(11.0, rel=1e-9)
    assert _warm_solve(other, warm).objective == pytest.approx(9.0, rel=1e-9)
    again = _warm_solve(_rows(first, [10, 9]), warm)
    assert again.objective == pytest.approx(13.0, rel=1e-9) and again.x == pytest.approx([3, 2], abs=1e-9)
    assert again.extra["warm_start"] is True
    assert (warm.counts["cold"], warm.counts["warm"], warm.counts["enumerated"]) == (2, 1, 0)


# Two "used" binaries, as min_spend_if_used builds them: columns a, b (spend), u, v (used).
#   max 5a + 2.5b  s.t.  budget: a + b <= B;  a - 600u <= 0;  a - 500u >= 0;  b - 2000v <= 0;  b - 700v >= 0.
# So a is 0 or in [500, 600], b is 0 or in [700, 2000].
#   B = 1000: both need 1200 > B. a alone: 600 -> 3000. b alone: 1000 -> 2500.  -> a = 600: 3000.
#             (The LP relaxation would take a = 600, b = 400 with v = 0.2: 4000; the binaries matter.)
#   B = 1250: both: b = 700, a = 550 -> 2750 + 1750 = 4500 (a alone 3000, b alone 3125). -> 4500.
#   B = 3000: both: a = 600 (its cap), b = 2000 (its cap) -> 3000 + 5000 = 8000.
#   B = 400:  neither fits: 0.
BINARY_CASES = [(1000.0, 3000.0, [600, 0, 1, 0]), (1250.0, 4500.0, [550, 700, 1, 1]),
                (3000.0, 8000.0, [600, 2000, 1, 1]), (400.0, 0.0, [0, 0, 0, 0])]


def _two_binaries(budget: float):
    return program(Sense.MAXIMIZE, [5, 2.5, 0, 0],
                   [[1, 1, 0, 0], [1, 0, -600, 0], [1, 0, -500, 0], [0, 1, 0, -2000], [0, 1, 0, -700]],
                   [-INF, -INF, 0, -INF, 0], [budget, 0, INF, 0, INF],
                   col_upper=[INF, INF, 1, 1], integer=[False, False, True, True])


def test_a_few_binaries_are_enumerated_warm_and_agree_with_branch_and_cut():
    warm = WarmStart()
    for step, (budget, objective, x) in enumerate(BINARY_CASES):
        lp = _two_binaries(budget)
        result = _warm_solve(lp, warm)
        assert result.extra["lp_method"].startswith("binaries enumerated (4 LPs")
        assert result.objective == pytest.approx(objective, rel=1e-9, abs=1e-9)
        assert result.x == pytest.approx(x, abs=1e-9)
        cold = solve(lp, "highs")
        assert cold.status is Status.OPTIMAL and cold.objective == pytest.approx(objective, rel=1e-9, abs=1e-9)
        assert not cold.extra["lp_method"].startswith("binaries enumerated")
        assert warm.counts["enumerated"] == step + 1
    # From the second budget on, each of the four fixed LPs is re-solved in its own instance.
    assert warm.counts["warm"] >= 4 * (len(BINARY_CASES) - 1)


# max x + 3y  s.t.  r0: x + a y <= 20,  r1: x + y <= 10,  x, y >= 0.  Along r1 the objective is 10 + 2y:
#   a = 256:  r0 holds (10 - y) + 256 y <= 20 up to y = 10/255             -> 10 + 20/255.
#   a = 4:    (10 - y) + 4 y <= 20 up to y = 10/3 (x = 20/3)               -> 10 + 20/3.
#   a = 1/16: r0 never binds on r1: y = 10, x = 0                         -> 30.
# Scaled for a = 256 (equilibrate): R = (2^-6, 2^-2), C = (2^4, 2^0); r0's scaled entries are 2^-2 and 2^2.
# a = 4 (moved by 2^-6) scales to 2^-4: inside r0's span widened by 2^4 ([2^-6, 2^6]), so the scaling is
# kept; a = 1/16 scales to 2^-10, outside: scaled again. A bound moved by 2^5 is scaled again too.
SPAN_CASES = [(256.0, 10 + 20 / 255, True), (4.0, 10 + 20 / 3, True), (1 / 16, 30.0, False)]


def _span_program(a: float, r0: float = 20.0):
    return program(Sense.MAXIMIZE, [1, 3], [[1, a], [1, 1]], [-INF, -INF], [r0, 10], col_upper=[INF, INF])


def test_scaling_is_kept_while_a_moved_entry_stays_within_its_rows_span():
    warm = WarmStart()
    first = warm.scaling(_span_program(256.0))
    assert list(first.row) == [2.0 ** -6, 2.0 ** -2] and list(first.col) == [2.0 ** 4, 1.0]
    for a, objective, kept in SPAN_CASES:
        lp = _span_program(a)
        assert (warm.scaling(lp) is first) is kept, a
        result = _warm_solve(lp, warm)
        assert result.objective == pytest.approx(objective, rel=1e-12)
        assert result.objective == pytest.approx(solve(lp, "highs").objective, rel=1e-12)  # scaled afresh
    fresh = WarmStart()
    base = fresh.scaling(_span_program(256.0))
    assert fresh.scaling(_span_program(256.0, r0=20.0 * 2 ** 4)) is base  # a bound within 2^4: kept
    assert fresh.scaling(_span_program(256.0, r0=20.0 * 2 ** 5)) is not base  # beyond: scaled for its size


def test_a_variant_nearer_the_first_program_starts_from_its_basis():
    # The base (u = 4, r1 = 9: 11), then r1 moved to 12 (x = 3, y = 1: still 11, r1 slack), then the base
    # with u = 3.5 (10, as in ROW_BOUND_CASES): one number from the base, two from the variant before it,
    # so it starts from the base's basis. Then u = 2 with r1 = 12: one number from the last, two from the base.
    base = program(Sense.MAXIMIZE, [3, 2], [[1, 1], [1, 3]], [-INF, -INF], [4, 9], col_upper=[3, INF])
    warm = WarmStart()
    steps = [([4, 9], 11.0, 0), ([4, 12], 11.0, 0), ([3.5, 9], 10.0, 1), ([3.5, 12], 10.0, 1), ([2, 12], 6.0, 1)]
    for upper, objective, from_base in steps:
        result = _warm_solve(_rows(base, upper), warm)
        assert result.objective == pytest.approx(objective, rel=1e-12)
        assert warm.counts.get("from_anchor", 0) == from_base, upper


# Four on/off channels (more than the three enumerated): spend s_i in [50 u_i, 100 u_i], u_i binary,
# max 5 s_a + 4 s_b + 3 s_c + 2 s_d  s.t.  s_a + s_b + s_c + s_d <= B.
#   B = 250: a, b full, c 50 -> 1050 (d: 50 at 2 < c's 50 at 3).            First MIP: branch and cut.
#   B = 260: a, b full, c 60 -> 1080; the relaxation reaches 1080 too, so the last choices (a, b, c on)
#            are proven optimal by two warm LPs.
#   B = 320: with a, b, c on only: 1200 (20 unspent); the relaxation takes d = 20 at u_d = 0.2 -> 1240,
#            so nothing is proven: branch and cut finds d on: a, b 100, c 70, d 50 -> 1210.
#   B = 330: the last choices (all on) give a, b 100, c 80, d 50 -> 1240; the relaxation 1260 (c 100,
#            d 30): branch and cut again -> 1240.
# In each, c is the channel between its floor and its cap: the budget's price is c's 3.
FOUR_CHANNEL_CASES = [(250.0, 1050.0, 0), (260.0, 1080.0, 1), (320.0, 1210.0, 1), (330.0, 1240.0, 1)]


def _four_channels(budget: float):
    n = 4
    objective = [5, 4, 3, 2] + [0] * n
    rows = [[1] * n + [0] * n]
    lower, upper = [-INF], [budget]
    for i in range(n):
        cap = [0] * (2 * n)
        cap[i], cap[n + i] = 1, -100
        floor = [0] * (2 * n)
        floor[i], floor[n + i] = 1, -50
        rows += [cap, floor]
        lower += [-INF, 0]
        upper += [0, INF]
    return program(Sense.MAXIMIZE, objective, rows, lower, upper, col_upper=[INF] * n + [1] * n,
                   integer=[False] * n + [True] * n)


def test_last_integer_choices_proven_optimal_by_the_relaxation_skip_branch_and_cut():
    warm = WarmStart()
    for budget, objective, proven in FOUR_CHANNEL_CASES:
        lp = _four_channels(budget)
        result = _warm_solve(lp, warm)
        assert result.objective == pytest.approx(objective, rel=1e-9)
        assert solve(lp, "highs").objective == pytest.approx(objective, rel=1e-9)
        assert warm.counts.get("proven", 0) == proven, budget
        # prices as solvers.solve gives them after branch and cut: from the LP with the integers fixed
        assert result.extra["duals_from"] == "lp_with_integers_fixed"
        assert result.row_duals[0] == pytest.approx(3.0, rel=1e-9)  # one more unit of budget goes to c, at 3
